// Unit test of the leak check's checkpoint schedule (driver.js nextLeakCheckpoint), pure
// logic: the schedule's section of driver.js is read from the file and evaluated alone (no
// scenario, no child process), and the ramp's checkpoints are replayed over it: the points
// do not depend on the budget, their number grows with the logarithm of the iterations
// (each point is a forced GC: issue 13, under 10% of the run's wall time), and the points
// the verdicts read are all there (the minimum count the detector needs by 2,000
// iterations at the widest spacing; s2, s3 and 4+ points over the later half of [s2, s3]).
//
//   node leak_schedule_test.js path/to/driver.js
'use strict';
const assert = require('assert');
const { driverSection, check } = require('./driver_testing');

const { nextLeakCheckpoint, readsTheBudgetsEnd } = driverSection(process.argv[2], '// --- the leak check\'s checkpoint schedule',
  'function leakSchedule(', ['nextLeakCheckpoint', 'readsTheBudgetsEnd']);

const kWarmup = 100;
const kMinPointsForNoLeak = 20;  // worker/engine/leak_detector.h
const kMaxSpacing = 0.12;        // the widest the share may make it (kLeakMaxSpacing)

// The after-GC checkpoints of a leak check, as ramp() takes them: the schedule's, the
// budget's end (but in a retention check whose next snapshot lies past it), and planned
// snapshots. retention = {s1, s2, s3}: a retention check that starts at the first point at
// or after s1 (its first snapshot is written there, and the plan of s2 is in before the
// next point is set), then s2, whose snapshot brings the plan of s3 (in before the point
// after s2 is set), then s3, which closes it. retention.s4: its confirmation is watched on
// to a fourth ("reach") snapshot there, planned at s3.
function points(target, share, cap, retention) {
  const out = [0];
  let units = 0;
  let s2 = 0;
  let planned = Infinity;
  let started = false;
  let retaining = false;
  let reaching = false;
  const end = retention ? Math.max(target, retention.s4 || retention.s3) : target;
  for (;;) {
    let due = nextLeakCheckpoint(units, { warmup: kWarmup, cap, target, share, retaining, s2, planned, reaching });
    if (units < target && readsTheBudgetsEnd(retaining, planned, target)) due = Math.min(due, target);
    due = Math.min(due, planned);
    assert(due > units, `no progress at ${units}`);
    units = due;
    if (units > end) break;
    out.push(units);
    if (units === end) break;
    if (retention && !started && units >= retention.s1) {
      started = retaining = true;
      planned = Math.max(retention.s2, units + 1);
    } else if (retention && units === planned && s2 === 0) {
      s2 = units;
      planned = retention.s3;
    } else if (units === planned && retaining && retention.s4) {
      planned = retention.s4;
      retaining = false;
      reaching = true;
    } else if (units === planned) {
      planned = Infinity;
      retaining = reaching = false;
    }
  }
  return out;
}

const between = (p, lo, hi) => p.filter((u) => u >= lo && u <= hi);

check('warm-up points 0, 1, 2, 4, ..., 64, then warmup_iterations', () => {
  const warmup = [0, 1, 2, 4, 8, 16, 32, 64, 100];
  for (const share of [0, 1]) assert.deepStrictEqual(points(2000, share, 0).slice(0, warmup.length), warmup);
});

check('a larger budget only adds points at the end', () => {
  for (const share of [0, 0.1, 1]) {
    const small = points(2000, share, 0);
    const large = points(30000, share, 0);
    // Below the smaller budget, the same points, but the one moved onto its end.
    const inLarge = new Set(large);
    const missing = small.filter((u) => u < 2000 && !inLarge.has(u));
    assert.deepStrictEqual(missing, [], `share ${share}`);
    assert(between(large, 0, 1999).length - between(small, 0, 1999).length <= 1, `share ${share}`);
    assert.strictEqual(small[small.length - 1], 2000);
  }
});

check('the number of forced-GC points grows with the logarithm of the iterations', () => {
  for (const n of [2000, 10000, 30000, 1000000]) {
    const dense = points(n, 0, 0).length;
    const wide = points(n, 1, 0).length;
    // 4% apart from warmup_iterations on (12% when forced GCs take their share), the
    // warm-up's 8 and the budget's end.
    assert(dense <= 8 + Math.log(n / kWarmup) / Math.log(1.04) + 2, `${n}: ${dense} points at 4%`);
    assert(wide <= 8 + Math.log(n / kWarmup) / Math.log(1 + kMaxSpacing) + 2, `${n}: ${wide} points at 12%`);
  }
  // Ten times the budget, about 59 points more at 4%, 20 at 12%, not ten times as many.
  assert(points(20000, 1, 0).length - points(2000, 1, 0).length <= 22);
});

check('enough points for a verdict by 2,000 iterations, however wide the spacing', () => {
  for (const share of [0, 0.08, 0.2, 1]) {
    const p = between(points(2000, share, 0), kWarmup, 2000);
    assert(p.length >= kMinPointsForNoLeak + 4, `share ${share}: ${p.length} points in [100, 2000]`);
  }
});

check('no point right before the budget\'s end: it moves onto it', () => {
  for (const n of [2000, 2500, 10000, 30000]) {
    for (const share of [0, 1]) {
      const p = points(n, share, 0);
      const [q, last, end] = p.slice(-3);
      assert.strictEqual(end, n);
      assert(n - last >= 0.4 * (last - q), `${n}: ... ${q}, ${last}, ${end}`);
    }
  }
});

