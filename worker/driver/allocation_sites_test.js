// Unit test of driver.js's choice of an allocation site's line, on small sources written
// here: a callee called on several lines (the call whose value is passed on), the
// candidates sent to the engine (what each allocating expression makes, with a closure's
// own position as the heap snapshot gives it, the caller's `new`), a native call's line,
// and the STORE line (what a push stores). The allocating line's section of driver.js is
// read from the file and evaluated alone (as leak_schedule_test.js does the schedule's).
//   node allocation_sites_test.js path/to/driver.js
'use strict';

const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { driverSection, check } = require('./driver_testing');

const driver = driverSection(process.argv[2], '// --- the allocating line', '// The iteration of the next planned snapshot',
  ['allocatingLine', 'allocatingCandidates', 'storeLine'], { fs, path });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sites-'));

// Writes `lines` to a module and returns its path.
function source(name, lines) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

// Where V8 says a function starts (its parameters' `(`), 0-based, found by `marker`.
function startOf(file, marker) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes(marker));
  assert(line >= 0, marker);
  return { lineNumber: line, columnNumber: lines[line].indexOf('(', lines[line].indexOf(marker)) };
}


// The candidates of a sample in `name`, whose definition `marker` finds, called from
// `exports.iteration = function` of the same file: each as "LINE FUNCTION MAKES".
function calledFromIteration(file, name, marker) {
  const at = startOf(file, marker);
  const caller = startOf(file, 'exports.iteration = function');
  const found = driver.allocatingCandidates(new Map(), file,
    { functionName: name, scriptId: '3', lineNumber: at.lineNumber, columnNumber: at.columnNumber },
    { functionName: 'exports.iteration', lineNumber: caller.lineNumber, columnNumber: caller.columnNumber });
  return Array.from(found, (c) => `${c.line} ${c.function || '-'} ${c.makes}`);
}


check('a callee called on several lines: the call whose value is returned', () => {
  const file = source('decode.js', [
    'const wire = Buffer.alloc(64);',
    'function decode(i) {',
    "  wire.write(('u' + (i >>> 0).toString(36)).padEnd(24, '-'), 0, 'latin1');",
    "  return wire.toString('latin1', 0, 64);",
    '}',
  ]);
  const at = startOf(file, 'function decode');
  const picked = driver.allocatingLine(new Map(), file, at.lineNumber, at.columnNumber, 'toString');
  assert.deepStrictEqual([picked.line + 1, picked.position], [4, 'ALLOCATION_POSITION_CALL']);
  // Both calls passed on as they are: no single line.
  const both = source('both.js', [
    'function both(a, b) {',
    '  const x = a.toString(16);',
    '  return [x, b.toString(8)];',
    '}',
  ]);
  const b = startOf(both, 'function both');
  const none = driver.allocatingLine(new Map(), both, b.lineNumber, b.columnNumber, 'toString');
  assert.strictEqual(none.position, 'ALLOCATION_POSITION_FUNCTION');
});

check('candidates: what each expression makes, with closures at their own positions', () => {
  const file = source('chain.js', [
    'class Session {',
    '  constructor(id) {',
    '    this.id = id;',
    '    bus.on("x", (e) => this.seen(e));',
    '  }',
    '}',
    'function make(i) {',
    '  const config = { name: `mw${i}`, list: [i] };',
    '  const s = new Session(i);',
    '  const e = new Error("no");',
    "  const f = new Function('x', 'return x');",
    '  return (req) => config.name + req + s + e + f;',
    '}',
  ]);
  const at = startOf(file, 'function make');
  const found = driver.allocatingCandidates(new Map(), file,
    { functionName: 'make', scriptId: '42', lineNumber: at.lineNumber, columnNumber: at.columnNumber }, null);
  const got = Array.from(found, (c) => `${c.line} ${c.function || '-'} ${c.makes}`);
  assert.deepStrictEqual(got, [
    '8 - object Object',
    '8 - string',
    '8 - object Array',
    // Not Session's constructor's arrow (4): a leak check runs node without inlining, so
    // the constructor allocates in its own frame.
    '9 - class Session',
    '10 - object Error',
    '11 - closure anonymous',
    '12 - closure@42:11:9',
  ]);
});

