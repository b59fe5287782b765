// NO LEAK: node-cache 5 over 2,000 keys, overwritten (npm, pinned in ../package.json).
'use strict';
const NodeCache = require('node-cache');
const cache = new NodeCache({ stdTTL: 0, checkperiod: 0, useClones: true });
exports.iteration = function (i) {
  cache.set('k' + (i % 2000), { id: i, user: 'u' + i });
  return cache.get('k' + ((i * 7) % 2000));
};
exports.teardown = function () { cache.close(); };
