#!/usr/bin/env bash
# Runs every test of heapstorm: installs what is missing, runs `bazel test //...`, then
# checks the layering (tests/layering_test.sh, which runs Bazel itself and so cannot be a
# Bazel test). Ends with one line "N passed, N failed" counting the test targets
# Bazel ran, plus the layering check.
# Extra arguments go to `bazel test` (e.g. a narrower pattern than //...).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/bazel_counts.sh
scripts/setup.sh || exit $?

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(//...); fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
bazel test --test_summary=short "${targets[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

bazel_test_counts "$log" "$status"
tests/layering_test.sh
layering=$?
if [ "$layering" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
if [ "$status" -eq 0 ] && [ "$layering" -ne 0 ]; then status=1; fi
echo "${passed} passed, ${failed} failed"
exit "$status"