check('checkpoint_every caps the spacing up to the budget only', () => {
  const p = points(20000, 1, 100, { s1: 801, s2: 1200, s3: 22000 });
  const below = between(p, kWarmup, 20000);
  for (let k = 1; k < below.length; k++) assert(below[k] - below[k - 1] <= 100, `${below[k - 1]} -> ${below[k]}`);
  assert(between(p, 20001, 22000).length <= 6, `${between(p, 20001, 22000)}`);
});

check('a retention check past the budget: s2, s3 and what its verdict reads, no point more', () => {
  for (const share of [0, 1]) {
    const r = { s1: 898, s2: 1098, s3: 8784 };
    const p = points(2000, share, 0, r);
    const s1 = p.find((u) => u >= r.s1);
    assert(p.includes(r.s2) && p.includes(r.s3), `${p}`);
    // RunMonitor::FinishRetention: the slope and rise over the later part of [s2, s3] with
    // 4+ points (from s3 / 2 here: LaterPartFrom), the rate over [s1, s3].
    const later = Math.min(r.s2 + Math.floor((r.s3 - r.s2) / 2), Math.floor(r.s3 / 2));
    assert(p.includes(later), `no point where the later part starts (${later}): ${p}`);
    assert(between(p, later, r.s3).length >= 9, `later part from ${later}: ${between(p, later, r.s3)}`);
    // Nothing between s1 and s2, nor between s2 and the later part, reads a point: none is
    // taken there, the budget's end neither (each a forced GC that costs about twice one
    // before the check).
    assert.deepStrictEqual(between(p, s1 + 1, r.s2 - 1), [], `${p}`);
    assert.deepStrictEqual(between(p, r.s2 + 1, later - 1), [], `${p}`);
    // s3 within the budget: the budget's end is taken after it.
    const within = points(20000, share, 0, r);
    assert(within.includes(20000) && within.includes(r.s3), `${within}`);
    // As far as 10 budgets: s2, the later part's points and s3 past the budget.
    const far = between(points(2000, share, 0, { s1: 898, s2: 1500, s3: 20000 }), 2001, 20000);
    assert.strictEqual(far.length, 9, `${far} past the budget to 20000`);
    const lateS2 = between(points(2000, share, 0, { s1: 1776, s2: 2400, s3: 20000 }), 2001, 20000);
    assert.strictEqual(lateS2.length, 10, `${lateS2} past the budget to 20000`);
  }
});

check('a confirmation watched on to a fourth snapshot: the later part of [s2, s4] alone', () => {
  for (const share of [0, 1]) {
    const r = { s1: 898, s2: 1098, s3: 8784, s4: 26545 };
    const p = points(2000, share, 0, r);
    assert(p.includes(r.s3) && p.includes(r.s4), `${p}`);
    // RunMonitor::FinishRetention again, s4 for s3: the later part of [s2, s4] with 4+ points,
    // and its two halves (a knee: HoldsAKnee) with 4+ points each.
    const later = Math.min(r.s2 + Math.floor((r.s4 - r.s2) / 2), Math.floor(r.s4 / 2));
    assert(p.includes(later), `no point where the later part starts (${later}): ${p}`);
    assert(between(p, later, r.s4).length >= 9, `later part from ${later}: ${between(p, later, r.s4)}`);
    const half = later + Math.floor((r.s4 - later) / 2);
    assert(between(p, later, half).length >= 4, `first half to ${half}: ${between(p, later, half)}`);
    assert(between(p, half, r.s4).length >= 4, `last half from ${half}: ${between(p, half, r.s4)}`);
    // Nothing between s3 and the later part reads a point: none is taken there.
    assert.deepStrictEqual(between(p, r.s3 + 1, later - 1), [], `${p}`);
    // A watch that ends before twice s3: the later part starts before s3, and the points
    // past s3 are its steps.
    const short = points(2000, share, 0, { s1: 898, s2: 1098, s3: 8784, s4: 13176 });
    const shortLater = Math.min(1098 + Math.floor((13176 - 1098) / 2), Math.floor(13176 / 2));
    assert(between(short, shortLater, 13176).length >= 9, `${short}`);
    assert(between(short, 8785, 13176).length <= 9, `${short}`);
  }
});

check('a count\'s trend watched on: the spacing\'s points, then even steps over its later half', () => {
  for (const share of [0, 1]) {
    const from = 801;
    const until = 8 * from;
    const p = [];
    let units = from;
    while (units < until) {
      units = nextLeakCheckpoint(units, {
        warmup: kWarmup, cap: 0, target: 2000, share, retaining: false, s2: 0, planned: Infinity, countFrom: from,
        countUntil: until,
      });
      p.push(units);
    }
    assert.strictEqual(p[p.length - 1], until, `${p}`);
    // RunMonitor::DecideCount reads the later half of [from, until] (LaterPartFrom).
    const later = Math.min(from + Math.floor((until - from) / 2), Math.floor(until / 2));
    assert(p.includes(later), `no point where the later half starts (${later}): ${p}`);
    const even = between(p, later, until);
    assert(even.length >= 9, `${even}`);
    const steps = even.slice(1).map((u, k) => u - even[k]);
    assert(Math.max(...steps) - Math.min(...steps) <= 8, `uneven steps over the later half: ${even}`);
    // Before it, the spacing's points (a descriptor count that runs out there is read).
    assert(between(p, from + 1, later - 1).length >= 3, `${p}`);
  }
});
