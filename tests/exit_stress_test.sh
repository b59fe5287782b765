#!/usr/bin/env bash
# heapstorm run, again and again: a one-run suite, RUNS times in a row (500 by default).
# Every run must exit 0 and leave its three report files; a crash at exit (SIGSEGV: 139)
# or a missing report fails the test, with the count of each. Issue 17: a race between the
# worker's writers and the end of its session crashed ~2-3% of runs at exit.
set -uo pipefail
root="$TEST_SRCDIR/$TEST_WORKSPACE"
heapstorm="$root/cli/heapstorm"
runs="${HEAPSTORM_STRESS_RUNS:-500}"
work="${TEST_TMPDIR:-/tmp}/exit-stress.$$"
mkdir -p "$work"
cat >"$work/suite.yaml" <<'YAML'
scenarios:
  - {name: one, kind: cached_data, params: {entries: 200}}
YAML
declare -A codes=()
missing=0
for i in $(seq 1 "$runs"); do
  out="$work/run-$i"
  "$heapstorm" run --workers 1 --no-cgroups --out "$out" "$work/suite.yaml" >"$work/last.out" 2>"$work/last.err"
  code=$?
  codes[$code]=$(( ${codes[$code]:-0} + 1 ))
  if [ "$code" -ne 0 ]; then
    echo "run $i: exit $code"; tail -5 "$work/last.err"
  fi
  for f in report.json report.html junit.xml; do
    [ -s "$out/$f" ] || { missing=$((missing + 1)); echo "run $i: no $f"; }
  done
  rm -rf "$out"
done
summary=""
for c in "${!codes[@]}"; do summary+="exit $c: ${codes[$c]}x  "; done
echo "$runs runs: $summary; missing report files: $missing"
[ "${codes[0]:-0}" -eq "$runs" ] && [ "$missing" -eq 0 ]
