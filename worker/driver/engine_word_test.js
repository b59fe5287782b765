// The driver of a leak check against a scripted engine, over the real pipes: what the
// driver waits for, that every wait ends with what the engine is bound to send, and that
// the requests a window's iterations started have answered by its snapshots.
// Usage: node engine_word_test.js DRIVER_JS
'use strict';
const assert = require('assert');
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { check } = require('./driver_testing');

const driverPath = process.argv[2];

// A module of cheap iterations, holding nothing.
const kCheapModule = "'use strict';\nconst seen = [];\n" +
  'module.exports = { iteration(i) { seen.push({ i }); if (seen.length > 64) seen.length = 0; } };\n';

// Runs driver.js on a module (`source`, kCheapModule unless given) with a leak check of
// `budget` iterations, as the engine would, answering each event with `answer(event, say)`:
// `say(line)` writes a command. Resolves with the events and the driver's stderr once the
// driver is done; rejects when it has sent nothing for `quietMs` (it waits for a word the
// engine never sends) or exits without DONE.
function runDriver(budget, answer, { quietMs = 20000, source = kCheapModule } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-word-'));
  const modulePath = path.join(dir, 'module.js');
  fs.writeFileSync(modulePath, source);
  const configPath = path.join(dir, 'scenario.json');
  fs.writeFileSync(configPath, JSON.stringify({
    name: 'engine-word', kind: 'SCENARIO_KIND_SCRIPT', checkpoint_every: '20',
    script: { module_path: modulePath, iterations: String(budget) },
    leak_check: { iterations: String(budget) }, limits: {},
  }));
  const child = spawn(process.execPath, ['--expose-gc', driverPath, configPath],
    { stdio: ['pipe', 'ignore', 'pipe', 'pipe'] });
  const events = [];
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const say = (line) => child.stdin.write(line + '\n');
  return new Promise((resolve, reject) => {
    let quiet = null;
    const fail = (why) => {
      clearTimeout(quiet);
      child.kill('SIGKILL');
      reject(new Error(`${why}; last events: ${events.slice(-4).map((e) => e.type + ' ' + (e.units || (e.checkpoint || {}).units)).join(', ')}; ${stderr.slice(-300)}`));
    };
    const rearm = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => fail(`the driver sent nothing for ${quietMs} ms`), quietMs);
    };
    rearm();
    let buffered = '';
    child.stdio[3].on('data', (chunk) => {
      rearm();
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (!line.startsWith('{')) continue;  // the unit counter's lines
        const event = JSON.parse(line);
        events.push(event);
        if (event.type === 'DRIVER_EVENT_TYPE_DONE') {
          clearTimeout(quiet);
          fs.rmSync(dir, { recursive: true, force: true });
          resolve(Object.assign(events, { stderr }));
          return;
        }
        answer(event, say, dir);
      }
    });
    child.on('exit', (code) => {
      if (!events.some((e) => e.type === 'DRIVER_EVENT_TYPE_DONE')) fail(`the driver exited (${code}) without DONE`);
    });
  });
}

// The engine's side of one retention check: its first snapshot at the first after-GC point
// at or past `startAt`, each later one at `nextAt(units)` of the one before, and "stop" at
// the point after s3 (`stopAfterS3`) or at s3; "extend N" at the budget when `extendTo` is
// set. `answer` is runDriver's; `snapshots` and `s3` are what it saw.
function oneCheck({ startAt, nextAt, budget, extendTo = 0, stopAfterS3 = false }) {
  const state = { started: false, extended: false, snapshots: 0, s3: 0 };
  state.answer = (event, say, dir) => {
    if (event.type === 'DRIVER_EVENT_TYPE_CHECKPOINT' && event.checkpoint.after_gc) {
      const units = Number(event.checkpoint.units);
      if (extendTo > 0 && units >= budget && !state.extended) {
        state.extended = true;
        say(`extend ${extendTo}`);
      }
      if (units >= startAt && !state.started) {
        state.started = true;
        say(`snapshot start ${dir}/s1.heapsnapshot`);
      }
      if (state.s3 > 0 && (stopAfterS3 ? units > state.s3 : units >= state.s3)) say('stop');
      say(`seen ${units}`);
    } else if (event.type === 'DRIVER_EVENT_TYPE_SNAPSHOT') {
      state.snapshots++;
      const units = Number(event.units);
      if (state.snapshots === 1) say(`snapshot_at ${nextAt(units)} mark ${dir}/s2.heapsnapshot`);
      if (state.snapshots === 2) say(`snapshot_at ${nextAt(units)} write ${dir}/s3.heapsnapshot`);
      if (state.snapshots === 3) state.s3 = units;
      say('snapshot_seen');
    }
  };
  return state;
}

// A retention check that finds its window bounded, with its last snapshot (s3) before the
// extension's end: the engine's whole word on s3 is "snapshot_seen" (the run goes on), as
// when it found the window freed and starts the next check at the next point. The driver
// waited for another word there, the engine for the driver's next point: both stood still
// until 90% of the time limit (an async logger's check, 3 of 6 runs at 2,000).
check('a check whose s3 lies inside the extension goes on after the engine has seen s3', async () => {
  const budget = 200;
  const engine = oneCheck({ startAt: 1000, nextAt: (units) => units * 2, budget, extendTo: 100000, stopAfterS3: true });
  const events = await runDriver(budget, engine.answer);
  const { snapshots, s3 } = engine;
  assert.strictEqual(snapshots, 3, 'three snapshots');
  const after = events.filter((e) => e.type === 'DRIVER_EVENT_TYPE_CHECKPOINT' && Number(e.checkpoint.units) > s3);
  assert(after.length > 0, `no checkpoint after s3 (${s3})`);
});

// A module whose iterations each start a request (a DNS lookup, answered on libuv's threads)
// and keep its answer from the callback (io_corpus/dns_lookup_map.js).
// It reports to stderr, at each heap snapshot the driver writes, how many of the requests
// started so far had answered. A retention check's window [s1, s2] holds what its
// iterations made: where requests were in flight at s2, the window held the requests (freed)
// and not their answers, made after s2, and found the window freed where the answers leak
// (dns_lookup_map.js at 2,000 in a loaded run).
const kRequestsModule = `'use strict';
const dns = require('dns');
const fs = require('fs');
const v8 = require('v8');
const answers = new Map();
let started = 0;
const write = v8.writeHeapSnapshot;
v8.writeHeapSnapshot = (file) => {
  fs.writeSync(2, JSON.stringify({ file: require('path').basename(file), started, answered: answers.size }) + '\\n');
  return write(file);
};
module.exports = {
  iteration(i) {
    started++;
    dns.lookup('localhost', { family: 4 }, (err, address) => { answers.set(i, { address }); });
  },
};
`;

check('the requests a window started have answered when its snapshots are written', async () => {
  const engine = oneCheck({ startAt: 400, nextAt: (units) => units + 300, budget: 2000 });
  const events = await runDriver(2000, engine.answer, { source: kRequestsModule });
  const { snapshots } = engine;
  assert.strictEqual(snapshots, 3, 'three snapshots');
  const seen = events.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  for (const edge of ['s1.heapsnapshot', 's2.heapsnapshot']) {
    const at = seen.find((s) => s.file === edge);
    assert(at, `no snapshot ${edge}: ${events.stderr.slice(-300)}`);
    assert.strictEqual(at.answered, at.started, `${edge}: ${at.started - at.answered} of ${at.started} requests in flight`);
  }
});
