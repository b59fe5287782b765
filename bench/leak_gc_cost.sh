#!/bin/bash
# The cost of a leak check's forced GCs (issue 13: under 10% of the run's wall time at the
# default settings), measured as an interleaved A/B in one run so the machine's load hits
# both sides alike: each module of the leak corpus named below runs as a plain `script`
# scenario (B, no leak check) and with `leak_check: {iterations: N}` (A, every default),
# alternating A, B, A, B, ... with one worker. With BUILDS="name=binary name=binary ...",
# the builds take turns too (pair 1 of each build, then pair 2 of each, ...), so a
# before/after comparison shares the machine's load as well.
#
# Prints per build and module the median wall time of each side, and of the A runs: the
# iterations run (past the budget when a retention check ran on), the major GCs
# (gc.mark_compacts: forced ones and V8's own; a count the load does not change), the
# forced gc() calls (gc.forced_gcs), and three shares of the wall time from report.json:
# every GC pause (gc.pause_ms_total), the checkpoints' forced GCs alone (gc.forced_gc_ms),
# and writing the retention check's heap snapshots (gc.snapshot_ms, not among the pauses).
# A build older than those fields prints "-" for them.
#
#   [BUILDS="before=/path/heapstorm after=/path/heapstorm"] bench/leak_gc_cost.sh [ITERATIONS] [PAIRS] [MODULE...]
#   bench/leak_gc_cost.sh 2000 2 busy:3 busy:10 busy:30 busy:100   # the share against an iteration's cost
#
# Defaults: 2000 iterations, 5 pairs, the corpus's non-leaking modules with cheap and with
# costly iterations (a leak check of a leak stops early, or runs past the budget to
# confirm it, so it does not compare like for like); one build, $HEAPSTORM or this tree's.
# A MODULE is a file of tests/fixtures/leak_corpus, a path to any module, or busy:N: a
# module written into $OUT that keeps nothing and spends N µs per iteration making small
# objects (busy:0, one pass: the cheapest module), to see how the share falls as the
# module's own work grows.
set -euo pipefail
cd "$(dirname "$0")/.."
ITER=${1:-2000}
PAIRS=${2:-5}
shift 2 || shift $# || true
MODULES=("$@")
[ ${#MODULES[@]} -gt 0 ] || MODULES=(template_cache.js ring_log.mjs set_window.js buffer_churn_big.js eval_rules.mjs timers_rearmed.js)
OUT=${OUT:-/tmp/leak_gc_cost}
mkdir -p "$OUT/tmp"
export TMPDIR="$OUT/tmp"
if [ -z "${BUILDS:-}" ]; then
  if [ -z "${HEAPSTORM:-}" ]; then  # or a binary built already
    bazel build //cli:heapstorm >/dev/null 2>&1
    HEAPSTORM=$(bazel info bazel-bin 2>/dev/null)/cli/heapstorm
  fi
  BUILDS="this=$HEAPSTORM"
fi
CORPUS=$(pwd)/tests/fixtures/leak_corpus
# The module file of a MODULE argument (see above).
module_file() {
  case "$1" in
    busy:*)
      local us=${1#busy:} f="$OUT/busy_${1#busy:}us.js"
      cat > "$f" <<JS
'use strict';
// NO LEAK: spends ${us} µs per iteration (at least one pass) making small objects and
// strings, and keeps nothing.
exports.iteration = function (i) {
  const end = process.hrtime.bigint() + BigInt(${us} * 1000);
  let n = 0;
  do {
    const o = { id: i + n, name: 'user' + (i + n) };
    n += o.name.length;
  } while (process.hrtime.bigint() < end);
  return n;
};
JS
      echo "$f" ;;
    */*) realpath "$1" ;;
    *) echo "$CORPUS/$1" ;;
  esac
}
rm -rf "$OUT/out"
uptime
for ((p = 0; p < PAIRS; p++)); do
  SUITE="$OUT/suite-$p.yaml"
  echo "scenarios:" > "$SUITE"
  for m in "${MODULES[@]}"; do
    n=$(basename "$(module_file "$m")" | tr -c 'a-z0-9\n' '-')
    for side in on off; do
      echo "  - name: $n-$side-$p" >> "$SUITE"
      echo "    kind: script" >> "$SUITE"
      echo "    params: {module: $(module_file "$m"), iterations: $ITER}" >> "$SUITE"
      [ "$side" = on ] && echo "    leak_check: {iterations: $ITER}" >> "$SUITE"
      echo "    limits: {timeout: 10m}" >> "$SUITE"
    done
  done
  for b in $BUILDS; do
    "${b#*=}" run "$SUITE" --workers 1 --out "$OUT/out/${b%%=*}/$p" > "$OUT/run-${b%%=*}-$p.log" 2>&1 || true
  done
  uptime
done
python3 - "$OUT/out" $BUILDS <<'PY'
import glob, json, re, statistics, sys
root, builds = sys.argv[1], [b.split("=", 1)[0] for b in sys.argv[2:]]
med = statistics.median
pct = lambda v: f"{100 * med(v):.1f}%" if v else "-"
print("| build | module | wall ms off (median) | on (median) | iterations on | major GCs | forced gc() calls | "
      "GC pause share | forced-GC share | snapshot share | verdicts |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for build in builds:
    by = {}
    for f in sorted(glob.glob(f"{root}/{build}/*/report.json")):
        for r in json.load(open(f))["runs"]:
            m = re.match(r"(.*)-(on|off)-\d+$", r["scenario"])
            d = by.setdefault(m.group(1), {"on": [], "off": [], "share": [], "forced": [], "snap": [], "n": [],
                                           "major": [], "units": [], "verdicts": []})
            d[m.group(2)].append(r["wall_ms"])
            if m.group(2) != "on":
                continue
            gc = r.get("gc", {})
            d["share"].append(gc.get("pause_ms_total", 0) / r["wall_ms"])
            d["major"].append(int(gc.get("mark_compacts", 0)))
            d["units"].append(int(r.get("units_reached", 0)))
            d["verdicts"].append(r.get("leak", {}).get("verdict", "?").replace("LEAK_VERDICT_", "").lower())
            if "forced_gcs" in gc:
                d["forced"].append(gc.get("forced_gc_ms", 0) / r["wall_ms"])
                d["snap"].append(gc.get("snapshot_ms", 0) / r["wall_ms"])
                d["n"].append(int(gc["forced_gcs"]))
    for name, d in sorted(by.items()):
        if not d["on"] or not d["off"]:
            continue
        on, off = med(d["on"]), med(d["off"])
        n = f"{med(d['n']):.0f}" if d["n"] else "-"
        print(f"| {build} | {name} | {off:.0f} | {on:.0f} | {med(d['units']):.0f} | {med(d['major']):.0f} | {n} | "
              f"{pct(d['share'])} | {pct(d['forced'])} | {pct(d['snap'])} | {', '.join(d['verdicts'])} |")
PY
