#!/usr/bin/env bash
# heapstorm run, again and again: a one-run suite, RUNS times in a row (500 by default).
# Every run must exit 0 and leave its three report files; a crash at exit (SIGSEGV: 139)
# or a missing report fails the test, with the count of each. Issue 17: a race between the
# worker's writers and the end of its session crashed ~2-3% of runs at exit.
set -uo pipefail
root="$TEST_SRCDIR/$TEST_WORKSPACE"
heapstorm="$root/cli/heapstorm"
runs="${HEAPSTORM_STRESS_RUNS:-500}"
# Bazel shards the runs (shard_count in tests/BUILD.bazel): each shard does its share.
if [ -n "${TEST_TOTAL_SHARDS:-}" ]; then
  [ -n "${TEST_SHARD_STATUS_FILE:-}" ] && touch "$TEST_SHARD_STATUS_FILE"
  share=$(( runs / TEST_TOTAL_SHARDS ))
  [ "${TEST_SHARD_INDEX:-0}" -lt $(( runs % TEST_TOTAL_SHARDS )) ] && share=$((share + 1))
  runs=$share
fi
work="${TEST_TMPDIR:-/tmp}/exit-stress.$$"
mkdir -p "$work"
# heapstorm's scratch (run folders) stays inside the test's own folder.
export TMPDIR="$work"
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
    # What the run itself said, when it got as far as a report.
    [ -s "$out/report.json" ] && python3 -c 'import json,sys
for r in json.load(open(sys.argv[1])).get("runs", []):
    e = r.get("evidence", {})
    print("  evidence:", e.get("summary"), "|", (e.get("driverError") or "")[:300], "|", (e.get("stderrTail") or "")[-300:])' "$out/report.json"
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
