// The driver of a leak check against a scripted engine, over the real pipes: what the
// driver waits for, and that every wait ends with what the engine is bound to send.
// Usage: node engine_word_test.js DRIVER_JS
'use strict';
const assert = require('assert');
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { check } = require('./driver_testing');

const driverPath = process.argv[2];

// Runs driver.js on a module of cheap iterations with a leak check of `budget` iterations,
// as the engine would, answering each event with `answer(event, say)`: `say(line)` writes
// a command. Resolves with the events once the driver is done; rejects when it has sent
// nothing for `quietMs` (it waits for a word the engine never sends) or exits without DONE.
function runDriver(budget, answer, quietMs = 20000) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-word-'));
  const modulePath = path.join(dir, 'module.js');
  fs.writeFileSync(modulePath, "'use strict';\nconst seen = [];\n" +
    'module.exports = { iteration(i) { seen.push({ i }); if (seen.length > 64) seen.length = 0; } };\n');
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
          resolve(events);
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

// A retention check that finds its window bounded, with its last snapshot (s3) before the
// extension's end: the engine's whole word on s3 is "snapshot_seen" (the run goes on), as
// when it found the window freed and starts the next check at the next point. The driver
// waited for another word there, the engine for the driver's next point: both stood still
// until 90% of the time limit (an async logger's check, 3 of 6 runs at 2,000).
check('a check whose s3 lies inside the extension goes on after the engine has seen s3', async () => {
  const budget = 200;
  let extended = false;
  let started = false;
  let snapshots = 0;
  let s3 = 0;
  const events = await runDriver(budget, (event, say, dir) => {
    if (event.type === 'DRIVER_EVENT_TYPE_CHECKPOINT' && event.checkpoint.after_gc) {
      const units = Number(event.checkpoint.units);
      if (units >= budget && !extended) {
        extended = true;
        say('extend 100000');
      }
      if (units >= 1000 && !started) {
        started = true;
        say(`snapshot start ${dir}/s1.heapsnapshot`);
      }
      if (s3 > 0 && units > s3) say('stop');
      say(`seen ${units}`);
    } else if (event.type === 'DRIVER_EVENT_TYPE_SNAPSHOT') {
      snapshots++;
      const units = Number(event.units);
      if (snapshots === 1) say(`snapshot_at ${units * 2} mark ${dir}/s2.heapsnapshot`);
      if (snapshots === 2) say(`snapshot_at ${units * 2} write ${dir}/s3.heapsnapshot`);
      if (snapshots === 3) s3 = units;
      say('snapshot_seen');
    }
  });
  assert.strictEqual(snapshots, 3, 'three snapshots');
  const after = events.filter((e) => e.type === 'DRIVER_EVENT_TYPE_CHECKPOINT' && Number(e.checkpoint.units) > s3);
  assert(after.length > 0, `no checkpoint after s3 (${s3})`);
});
