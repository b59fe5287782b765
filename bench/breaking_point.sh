#!/usr/bin/env bash
# Breaking points against ground truth (issue 14).
#
#   bench/breaking_point.sh             # 20-60 minutes on 2 cores (bisections); REPEATS=3 by default
#
# Ground truth: tests/fixtures/capacity/ground_truth.js runs a module in plain node under the
# same limits and writes its count to a pipe after every unit. Then `heapstorm run` ramps the
# same module with a target 10x that break and the default checkpoint_every (target / 100),
# and a `search` bisects params.iterations from 1 to that target to one unit. Printed: the
# error of each against the truth, and the runs each needed. Cases: 1 MiB buffers under a
# 256Mi memory cgroup, the same under the RSS watchdog (384Mi, no cgroup: the truth counts
# units while its own PSS is within the limit, as the watchdog does), sessions under a 64Mi
# old space. The unit counter's cost is bench/unit_counter.sh.
# Raw data in bench/out/breaking/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${REPEATS:-3}
out=bench/out/breaking
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

truth() {  # truth MODULE OLD_SPACE_MIB NATIVE_MIB(0 = none) MECHANISM(cgroup|watchdog) → count
  local module=$1 old=$2 native=$3 mechanism=$4 file=$out/truth.$$
  if [ "$native" -gt 0 ] && [ "$mechanism" = watchdog ]; then
    node --max-old-space-size="$old" $flags tests/fixtures/capacity/ground_truth.js "$module" 100000000 \
      $((native << 20)) 3> >(tail -n 1 >"$file") >/dev/null 2>&1 || true
  elif [ "$native" -gt 0 ]; then
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

uptime | sed "s/^/# /"
echo "| case | truth | ramp units (error) | ramp runs | bisection answer (error) | bisection runs |"
echo "|---|---|---|---|---|---|"
for spec in "buffers.js 64 256 cgroup" "buffers.js 64 384 watchdog" "sessions.js 64 0 none"; do
  set -- $spec
  module=$PWD/tests/fixtures/capacity/$1 old=$2 native=$3 mechanism=$4
  cgroups=""
  [ "$mechanism" = watchdog ] && cgroups=--no-cgroups
  tag=$1-$mechanism
  for i in $(seq 1 "$repeats"); do
    t=$(truth "$module" "$old" "$native" "$mechanism")
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
    "$heapstorm" run --workers 1 $cgroups --out "$out/ramp-$tag-$i" "$out/ramp.yaml" >/dev/null 2>&1 || true
    "$heapstorm" run --workers 1 $cgroups --out "$out/bisect-$tag-$i" "$out/bisect.yaml" >/dev/null 2>&1 || true
    ramp=$(field "$out/ramp-$tag-$i/report.json" "int(r['runs'][0].get('units_reached', 0))")
    found=$(field "$out/bisect-$tag-$i/report.json" "int(r['searches'][0].get('value', 0))")
    steps=$(field "$out/bisect-$tag-$i/report.json" "r['searches'][0].get('steps', 0)")
    printf '| %s, old space %sMi%s | %s | %s (%+.2f%%) | 1 | %s (%+.2f%%) | %s |\n' "$1" "$old" \
      "$([ "$native" -gt 0 ] && echo ", native ${native}Mi $mechanism")" "$t" "$ramp" \
      "$(python3 -c "print(100*($ramp-$t)/$t)")" "$found" "$(python3 -c "print(100*($found-$t)/$t)")" "$steps"
  done
done
uptime | sed "s/^/# /"
