#!/usr/bin/env bash
# heapstorm_test's contract without nested Bazel: the same binary and arguments the macro
# generates, with Bazel's test variables set by hand.
set -uo pipefail
root="$TEST_SRCDIR/$TEST_WORKSPACE"
heapstorm="$root/cli/heapstorm"
suite="$root/examples/bazel/memory.yaml"
baseline="$root/examples/bazel/regressed_baseline.json"
spins="$root/tests/fixtures/spins.js"
work="${TEST_TMPDIR:-/tmp}/rule.$$"
mkdir -p "$work"
failures=0
check() { if ! eval "$2"; then echo "FAIL: $1"; failures=$((failures + 1)); else echo "ok: $1"; fi; }

# Bazel's variables, by hand, in fresh folders.
bazel_env() {
  local dir="$1"
  mkdir -p "$dir/tmp" "$dir/outputs"
  echo "TEST_TMPDIR=$dir/tmp TEST_UNDECLARED_OUTPUTS_DIR=$dir/outputs XML_OUTPUT_FILE=$dir/test.xml TEST_PREMATURE_EXIT_FILE=$dir/premature"
}

# 1. The failing example: a regression against its baseline is exit 1, and JUnit says which
#    scenario, which metric and by how much.
d="$work/regressed"
env $(bazel_env "$d") "$heapstorm" run --bazel-test "$suite" --baseline "$baseline" --workers 2 \
  >"$d.out" 2>"$d.err"
code=$?
check "regression exits 1 (got $code)" '[ $code -eq 1 ]'
check "JUnit at XML_OUTPUT_FILE" '[ -s "$d/test.xml" ]'
check "JUnit names the regressed scenario and metric" \
  'grep -q "name=\"session-cache vs baseline\"" "$d/test.xml" && grep -q "peak_heap_used_bytes: .* → .*(+[0-9.]*%" "$d/test.xml"'
check "the log says it too" 'grep -q "session-cache: regression: peak_heap_used_bytes" "$d.out"'
check "report.json and report.html in TEST_UNDECLARED_OUTPUTS_DIR" \
  '[ -s "$d/outputs/report.json" ] && [ -s "$d/outputs/report.html" ]'
check "the premature-exit file is gone once reports are flushed" '[ ! -e "$d/premature" ]'

# 2. The passing configuration: exit 0; scratch in TEST_TMPDIR; --test_filter selects.
d="$work/filtered"
env $(bazel_env "$d") TESTBRIDGE_TEST_ONLY='bounded*' "$heapstorm" run --bazel-test --keep-run-dirs \
  "$suite" --workers 2 >"$d.out" 2>"$d.err"
code=$?
check "filtered run passes (got $code)" '[ $code -eq 0 ]'
check "run folders are made in TEST_TMPDIR" 'ls -d "$d"/tmp/heapstorm-run-* >/dev/null 2>&1'
check "the filtered-out scenario is skipped in JUnit" \
  'grep -q "name=\"session-cache\"" "$d/test.xml" && grep -q "<skipped" "$d/test.xml" && grep -q "skipped=\"1\"" "$d/test.xml"'
check "the selected scenario ran" 'grep -q "name=\"bounded-module\" time=" "$d/test.xml"'

# 3. Bazel's timeout is SIGTERM: partial reports within seconds, no node left behind.
d="$work/sigterm"
mkdir -p "$d"
cat >"$d/suite.yaml" <<YAML
scenarios:
  - name: spin
    kind: script
    params: {module: $spins, iterations: 1}
    limits: {timeout: 60s}
  - name: also-spin
    kind: script
    params: {module: $spins, iterations: 1}
    limits: {timeout: 60s}
YAML
env $(bazel_env "$d") "$heapstorm" run --bazel-test "$d/suite.yaml" --workers 2 >"$d.out" 2>"$d.err" &
pid=$!
nodes=""
for _ in $(seq 1 500); do
  nodes=$(pgrep -f "$d/tmp/heapstorm-run-.*/driver.js" || true)
  [ -n "$nodes" ] && break
  sleep 0.02
done
check "node started under heapstorm" '[ -n "$nodes" ]'
kill -TERM "$pid"
start=$(date +%s)
wait "$pid"; code=$?
took=$(( $(date +%s) - start ))
check "SIGTERM ends the run within 10 s (took ${took}s, exit $code)" '[ $took -le 10 ] && [ $code -eq 3 ]'
check "a partial report is written" 'grep -q "RUN_STATUS_PARTIAL\|RUN_STATUS_ABORTED" "$d/outputs/report.json"'
check "JUnit marks the unfinished runs as errors" 'grep -q "<error message=\"no result: cancelled" "$d/test.xml"'
left=""
for n in $nodes; do if kill -0 "$n" 2>/dev/null; then left="$left $n"; fi; done
check "no node left behind ($left)" '[ -z "$left" ]'

if [ $failures -ne 0 ]; then
  echo "--- logs"; tail -n 20 "$work"/*.out "$work"/*.err
  exit 1
fi
echo "PASS"
