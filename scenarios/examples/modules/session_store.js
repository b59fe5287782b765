// A user module for the `script` kind: a session store that forgets to delete sessions.
//
// heapstorm calls setup() once, iteration(i) once per unit of load, and teardown() at
// the end. Any of them may be async. This one leaks: every iteration adds a session and
// only every other one is removed.
'use strict';

const sessions = new Map();

module.exports = {
  setup() {
    sessions.clear();
  },
  iteration(i) {
    sessions.set(`session-${i}`, { user: `user-${i}`, created: Date.now(), cart: [i, i + 1] });
    if (i % 2 === 1) sessions.delete(`session-${i - 1}`);  // the bug: only half are removed
  },
  teardown() {
    return sessions.size;
  },
};