// What a native function with no frame of its own allocates (node's structuredClone, V8's
// JSON.parse) is sampled in its caller's frame. Not what the file's own functions that it
// calls allocate: without inlining those have frames of their own.
check('a function that allocates nothing itself: its one native call whose value it passes on', () => {
  const file = source('clone.js', [
    'const log = [];',
    'function makeRequest(i) {',
    "  return { id: i, headers: { host: 'h' } };",
    '}',
    'exports.iteration = function (i) {',
    '  const req = makeRequest(i);',
    '  log.push(structuredClone(req));',
    "  req.headers.host = 'x';",
    '};',
    'function twice(a, b) {',
    '  log.push(JSON.parse(a));',
    '  log.push(JSON.parse(b));',
    '}',
    'function single(i) { return { i }; }',
    'function viaSingle(i) {',
    '  return single(i);',
    '}',
    'function readOnly(a) {',
    '  log.length = JSON.parse(a).n;',
    '}',
    'function decode(text) {',
    '  const parsed = JSON.parse(text);',
    "  if (!parsed.ok) throw new Error('bad');",
    '  return parsed;',
    '}',
  ]);
  const pick = (marker) => {
    const a = startOf(file, marker);
    const p = driver.allocatingLine(new Map(), file, a.lineNumber, a.columnNumber, null);
    return [p.line + 1, p.position];
  };
  assert.deepStrictEqual(pick('exports.iteration = function'), [7, 'ALLOCATION_POSITION_CALL']);
  // Called on two lines, each passed on: no one line.
  assert.deepStrictEqual(pick('function twice'), [10, 'ALLOCATION_POSITION_FUNCTION']);
  // The file's own function: not read through.
  assert.deepStrictEqual(pick('function viaSingle'), [15, 'ALLOCATION_POSITION_FUNCTION']);
  // A value read at once is not what the function keeps.
  assert.deepStrictEqual(pick('function readOnly'), [18, 'ALLOCATION_POSITION_FUNCTION']);
  // The candidates: the native call beside the function's own expressions, for the engine
  // to fall back on when none of them made what was kept (allocation_line.cc).
  const candidates = (marker) => {
    const a = startOf(file, marker);
    return Array.from(driver.allocatingCandidates(new Map(), file,
      { functionName: 'f', scriptId: '3', lineNumber: a.lineNumber, columnNumber: a.columnNumber }, null),
    (c) => `${c.line} ${c.makes}`);
  };
  assert.deepStrictEqual(candidates('exports.iteration = function'), ['7 call']);
  assert.deepStrictEqual(candidates('function decode'), ['23 object Error', '22 call']);
  assert.deepStrictEqual(candidates('function readOnly'), []);
});

check("candidates: an object literal names its own properties", () => {
  const file = source('shapes.js', [
    'const warm = [], kept = [];',
    'exports.iteration = function (i) {',
    "  if (i < 10) warm.push({ i, key: 'w' + i, payload: [i], get size() { return 1; } });",
    "  kept.push({ i, route: '/o/' + i, at: i * 7, nested: { deep: 1 } });",
    '  kept.push({ ...warm[0], extra: 1 });',
    '  kept.push({ [i]: 1 });',
    "  kept.push({ 'quoted': 1 });",
    '};',
  ]);
  const at = startOf(file, 'exports.iteration = function');
  const found = driver.allocatingCandidates(new Map(), file,
    { functionName: 'exports.iteration', scriptId: '5', lineNumber: at.lineNumber, columnNumber: at.columnNumber }, null);
  const got = Array.from(found.filter((c) => c.makes === 'object Object'), (c) => `${c.line} ${c.keys || '?'}`);
  assert.deepStrictEqual(got, ['3 i,key,payload,size', '4 at,i,nested,route', '4 deep', '5 ?', '6 ?', '7 ?']);
});

check("candidates: a constructor's sample is made by its caller's new", () => {
  const file = source('registry.js', [
    'class Connection {',
    '  constructor(id) {',
    "    this.remote = '10.0.' + id;",
    '  }',
    '}',
    'exports.iteration = function (i) {',
    '  const c = new Connection(i);',
    '};',
  ]);
  assert.deepStrictEqual(calledFromIteration(file, 'Connection', 'constructor'),
    ['3 - string', '7 exports.iteration class Connection']);
});

