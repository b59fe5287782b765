// LEAK: node-cache 5 with no TTL and a new key each iteration (npm, pinned in ../package.json).
'use strict';
const NodeCache = require('node-cache');
const cache = new NodeCache({ stdTTL: 0, checkperiod: 0, useClones: false });
exports.iteration = function (i) {
  cache.set('session:' + i, { id: i, user: 'u' + i });
};
exports.teardown = function () { cache.close(); };
