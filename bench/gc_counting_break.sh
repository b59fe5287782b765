#!/bin/bash
# Does the way the driver hears of GCs move a breaking point? Plain node, no heapstorm: a
# cache of ~1 KiB entries under a 66Mi old space, run three at a time on this 2-core
# machine (no GC counting; a PerformanceObserver of 'gc' entries; V8's GC profiler taken
# over every 1,000 units, as the driver's checkpoints do). Prints, per way, the runs V8
# ended with "Ineffective mark-compacts near heap limit" (before its heap was full) and the
# units each run reached (to the 100 below).
#
#   bench/gc_counting_break.sh [ROUNDS]        # default 10
set -euo pipefail
ROUNDS=${1:-10}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
cat > "$DIR/cache.js" <<'JS'
const profiles = new Map();
module.exports = { iteration(i) { const id = 'user-' + i; profiles.set(id, { id, name: 'n' + i, about: 'x'.repeat(1023) + (i % 10), seen: i }); } };
JS
cat > "$DIR/loop.js" <<'JS'
const fs = require('fs');
const v8 = require('v8');
const m = require(process.argv[2]);
const way = process.argv[3];
if (way === 'observer') {
  const { PerformanceObserver } = require('perf_hooks');
  new PerformanceObserver((list) => { list.getEntries(); }).observe({ entryTypes: ['gc'] });
}
let profiler = null;
if (way.startsWith('profiler')) { profiler = new v8.GCProfiler(); profiler.start(); }
const turn = () => new Promise((resolve) => setImmediate(resolve));
(async () => {
  for (let i = 0; i < 1000000; i++) {
    m.iteration(i);
    if ((i + 1) % 1000 === 0) {
      if (profiler) { profiler.stop(); if (way === 'profiler-new') profiler = new v8.GCProfiler(); profiler.start(); }
      await turn();
    }
    if (i % 100 === 0) fs.writeSync(2, 'p ' + i + '\n');
  }
})();
JS
WAYS=(none observer profiler profiler-new)
for round in $(seq 1 "$ROUNDS"); do
  for way in "${WAYS[@]}"; do
    (node --max-old-space-size=66 --max-semi-space-size=16 "$DIR/loop.js" "$DIR/cache.js" "$way" \
      2>"$DIR/$way.$round" >/dev/null || true) &
  done
  wait
done 2>/dev/null
for way in "${WAYS[@]}"; do
  ineffective=$(cat "$DIR/$way".* | grep -c "Ineffective mark-compacts" || true)
  reached=$(for f in "$DIR/$way".*; do grep '^p ' "$f" | tail -1 | cut -d' ' -f2; done | sort -n | tr '\n' ' ')
  echo "$way: ineffective mark-compacts in $ineffective of $ROUNDS; units reached: $reached"
done
