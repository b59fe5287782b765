// NO LEAK: mnemonist LRUMap of 8,000, a new key each iteration (npm, pinned in ../package.json).
'use strict';
const LRUMap = require('mnemonist/lru-map');
const cache = new LRUMap(8000);
exports.iteration = function (i) {
  cache.set('k' + i, { id: i, tags: ['a' + i, 'b'] });
  return cache.get('k' + (i - 5));
};
