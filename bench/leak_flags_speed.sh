#!/bin/bash
# What the node flags of a leak check (Engine::LeakCheckNodeFlags: no allocation folding, no
# inlining, no inlined array builtins, no Maglev inlining) cost a module's iterations: each
# MODULE's iteration() is timed in plain node, without and with the flags, taking turns
# (REPEATS pairs, so the machine's load hits both alike), after a warm-up of 2,000
# iterations. A leak check's figures read from the run (its iterations per second, and the
# time to a full old space projected from them) are those of the slower node. Not run in CI.
#
#   bench/leak_flags_speed.sh [ITERATIONS=100000] [REPEATS=3] MODULE...
#   bench/leak_flags_speed.sh 100000 3 tests/fixtures/leak_corpus/set_window.js calls arrays
#
# A MODULE is a module's path, or `calls` / `arrays`: a module written into $OUT that calls
# small functions in a hot loop, or chains map/filter/reduce over a small array (what the
# flags slow most). Prints per module the iterations per second of each repeat, plain and
# with the flags, and the ratio of their medians.
set -euo pipefail
cd "$(dirname "$0")/.."
ITER=${1:-100000}
REPEATS=${2:-3}
shift 2 || shift $# || true
[ $# -gt 0 ] || set -- calls arrays
OUT=${OUT:-/tmp/leak_flags_speed}
mkdir -p "$OUT"
FLAGS=(--no-turbo-allocation-folding --no-turbo-inlining --no-turbo-inline-array-builtins)
node --v8-options | grep -q -- '--maglev-inlining' && FLAGS+=(--no-maglev-inlining)

cat > "$OUT/calls.js" <<'JS'
'use strict';
function add(a, b) { return { x: a.x + b.x, y: a.y + b.y }; }
function len(v) { return Math.sqrt(v.x * v.x + v.y * v.y); }
exports.iteration = function (i) {
  let p = { x: i, y: 1 };
  let s = 0;
  for (let k = 0; k < 50; k++) { p = add(p, { x: 1, y: k }); s += len(p); }
  return s;
};
JS
cat > "$OUT/arrays.js" <<'JS'
'use strict';
exports.iteration = function (i) {
  const a = [i, i + 1, i + 2, i + 3, i + 4, i + 5, i + 6, i + 7];
  return a.map((x) => x * 2).filter((x) => x % 3 !== 0).reduce((s, x) => s + x, 0);
};
JS
cat > "$OUT/time.js" <<'JS'
'use strict';
// node time.js MODULE N: N iterations per second, after 2,000 to warm up.
const mod = require(require('path').resolve(process.argv[2]));
const n = Number(process.argv[3]);
(async () => {
  if (mod.setup) await mod.setup();
  for (let i = 0; i < 2000; i++) { const r = mod.iteration(i); if (r && r.then) await r; }
  const t0 = process.hrtime.bigint();
  for (let i = 2000; i < 2000 + n; i++) { const r = mod.iteration(i); if (r && r.then) await r; }
  console.log(Math.round(n / (Number(process.hrtime.bigint() - t0) / 1e9)));
  process.exit(0);
})();
JS

median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "node $(node --version); flags: ${FLAGS[*]}"
for m in "$@"; do
  case "$m" in calls|arrays) file="$OUT/$m.js" ;; *) file=$m ;; esac
  plain="" flagged=""
  for _ in $(seq "$REPEATS"); do
    plain="$plain $(node "$OUT/time.js" "$file" "$ITER")"
    flagged="$flagged $(node "${FLAGS[@]}" "$OUT/time.js" "$file" "$ITER")"
  done
  a=$(echo "$plain" | median)
  b=$(echo "$flagged" | median)
  echo "$(basename "$file"): plain$plain; flags$flagged; plain/flags $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", a / b}')"
done
