// A user module that does not leak: a cache bounded at 1,000 entries.
'use strict';

const cache = new Map();
const LIMIT = 1000;

module.exports = {
  iteration(i) {
    cache.set(i, { payload: 'x'.repeat(64), at: i });
    if (cache.size > LIMIT) cache.delete(cache.keys().next().value);
  },
};