check("candidates: a generator's object is made by its caller's call of it", () => {
  const file = source('parked.js', [
    'const parked = new Set();',
    'function* task(id) {',
    "  const label = 'task-' + id;",
    '  yield label;',
    '}',
    'const later = async function* () { yield 1; };',
    'exports.iteration = function (i) {',
    '  parked.add(task(i));',
    '  other.task(i);',
    '};',
  ]);
  // The call on line 8 only: line 9 calls another object's method.
  assert.deepStrictEqual(calledFromIteration(file, 'task', 'function* task'),
    ['3 - string', '8 exports.iteration class task']);
  // A plain function's call makes nothing of its own.
  const plain = source('plain.js', [
    'function task(id) {',
    "  return 'task-' + id;",
    '}',
    'exports.iteration = function (i) {',
    '  kept.push(task(i));',
    '};',
  ]);
  assert.deepStrictEqual(calledFromIteration(plain, 'task', 'function task'), ['2 - string']);
});

check("a closure's candidate position is the location V8's heap snapshot gives it", () => {
  const file = source('kept.js', [
    'exports.kept = [];',
    'exports.make = function make(i) {',
    '  exports.kept.push((a, b) => a + b + i, function named(x) { return x * i; }, x => x + i);',
    '};',
  ]);
  const mod = require(file);
  for (let i = 0; i < 3; i++) mod.make(i);
  const at = startOf(file, 'function make');
  const scriptId = '7';
  const keys = driver.allocatingCandidates(new Map(), file,
    { functionName: 'make', scriptId, lineNumber: at.lineNumber, columnNumber: at.columnNumber }, null)
    .map((c) => c.makes).filter((m) => m.startsWith('closure@')).map((m) => m.slice(m.indexOf(':') + 1));
  // The snapshot's locations of the closures the module keeps (script ids aside).
  const snap = JSON.parse(fs.readFileSync(require('v8').writeHeapSnapshot(path.join(dir, 'kept.heapsnapshot'))));
  const meta = snap.snapshot.meta;
  const stride = meta.node_fields.length;
  const closure = meta.node_types[0].indexOf('closure');
  const names = new Set(['', 'named']);
  const located = new Set();
  for (let k = 0; k < snap.locations.length; k += 4) {
    const node = snap.locations[k];
    if (snap.nodes[node] !== closure || !names.has(snap.strings[snap.nodes[node + 1]])) continue;
    if (snap.locations[k + 2] !== 2) continue;  // the module's line 3, where all three are
    located.add(`${snap.locations[k + 2]}:${snap.locations[k + 3]}`);
  }
  assert.strictEqual(keys.length, 3);
  for (const key of keys) assert(located.has(key), `${key} not among ${[...located].join(' ')}`);
});

check('store: the line that allocated what a push stores, else the push', () => {
  const file = source('store.js', [
    'const ids = [];',
    'const samples = [];',
    'function keep(i) {',
    '  const id = Buffer.allocUnsafe(48);',
    '  ids.push(id);',
    '}',
    'function sample(i) {',
    '  const latency = (i * 7) % 250;',
    '  samples.push(latency);',
    '}',
    'function two(i) {',
    '  ids.push(i);',
    '  samples.push(i);',
    '}',
  ]);
  const line = (marker) => {
    const at = startOf(file, marker);
    const t = driver.storeLine(new Map(), file, at.lineNumber, at.columnNumber);
    return t && t.line + 1;
  };
  assert.strictEqual(line('function keep'), 4);
  assert.strictEqual(line('function sample'), 9);
  assert.strictEqual(line('function two'), null);
});

