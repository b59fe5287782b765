// NO LEAK: npm lru-cache (pinned in ../package.json) capped at 1,000 entries; a new key every iteration, reads of recent keys.
'use strict';

const { LRUCache } = require('lru-cache');

const cache = new LRUCache({ max: 1000 });

exports.iteration = function (i) {
  cache.set('user:' + i, { id: i, name: 'user' + i, roles: ['reader'], seen: i });
  const hit = cache.get('user:' + (i - (i % 700)));
  return hit ? hit.id : -1;
};
