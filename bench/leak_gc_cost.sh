#!/bin/bash
# The cost of a leak check's forced GCs (issue 13: under 10% of the run's wall time at the
# default settings), measured as an interleaved A/B in one run so the machine's load hits
# both sides alike: each module of the leak corpus named below runs as a plain `script`
# scenario (B, no leak check) and with `leak_check: {iterations: N}` (A, every default),
# alternating A, B, A, B, ... with one worker. Prints per module the median wall time of
# each side, and of the A runs: the iterations run (past the budget when a retention check
# ran on), the forced gc() calls, and three shares of the wall time from report.json: every
# GC pause (gc.pause_ms_total), the checkpoints' forced GCs alone (gc.forced_gc_ms), and
# the heap snapshots (gc.snapshot_ms).
#
#   bench/leak_gc_cost.sh [ITERATIONS] [PAIRS] [MODULE...]
#
# Defaults: 2000 iterations, 5 pairs, the corpus's non-leaking modules with cheap and with
# costly iterations (a leak check of a leak stops early, or runs past the budget to
# confirm it, so it does not compare like for like).
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
if [ -z "${HEAPSTORM:-}" ]; then  # or a binary built already
  bazel build //cli:heapstorm >/dev/null 2>&1
  HEAPSTORM=$(bazel info bazel-bin 2>/dev/null)/cli/heapstorm
fi
CORPUS=$(pwd)/tests/fixtures/leak_corpus
SUITE="$OUT/suite.yaml"
echo "scenarios:" > "$SUITE"
for ((p = 0; p < PAIRS; p++)); do
  for m in "${MODULES[@]}"; do
    n=$(echo "$m" | tr -c 'a-z0-9\n' '-')
    for side in on off; do
      echo "  - name: $n-$side-$p" >> "$SUITE"
      echo "    kind: script" >> "$SUITE"
      echo "    params: {module: $CORPUS/$m, iterations: $ITER}" >> "$SUITE"
      [ "$side" = on ] && echo "    leak_check: {iterations: $ITER}" >> "$SUITE"
      echo "    limits: {timeout: 10m}" >> "$SUITE"
    done
  done
done
rm -rf "$OUT/out"
uptime
"$HEAPSTORM" run "$SUITE" --workers 1 --out "$OUT/out" > "$OUT/run.log" 2>&1 || true
uptime
python3 - "$OUT/out/report.json" <<'PY'
import json, re, statistics, sys
runs = json.load(open(sys.argv[1]))["runs"]
by = {}
for r in runs:
    m = re.match(r"(.*)-(on|off)-\d+$", r["scenario"])
    d = by.setdefault(m.group(1), {"on": [], "off": [], "share": [], "forced": [], "snap": [], "n": [], "units": []})
    d[m.group(2)].append(r["wall_ms"])
    if m.group(2) == "on":
        gc = r.get("gc", {})
        d["share"].append(gc.get("pause_ms_total", 0) / r["wall_ms"])
        d["forced"].append(gc.get("forced_gc_ms", 0) / r["wall_ms"])
        d["snap"].append(gc.get("snapshot_ms", 0) / r["wall_ms"])
        d["n"].append(int(gc.get("forced_gcs", 0)))
        d["units"].append(int(r.get("units_reached", 0)))
# pause share: report.json gc.pause_ms_total / wall_ms (every GC the run saw, forced or not);
# forced: the checkpoints' gc() calls alone (gc.forced_gc_ms); snapshots: writing the
# retention check's three heap snapshots (gc.snapshot_ms), not among the pauses.
print("| module | wall ms off (median) | on (median) | iterations on | forced gc() calls | GC pause share | forced-GC share | snapshot share |")
print("|---|---|---|---|---|---|---|---|")
pct = lambda v: f"{100 * statistics.median(v):.0f}%"
for name, d in sorted(by.items()):
    on, off = statistics.median(d["on"]), statistics.median(d["off"])
    print(f"| {name} | {off:.0f} | {on:.0f} | {statistics.median(d['units']):.0f} | {statistics.median(d['n']):.0f} | "
          f"{pct(d['share'])} | {pct(d['forced'])} | {pct(d['snap'])} |")
PY
