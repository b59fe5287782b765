// How much of what a program keeps V8's sampling heap profiler accounts for, by the shape
// of what is kept: each shape's function runs warm (optimized) first, then 100,000 of its
// results are kept while the profiler samples every 2 KiB, and the profiler's estimate of
// the live samples (the sum of their sizes, as the inspector reports them) is set against
// what the heap grew by after full GCs. Not run in CI. It is the measurement behind the
// flags a leak check passes node (Engine::LeakCheckNodeFlags, worker/engine/engine.cc), and
// behind LeakRetention.sampled_bytes_per_iteration (proto/result.proto) being a figure of
// a retention check and not a bound on it (bench/RESULTS.md, "Session 25").
//
//   node --expose-gc bench/sampler_coverage.js [SHAPE...]     # default: every shape
//
// Prints one line per shape: the heap's growth, the sampler's estimate, their ratio, and
// the share of the estimate that the sampler names after the shape's function (or a
// function it calls): a function inlined into its caller (measure()'s loop) is not on the
// sampler's stack, and a leak check's sites would name the caller. The array that keeps
// the results is measure()'s, ~10% of what is kept.
//
//   node --expose-gc --no-turbo-allocation-folding --no-turbo-inlining --no-maglev-inlining \
//       bench/sampler_coverage.js      # as a leak check runs (Engine::LeakCheckNodeFlags)
'use strict';

const inspector = require('inspector');
const v8 = require('v8');

const shapes = {
  'object literal': (i) => ({ id: i, name: 'u' + i }),
  'nested literal, outer dropped': (i) => ({ a: i, inner: { b: i, c: 'z' } }).inner,
  'string concatenation': (i) => 'k' + i + '-' + (i * 7),
  'closure and its context': (i) => { const ctx = { i }; return () => ctx.i; },
  'bound function': (i) => function () { return this.i; }.bind({ i }),
  'promise with its resolver': (i) => { let res; const p = new Promise((r) => { res = r; }); return { p, res, i }; },
  'array literal': (i) => [i, i + 1, i + 2],
  'array by push': (i) => { const a = []; a.push(i); a.push(i); a.push(i); return a; },
  'array by slice': (i) => [i, i, i].slice(),
  'array by spread': (i) => [...[i, i, i]],
  'array by Array.from': (i) => Array.from({ length: 3 }, (_, k) => k + i),
  'array by map': (i) => [i, i, i].map((x) => x + 1),
  'array of objects by map': (i) => [{ i }, { i }, { i }].map((x) => x),
  'array by filter': (i) => [i, i, i].filter((x) => x >= 0),
  'object literal beside a map': (i) => { [1, 2].map((x) => x); return { id: i, name: 'u' + i }; },
  'JSON.parse': (i) => JSON.parse(`{"id":${i},"tags":["a","b"]}`),
  'structuredClone': (i) => structuredClone({ id: i, tags: ['a', 'b'] }),
  'Object.entries': (i) => Object.entries({ id: i, name: 'n' }),
  'String.prototype.split': (i) => `a,b,${i}`.split(','),
  'RegExp match': (i) => /(\d+)-(\d+)/.exec(`${i}-${i + 1}`),
  'Map of entries': (i) => new Map([[i, 'a'], [i + 1, 'b']]),
  'class instance': (i) => new (class Row { constructor(n) { this.n = n; this.s = 's' + n; } })(i),
};

function post(session, method, params) {
  let result;
  session.post(method, params || {}, (err, r) => {
    if (err) throw err;
    result = r;
  });
  return result;
}

function usedAfterGc() {
  global.gc();
  global.gc();
  return v8.getHeapStatistics().used_heap_size;
}

function measure(name) {
  const make = shapes[name];
  const keep = [];
  for (let i = 0; i < 200000; i++) {
    keep.push(make(i));
    if (keep.length > 100) keep.length = 0;
  }
  keep.length = 0;
  const session = new inspector.Session();
  session.connect();
  post(session, 'HeapProfiler.enable');
  post(session, 'HeapProfiler.startSampling', { samplingInterval: 2048 });
  const before = usedAfterGc();
  for (let i = 0; i < 100000; i++) keep.push(make(i));
  const grew = usedAfterGc() - before;
  const { profile } = post(session, 'HeapProfiler.getSamplingProfile');
  post(session, 'HeapProfiler.stopSampling');
  session.disconnect();
  const nodes = new Map();
  (function index(node, parent) {
    nodes.set(node.id, { name: node.callFrame.functionName, parent });
    for (const child of node.children) index(child, node.id);
  })(profile.head, null);
  const namedAfter = (id) => {
    for (let n = nodes.get(id); n; n = nodes.get(n.parent)) if (n.name === name) return true;
    return false;
  };
  let sampled = 0;
  let named = 0;
  for (const s of profile.samples) {
    sampled += s.size;
    if (namedAfter(s.nodeId)) named += s.size;
  }
  // Read after the profile: the kept results must outlive it.
  const kept = keep.length;
  console.log(`${name.padEnd(32)} kept ${kept}, heap grew ${(grew / 1e6).toFixed(2)} MB, ` +
    `sampled ${(sampled / 1e6).toFixed(2)} MB, ratio ${(sampled / grew).toFixed(2)}, ` +
    `named after it ${(100 * named / Math.max(sampled, 1)).toFixed(0)}%`);
}

if (typeof global.gc !== 'function') {
  console.error('sampler_coverage.js: run it with node --expose-gc');
  process.exit(2);
}
const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(shapes);
for (const name of names) {
  if (!shapes[name]) {
    console.error(`sampler_coverage.js: no shape "${name}"; the shapes: ${Object.keys(shapes).join(', ')}`);
    process.exit(2);
  }
  measure(name);
}
