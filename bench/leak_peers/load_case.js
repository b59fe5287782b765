// bench/leak_peers: loads a leak-corpus style case (tests/fixtures/leak_corpus/README.md:
// CommonJS `module.exports = { setup, iteration, teardown }` or an ES module with those
// exports) and runs its iterations, for the peer runners (run_memlab.js, run_leakage.js,
// run_memwatch.js). Nothing here measures; the runners do.
'use strict';

const path = require('path');
const { pathToFileURL } = require('url');

// Returns {setup, iteration, teardown} of the module at `file`; the missing ones are no-ops.
// Rejects when the module has no `iteration` function.
async function loadCase(file) {
  const ns = await import(pathToFileURL(path.resolve(file)).href);
  const cjs = ns.default && typeof ns.default.iteration === 'function' ? ns.default : null;
  const m = cjs || ns;
  if (typeof m.iteration !== 'function') throw new Error(`${file}: exports no iteration function`);
  const noop = () => {};
  return {
    setup: typeof m.setup === 'function' ? m.setup : noop,
    iteration: m.iteration,
    teardown: typeof m.teardown === 'function' ? m.teardown : noop,
  };
}

// Runs iterations [from, to) one after the other, awaiting those that return a promise.
async function runIterations(mod, from, to) {
  for (let i = from; i < to; i++) {
    const r = mod.iteration(i);
    if (r && typeof r.then === 'function') await r;
  }
}

// Opens the file named by `out` for the runner's result now, while descriptors are free (a
// descriptor-leaking case may take them all), and returns a function that writes one JSON
// object to it. The case may print to stdout freely.
function resultWriter(out) {
  const fs = require('fs');
  const fd = fs.openSync(out, 'w');
  return (obj) => {
    fs.writeSync(fd, JSON.stringify(obj) + '\n');
    fs.closeSync(fd);
  };
}

// Seconds since `t0` (a process.hrtime.bigint()).
function secondsSince(t0) {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

module.exports = { loadCase, runIterations, resultWriter, secondsSince };
