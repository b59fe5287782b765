// bench/leak_peers: leakage on one case, through its iterate() (iterate.async for a case
// whose iteration returns a promise): ROUNDS heap diffs of ITERATIONS calls each; leakage
// throws a MemoryLeakError when the heap grew in more than 2/3 of them in a row. The
// culprit is the first line of its "Final GC details" (the constructor that grew most).
//
//   node run_leakage.js CASE OUT.json [ITERATIONS=1000] [ROUNDS=6]
'use strict';

const { iterate, MemoryLeakError } = require('leakage');
const { loadCase, resultWriter, secondsSince } = require('./load_case');

async function main() {
  const [file, out, itArg, roundsArg] = process.argv.slice(2);
  const writeResult = resultWriter(out);
  const iterations = Number(itArg || 1000);
  const gcollections = Number(roundsArg || 6);
  const t0 = process.hrtime.bigint();
  const result = { tool: 'leakage', case: file, verdict: 'no_leak', iterations: 0, seconds: 0, culprit: '' };
  let i = 0;
  try {
    const mod = await loadCase(file);
    await mod.setup();
    const first = mod.iteration(i++);
    const isAsync = first && typeof first.then === 'function';
    if (isAsync) await first;
    const fn = () => mod.iteration(i++);
    if (isAsync) await iterate.async(fn, { iterations, gcollections });
    else iterate(fn, { iterations, gcollections });
    await mod.teardown();
  } catch (err) {
    if (err instanceof MemoryLeakError) {
      result.verdict = 'leak';
      const m = /\[\s*[^\]]+\]\s*\[\+\s*\d+x\]\s*\[-\s*\d+x\]\s*(.+)/.exec(err.message);
      result.culprit = m ? m[1].trim() : '';
      result.detail = err.message.split('\n')[0].slice(0, 200);
    } else {
      result.verdict = 'error';
      result.detail = String(err && err.message || err).slice(0, 200);
    }
  }
  result.iterations = i;
  result.seconds = secondsSince(t0);
  writeResult(result);
  process.exit(0);
}

main();
