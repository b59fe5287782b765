// NO LEAK: mnemonist LRUCache of 20,000 (typed arrays made at its size), a new key each iteration (npm, pinned in ../package.json).
'use strict';
const LRUCache = require('mnemonist/lru-cache');
const cache = new LRUCache(20000);
exports.iteration = function (i) {
  cache.set('k' + i, { id: i, name: 'user' + i, at: Date.now() });
  return cache.get('k' + (i >> 1));
};
