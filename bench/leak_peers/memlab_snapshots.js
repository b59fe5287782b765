// bench/leak_peers: the measured process for run_memlab.js. Runs a case and writes three
// heap snapshots into DIR: after WARMUP iterations (s1), after N more (s2), after N more (s3).
// Exits 1 with the error on stderr when the case throws.
//
//   node memlab_snapshots.js CASE DIR WARMUP N
'use strict';

const path = require('path');
const v8 = require('v8');
const { loadCase, runIterations } = require('./load_case');

async function main() {
  const [file, dir, warmArg, nArg] = process.argv.slice(2);
  const warmup = Number(warmArg);
  const n = Number(nArg);
  const mod = await loadCase(file);
  await mod.setup();
  await runIterations(mod, 0, warmup);
  v8.writeHeapSnapshot(path.join(dir, 's1.heapsnapshot'));
  await runIterations(mod, warmup, warmup + n);
  v8.writeHeapSnapshot(path.join(dir, 's2.heapsnapshot'));
  await runIterations(mod, warmup + n, warmup + 2 * n);
  v8.writeHeapSnapshot(path.join(dir, 's3.heapsnapshot'));
  await mod.teardown();
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(String(err && err.message || err).slice(0, 200) + '\n');
  process.exit(1);
});