// What a function made and passed down is held where the functions it calls store it: a
// push two calls below it is its store line, with the callee's name.
check('store: through the functions of the file it calls', () => {
  const file = source('inlined.js', [
    'let samples = [];',
    'let index = new Map();',
    'function record(v) {',
    '  samples.push(v);',
    '}',
    'function observe(i) {',
    '  record(i / 7);',
    '  record(i % 13);',
    '  return i;',
    '}',
    'function mean(n) { return n / 2; }',
    'exports.iteration = function (i) {',
    '  observe(i);',
    '  return mean(i);',
    '};',
    'function both(i) {',
    '  observe(i);',
    '  index.set(i, i);',
    '}',
    'function neither(i) {',
    '  observe(i);',
    '  keep(i);',
    '}',
    'function keep(i) { index.set(i, [i]); }',
  ]);
  const at = (marker) => {
    const a = startOf(file, marker);
    return driver.storeLine(new Map(), file, a.lineNumber, a.columnNumber);
  };
  const inlined = at('exports.iteration = function');
  assert.deepStrictEqual([inlined.line + 1, inlined.function], [4, 'record']);
  // Its own store goes first: what it calls is not read.
  const own = at('function both');
  assert.deepStrictEqual([own.line + 1, own.function], [18, '']);
  // Two callees, each with a store (one of them a level further down): no one line.
  assert.strictEqual(at('function neither'), null);
});

check('a getter the profiler names "get NAME": the line that reads it', () => {
  const file = source('getter.mjs', [
    'export async function lookup(url) {',
    '  const id = url.pathname.length;',
    '  const params = url.searchParams;',
    '  await null;',
    "  return { q: params.get('q'), id };",
    '}',
    'export function both(a, b) {',
    '  return [a.searchParams, b?.searchParams];',
    '}',
    'export function set(a) {',
    '  a.searchParams = null;',
    '  return a.searchParams(1);',
    '}',
  ]);
  const pick = (marker) => {
    const a = startOf(file, marker);
    const p = driver.allocatingLine(new Map(), file, a.lineNumber, a.columnNumber, 'get searchParams');
    return [p.line + 1, p.position];
  };
  assert.deepStrictEqual(pick('function lookup'), [3, 'ALLOCATION_POSITION_CALL']);
  // Read on one line twice: that line.
  assert.deepStrictEqual(pick('function both'), [8, 'ALLOCATION_POSITION_CALL']);
  // Written, or called as a method: not a read of the getter.
  assert.deepStrictEqual(pick('function set'), [10, 'ALLOCATION_POSITION_FUNCTION']);
});

check('a BigInt made by `BigInt(` or by arithmetic with a BigInt literal, not by a literal alone', () => {
  const file = source('ledger.js', [
    'const UNIT = 1000003n;',
    'let total = 0n;',
    'const history = [];',
    'exports.iteration = function (i) {',
    '  total += BigInt(i) * UNIT;',
    '  const fee = total / 100n;',
    '  const zero = 0n;',
    '  history.push({ total, fee, zero });',
    '};',
  ]);
  const at = startOf(file, 'exports.iteration = function');
  const found = driver.allocatingCandidates(new Map(), file,
    { functionName: 'exports.iteration', scriptId: '3', lineNumber: at.lineNumber, columnNumber: at.columnNumber }, null);
  const bigints = Array.from(found).filter((c) => c.makes === 'bigint').map((c) => c.line);
  assert.deepStrictEqual(bigints, [5, 6]);
});

const sampledSection = () => driverSection(process.argv[2], "// What one sample of the inspector's profile stands for",
  '// --- the allocating line', ['addSample', 'rounded'], { kSamplingIntervalBytes: 2048 });

// A site's bytes from samples as the inspector reports them: each `size` already the
// profiler's estimate (an 80 B object kept with p = 1 - e^(-80/2048) comes as 80 * 26 =
// 2080 B), added as it is, with the error that p gives.
check("a site's bytes and their sampling error", () => {
  const sampled = sampledSection();
  const site = (estimates) => {
    const g = { count: 0, bytes: 0 };
    for (const e of estimates) sampled.addSample(g, e);
    return sampled.rounded(g);
  };
  const one = site([2080]);
  assert.strictEqual(one.count, 1);
  assert.strictEqual(one.bytes, 2080);
  // (80 * 26)^2 (1 - p): ~2,040 B.
  assert(one.bytes_error > 2000 && one.bytes_error < 2080, `error ${one.bytes_error}`);
  // Four such: the error grows as the square root of the count, the bytes as the count.
  const four = site([2080, 2080, 2080, 2080]);
  assert.strictEqual(four.bytes, 4 * 2080);
  assert(Math.abs(four.bytes_error - 2 * one.bytes_error) <= 2, `error ${four.bytes_error}`);
  // A 1 MiB object is sampled surely and comes as itself: its bytes are known.
  const large = site([1 << 20]);
  assert.strictEqual(large.bytes, 1 << 20);
  assert.strictEqual(large.bytes_error, 0);
  assert(!('variance' in large));
});

