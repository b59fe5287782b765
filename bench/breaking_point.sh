#!/usr/bin/env bash
# Breaking points against ground truth, and the cost of the driver's unit counter.
#
#   bench/breaking_point.sh             # about 5 minutes on 2 cores; REPEATS=3 by default
#
# 1. Ground truth: tests/fixtures/capacity/ground_truth.js runs a module in plain node under
#    the same limits and writes its count to a pipe after every unit. Then `heapstorm run`
#    ramps the same module with a target 10x that break and the default checkpoint_every
#    (target / 100), and a `search` bisects params.iterations from 1 to that target to one
#    unit. Printed: the error of each against the truth, and the runs each needed.
#    Cases: 1 MiB buffers under a 256Mi memory cgroup, sessions under a 64Mi old space.
# 2. The unit counter: the driver (worker/driver/driver.js) run directly on each built-in
#    kind at its example suite's parameters, with the counter and with a copy whose
#    unitDone() returns at once; the time of the ramp (the last checkpoint's t_ms),
#    interleaved, as the ratio with ÷ without (min / median / max).
# Raw data in bench/out/breaking/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${REPEATS:-3}
out=bench/out/breaking
root=$PWD
rm -rf "$out"
mkdir -p "$out/tmp"
# heapstorm's scratch of its own: no other heapstorm's stale-folder sweep can reach it.
export TMPDIR=$PWD/$out/tmp
# Counts and ratios of node time only: the build mode of heapstorm does not move them.
bazel build //cli:heapstorm >&2
heapstorm=bazel-bin/cli/heapstorm
flags="--max-semi-space-size=16 --stack-size=984"

# The last line a command writes to fd 3.
last_count() { tail -n 1 "$1" 2>/dev/null || echo 0; }

truth() {  # truth MODULE OLD_SPACE_MIB NATIVE_MIB(0 = none) → count
  local module=$1 old=$2 native=$3 file=$out/truth.$$
  if [ "$native" -gt 0 ]; then
    local own cg
    own=$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' /proc/self/cgroup | cut -d: -f3)
    cg=/sys/fs/cgroup/memory${own%/}/heapstorm-bench-$$
    mkdir -p "$cg"
    echo $((native << 20)) >"$cg/memory.limit_in_bytes"
    ( echo $BASHPID >"$cg/cgroup.procs"
      exec node --max-old-space-size="$old" $flags tests/fixtures/capacity/ground_truth.js "$module" 100000000 \
        3> >(tail -n 1 >"$file") ) >/dev/null 2>&1 || true
    rmdir "$cg" 2>/dev/null || true
  else
    node --max-old-space-size="$old" $flags tests/fixtures/capacity/ground_truth.js "$module" 100000000 \
      3> >(tail -n 1 >"$file") >/dev/null 2>&1 || true
  fi
  sleep 0.5  # the tail of the process substitution finishing its write
  last_count "$file"
}

field() {  # field REPORT.json PYTHON-EXPRESSION over r (the report)
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"
}

echo "| case | truth | ramp units (error) | ramp runs | bisection answer (error) | bisection runs |"
echo "|---|---|---|---|---|---|"
for spec in "buffers.js 64 256" "sessions.js 64 0"; do
  set -- $spec
  module=$PWD/tests/fixtures/capacity/$1 old=$2 native=$3
  for i in $(seq 1 "$repeats"); do
    t=$(truth "$module" "$old" "$native")
    target=$((t * 10))
    limits="old_space: ${old}Mi, timeout: 300s"
    [ "$native" -gt 0 ] && limits="$limits, native: ${native}Mi"
    cat >"$out/ramp.yaml" <<YAML
scenarios:
  - {name: ramp, kind: script, params: {module: $module, iterations: $target}, limits: {$limits}}
YAML
    cat >"$out/bisect.yaml" <<YAML
scenarios:
  - name: bisect
    kind: script
    params: {module: $module, iterations: 1}
    limits: {$limits}
    search: {parameter: params.iterations, low: 1, high: $target, precision: 1, goal: largest_completing}
YAML
    "$heapstorm" run --workers 1 --out "$out/ramp-$1-$i" "$out/ramp.yaml" >/dev/null 2>&1 || true
    "$heapstorm" run --workers 1 --out "$out/bisect-$1-$i" "$out/bisect.yaml" >/dev/null 2>&1 || true
    ramp=$(field "$out/ramp-$1-$i/report.json" "int(r['runs'][0].get('units_reached', 0))")
    found=$(field "$out/bisect-$1-$i/report.json" "int(r['searches'][0].get('value', 0))")
    steps=$(field "$out/bisect-$1-$i/report.json" "r['searches'][0].get('steps', 0)")
    printf '| %s, old space %sMi%s | %s | %s (%+.2f%%) | 1 | %s (%+.2f%%) | %s |\n' "$1" "$old" \
      "$([ "$native" -gt 0 ] && echo ", native ${native}Mi cgroup")" "$t" "$ramp" \
      "$(python3 -c "print(100*($ramp-$t)/$t)")" "$found" "$(python3 -c "print(100*($found-$t)/$t)")" "$steps"
  done
done

# --- the unit counter's cost ------------------------------------------------------------------------
printf '%s\n' "'use strict';" "module.exports = { iteration() {} };" >"$out/noop.js"
cat >"$out/kinds.yaml" <<YAML
scenarios:
  - {name: cached_data, kind: cached_data, params: {entries: 200000, entry_size: 512B}}
  - {name: large_buffers, kind: large_buffers, params: {count: 1000, size: 64Ki, retain: false}}
  - {name: deep_recursion, kind: deep_recursion, params: {depth: 8000}}
  - {name: script_noop, kind: script, params: {module: $PWD/$out/noop.js, iterations: 2000000}}
YAML
TMPDIR=$root/$out "$heapstorm" run --workers 1 --keep-run-dirs --no-cgroups --out "$out/kinds" "$out/kinds.yaml" >/dev/null 2>&1 || true
sed 's/^function unitDone(n) {$/function unitDone(n) { unitsReached = n; return;/' worker/driver/driver.js >"$out/driver_off.js"
grep -q 'unitsReached = n; return;' "$out/driver_off.js"
echo
echo "| kind (example parameters) | ramp time with the unit counter ÷ without: min / median / max |"
echo "|---|---|"
for dir in "$out"/heapstorm-run-*; do
  config="$dir/scenario.json"
  [ -f "$config" ] || continue
  name=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['name'])" "$config")
  ratios=()
  for i in $(seq 1 $((repeats * 2))); do
    for variant in on off; do
      driver=$root/worker/driver/driver.js
      [ "$variant" = off ] && driver=$root/$out/driver_off.js
      (cd "$dir" && node --max-old-space-size=256 $flags --expose-gc "$driver" scenario.json \
        3>"$root/$out/telemetry-$variant" >/dev/null 2>&1 </dev/null) || true
      python3 - "$out/telemetry-$variant" >"$out/t-$variant" <<'PY'
import json, sys
t = 0
for line in open(sys.argv[1]):
    if line.startswith('{'):
        e = json.loads(line)
        if e.get('type') == 'checkpoint': t = e['checkpoint']['t_ms']
print(t)
PY
    done
    ratios+=("$(python3 -c "print($(cat "$out/t-on") / $(cat "$out/t-off"))")")
  done
  python3 - "$name" "${ratios[@]}" <<'PY'
import statistics, sys
r = sorted(float(x) for x in sys.argv[2:])
print(f"| {sys.argv[1]} | {r[0]:.3f} / **{statistics.median(r):.3f}** / {r[-1]:.3f} |")
PY
done
