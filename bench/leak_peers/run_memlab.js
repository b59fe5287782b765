// bench/leak_peers: memlab on one case. A child node runs the case and writes three heap
// snapshots (memlab_snapshots.js: after WARMUP, WARMUP+N and WARMUP+2N iterations); then
// memlab's findLeaksBySnapshotFilePaths analyses them here, configured as
// `memlab find-leaks --trace-all-objects=selected-js-objects` does (every JS object
// allocated between s1 and s2 and still alive at s3 is a candidate, not only detached DOM
// or React fibers, which a Node program has none of). A leak is at least one leak trace.
// The culprit is the retainer trace of the first (largest) cluster.
//
//   node run_memlab.js CASE OUT.json [WARMUP=200] [N=1000]
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { resultWriter, secondsSince } = require('./load_case');

// The edges and nodes of a serialized memlab trace, root first: its top-level keys are the
// steps ("1:  --memo (property)--->  [Object](object) @123 ..."), rendered "memo → Object".
function traceText(trace) {
  const steps = [];
  for (const key of Object.keys(trace || {})) {
    const m = /^\d+:\s*(?:--(.*?)--->)?\s*\[(.*?)\]/.exec(key);
    if (!m) continue;
    if (m[1]) steps.push(m[1].replace(/\s*\((property|element|context variable|internal|shortcut|hidden|weak)\)$/, ''));
    steps.push(`[${m[2]}]`);
  }
  return steps.join(' → ');
}

async function main() {
  const [file, out, warmArg, nArg] = process.argv.slice(2);
  const writeResult = resultWriter(out);
  const warmup = Number(warmArg || 200);
  const n = Number(nArg || 1000);
  const t0 = process.hrtime.bigint();
  const result = { tool: 'memlab', case: file, verdict: 'no_leak', iterations: warmup + 2 * n, seconds: 0, culprit: '' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memlab-'));
  try {
    const child = spawnSync(process.execPath, [path.join(__dirname, 'memlab_snapshots.js'), file, dir,
      String(warmup), String(n)], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (child.status !== 0) {
      result.verdict = 'error';
      result.detail = (child.stderr || `exit ${child.status} ${child.signal || ''}`).trim().slice(0, 200);
    } else {
      const { config } = require('@memlab/core');
      const { findLeaksBySnapshotFilePaths } = require('@memlab/api');
      config.oversizeObjectAsLeak = true;
      config.oversizeThreshold = 0;
      config.traceAllObjectsMode = 2; // TraceObjectMode.SelectedJSObjects
      const snap = (k) => path.join(dir, `s${k}.heapsnapshot`);
      const leaks = await findLeaksBySnapshotFilePaths(snap(1), snap(2), snap(3),
        { workDir: path.join(dir, 'work'), consoleMode: 'SILENT' });
      result.verdict = leaks.length > 0 ? 'leak' : 'no_leak';
      result.clusters = leaks.length;
      result.culprit = leaks.length ? traceText(leaks[0]).slice(0, 400) : '';
    }
  } catch (err) {
    result.verdict = 'error';
    result.detail = String(err && err.message || err).slice(0, 200);
  }
  result.seconds = secondsSince(t0);
  fs.rmSync(dir, { recursive: true, force: true });
  writeResult(result);
  process.exit(0);
}

main();
