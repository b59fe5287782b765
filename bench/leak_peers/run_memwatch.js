// bench/leak_peers: @airbnb/node-memwatch on one case. node-memwatch 3 no longer emits
// `leak`, so the original memwatch rule is applied here to its `stats` events: a leak when
// the heap used after a full GC grew on 5 consecutive full GCs. A full GC is forced every
// EVERY iterations (memwatch.gc(), which runs two back to back, each with its own `stats`
// event, delivered late); the heap of a checkpoint is the smallest `used_heap_size` among the
// `stats` events since the previous one (natural full GCs in between included). The culprit
// is the constructor that grew most (bytes) in a HeapDiff from the end of the warm-up to
// the verdict.
//
//   node run_memwatch.js CASE OUT.json [ITERATIONS=6000] [EVERY=100] [WARMUP=200]
'use strict';

const memwatch = require('@airbnb/node-memwatch');
const { loadCase, runIterations, resultWriter, secondsSince } = require('./load_case');

const tick = () => new Promise((r) => setImmediate(r));

async function main() {
  const [file, out, itArg, everyArg, warmArg] = process.argv.slice(2);
  const writeResult = resultWriter(out);
  const iterations = Number(itArg || 6000);
  const every = Number(everyArg || 100);
  const warmup = Number(warmArg || 200);
  const t0 = process.hrtime.bigint();
  const result = { tool: 'memwatch', case: file, verdict: 'no_leak', iterations: 0, seconds: 0, culprit: '' };
  let since = Infinity; // smallest used_heap_size since the last checkpoint
  let last = -1;
  let streak = 0;
  let done = 0;
  let decidedAt = null;
  memwatch.on('stats', (s) => { since = Math.min(since, s.used_heap_size); });
  const checkpoint = async () => {
    memwatch.gc();
    await tick();
    await tick();
    if (since === Infinity) return; // no event arrived yet: it counts at the next one
    streak = last >= 0 && since > last ? streak + 1 : 0;
    last = since;
    since = Infinity;
    if (streak >= 5 && !decidedAt) decidedAt = { iterations: done, seconds: secondsSince(t0) };
  };
  try {
    const mod = await loadCase(file);
    await mod.setup();
    await runIterations(mod, 0, warmup);
    done = warmup;
    await checkpoint();
    const diff = new memwatch.HeapDiff();
    while (done < warmup + iterations && !decidedAt) {
      const next = Math.min(done + every, warmup + iterations);
      await runIterations(mod, done, next);
      done = next;
      await checkpoint();
    }
    const change = diff.end().change;
    const top = change.details.filter((d) => d.size_bytes > 0).sort((a, b) => b.size_bytes - a.size_bytes);
    result.verdict = decidedAt ? 'leak' : 'no_leak';
    result.iterations = decidedAt ? decidedAt.iterations : done;
    result.seconds = decidedAt ? decidedAt.seconds : secondsSince(t0);
    result.culprit = top.length ? top[0].what : '';
    result.detail = top.slice(0, 3).map((d) => `${d.what} +${d.size_bytes} B`).join(', ');
    await mod.teardown();
  } catch (err) {
    result.verdict = 'error';
    result.iterations = done;
    result.seconds = secondsSince(t0);
    result.detail = String(err && err.message || err).slice(0, 200);
  }
  writeResult(result);
  process.exit(0);
}

main();