// The same against V8 itself: 40,000 small strings kept (~8 MB) while the sampling heap
// profiler runs, and the estimate from their samples against what the heap grew by (0.2%
// apart here). A sample's size taken for the object's and scaled again read ~1.56 times the
// growth. Strings, because an object or array literal's young allocation carries a 16 B
// allocation memento that V8 samples with it and that does not survive a GC: 40,000
// four-property literals (56 B) were sampled as 72 B allocations, 1.24 times their growth.
check('the bytes of real samples agree with the heap they stand for', async () => {
  const inspector = require('inspector');
  const v8 = require('v8');
  const sampled = sampledSection();
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => {
    session.post(method, params || {}, (e, r) => (e ? reject(e) : resolve(r)));
  });
  const kept = new Array(40000);
  global.gc();
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 2048 });
  global.gc();
  const before = v8.getHeapStatistics().used_heap_size;
  const mark = Math.max(0, ...(await post('HeapProfiler.getSamplingProfile')).profile.samples.map((x) => x.ordinal));
  for (let i = 0; i < kept.length; i++) kept[i] = String(i).padStart(40, 'k');
  global.gc();
  const grew = v8.getHeapStatistics().used_heap_size - before;
  const { profile } = await post('HeapProfiler.getSamplingProfile');
  await post('HeapProfiler.stopSampling');
  session.disconnect();
  const g = { count: 0, bytes: 0 };
  for (const x of profile.samples) if (x.ordinal > mark) sampled.addSample(g, x.size);
  const site = sampled.rounded(g);
  assert(kept.length === 40000);
  // ~8 MB in ~3,800 samples: an error of ~1.6%; the bar is 15%.
  assert(grew > 1e6, `the heap grew ${grew} B`);
  assert(Math.abs(site.bytes - grew) < 0.15 * grew, `estimate ${site.bytes} B (± ${site.bytes_error}) for a growth of ${grew} B`);
  assert(site.bytes_error > 0.01 * grew && site.bytes_error < 0.1 * grew, `error ${site.bytes_error}`);
});

// A retention check's window as the sampler counts it (window_sampled): what was allocated
// up to its second snapshot ('mark') and is still alive at the third ('write'). Each check
// starts a new sampler, whose ordinals start again at 1: a second check's window is its own,
// not the first one's (whose mark, carried over, took in what the second kept after its s2).
check("a check's window counts what it kept up to its second snapshot, the second check's too", () => {
  const section = driverSection(process.argv[2], '// --- allocation sites of a retention check',
    "// --- the leak check's checkpoint schedule", ['allocationSampling'],
    { require, fs, path, __filename: process.argv[2] });
  const keep = (n, tag) => Array.from({ length: n }, (_, i) => String(i).padStart(40, tag));
  const sample = section.allocationSampling;
  const near = (bytes, want, what) => assert(Math.abs(bytes - want) < 0.25 * want, `${what}: ${bytes} B, not ~${want}`);
  // Twice: what the previous check's sampler held weakly goes in the second.
  const used = () => {
    global.gc();
    global.gc();
    return require('v8').getHeapStatistics().used_heap_size;
  };
  // The window's total, and what the heap grew by over the window.
  const checkOf = (window, after) => {
    const from = used();
    sample('start');
    const kept = keep(window, 'w');
    const grew = used() - from;
    sample('mark');
    const later = keep(after, 'l');
    const r = sample('write');
    assert(kept.length + later.length > 0);
    return { total: r.total, grew };
  };
  const first = checkOf(20000, 40000);
  near(first.total.bytes, first.grew, 'the first window');
  assert(first.total.bytes_error > 0 && first.total.bytes_error < 0.1 * first.grew, `error ${first.total.bytes_error}`);
  // A fifth of the first's entries, against the first's count: the heap's growth over a
  // window this small moved by as much as what the first check left to collect (a CI run
  // read 0.63 MB for 0.84 MB sampled).
  const second = checkOf(4000, 40000);
  near(second.total.bytes, first.total.bytes / 5, 'the second window');
});

