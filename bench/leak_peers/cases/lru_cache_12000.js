// NO LEAK: npm lru-cache (pinned in ../package.json) capped at 12,000 entries, still filling at a 2,000 budget's s3; a new key every iteration, reads of recent keys.
'use strict';

const { LRUCache } = require('lru-cache');

const cache = new LRUCache({ max: 12000 });

exports.iteration = function (i) {
  cache.set('user:' + i, { id: i, name: 'user' + i, roles: ['reader'], seen: i });
  const hit = cache.get('user:' + (i - (i % 700)));
  return hit ? hit.id : -1;
};
