// A module under test: a cache bounded at 1,000 entries.
'use strict';

const cache = new Map();

module.exports = {
  iteration(i) {
    cache.set(i, { payload: 'x'.repeat(64) + i });
    if (cache.size > 1000) cache.delete(cache.keys().next().value);
  },
};