// A sample made in a package's code (under node_modules) that the module's own code called:
// its site is the module's frame, at its call into the package, as for node's own code. A
// package's frame is the site only where no frame of the module's called it, or where the
// module under test lies in that package itself; the innermost frame of the module's own
// still wins where the package calls back into it.
check("a package's code is named at the module's call into it", () => {
  const section = driverSection(process.argv[2], '// --- allocation sites of a retention check',
    "// --- the leak check's checkpoint schedule", ['groupSamples', 'sampling'],
    { require, fs, path, __filename: process.argv[2] });
  const app = path.join(dir, 'app');
  fs.mkdirSync(path.join(app, 'node_modules', '@acme', 'bus'), { recursive: true });
  const bus = path.join(app, 'node_modules', '@acme', 'bus', 'index.js');
  fs.writeFileSync(bus, [
    'class Bus {',
    '  subscribe(topic) {',
    '    const entry = { topic, slots: [0, 0, 0, 0] };',
    '    return entry;',
    '  }',
    '  each(fn) { return fn(this); }',
    '}',
    'module.exports = { Bus, make: function () { return { made: [1, 2, 3] }; } };',
  ].join('\n') + '\n');
  const module = source('orders.js', [
    "const { Bus, make } = require('@acme/bus');",
    'const bus = new Bus();',
    'function watch(i) {',
    "  const note = { i, at: 'x' };",
    "  const sub = bus.subscribe('orders');",
    '  return [note, sub];',
    '}',
    'function made() {',
    "  const tag = { kind: 'made' };",
    '  return [tag, make()];',
    '}',
    'function visit(b) { return { seen: b }; }',
    'exports.iteration = function (i) { watch(i); made(); return bus.each(visit); };',
  ]);
  let id = 0;
  const frame = (file, marker, name) => Object.assign({ functionName: name, scriptId: '7', url: file }, startOf(file, marker));
  const node = (callFrame, children = []) => ({ id: ++id, callFrame, children });
  const at = {};
  const sampleAt = (key, n) => { at[key] = n; return n; };
  const iteration = frame(module, 'exports.iteration = function', 'exports.iteration');
  const profile = (moduleFile) => {
    id = 0;
    const it = moduleFile === module ? iteration : frame(moduleFile, 'subscribe(topic)', 'Bus.subscribe');
    return {
      head: node({ functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, [
        node(it, [
          node(frame(module, 'function watch', 'watch'), [
            sampleAt('subscribe', node(frame(bus, 'subscribe(topic)', 'Bus.subscribe'))),
          ]),
          node(frame(module, 'function made', 'made'), [sampleAt('anonymous', node(frame(bus, 'make: function', '')))]),
          node(frame(bus, 'each(fn)', 'each'), [sampleAt('visit', node(frame(module, 'function visit', 'visit')))]),
        ]),
        // A package's timer, with no frame of the module's under it.
        sampleAt('alone', node(frame(bus, 'each(fn)', 'each'))),
      ]),
      samples: Object.keys(at).map((key, k) => ({ size: 4096, nodeId: at[key].id, ordinal: k + 1 })),
    };
  };
  const sitesOf = (moduleFile) => {
    section.sampling.iteration = { name: 'iteration', text: 'function (i) {', file: moduleFile };
    const grouped = section.groupSamples(profile(moduleFile), 100).window;
    return Array.from(grouped, (g) => `${path.basename(g.file)}:${g.line} ${g.function} ${g.position}`).sort();
  };
  assert.deepStrictEqual(sitesOf(module), [
    'index.js:6 each ALLOCATION_POSITION_CALL',  // the package's own timer: its frame
    'orders.js:12 visit ALLOCATION_POSITION_EXPRESSION',  // called back: the module's innermost
    'orders.js:5 watch ALLOCATION_POSITION_CALL',  // `bus.subscribe(`, by its method's name
    'orders.js:8 made ALLOCATION_POSITION_FUNCTION',  // an anonymous function's: a call, line unknown
  ].sort());
  // The module under test in that package itself: its frames are the user's, innermost named.
  const inside = sitesOf(bus);
  assert(inside.includes('index.js:3 Bus.subscribe ALLOCATION_POSITION_EXPRESSION'), inside.join('; '));
});

fs.rmSync(dir, { recursive: true, force: true });
