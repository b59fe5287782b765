#!/usr/bin/env bash
# The ThreadSanitizer lane: heapstorm's own threads built with clang and -fsanitize=thread
# (--config=tsan in .bazelrc, which also makes clang's -Wthread-safety check every
# ABSL_GUARDED_BY annotation of the whole tree). Any TSan report fails the test that saw it.
#
# The default targets are the tests whose threads are heapstorm's: the worker (its session
# writer, slots, heartbeats and Stop, against a fake coordinator), the scheduler, journal and
# planner, the engine, rpc. Left out, for now: coordinator_server_test and distribution_test,
# which run gRPC's callback API. Debian's gRPC is not built with TSan, so every hand-over
# inside it (callback tags, std::function slots, call metadata) is reported as a race;
# bazel/tsan_suppressions.txt covers the first few, and a clean lane there needs a TSan-built
# gRPC. `scripts/tsan.sh //coordinator/... //tests:distribution_test` shows them.
# Its own Bazel output base, so the normal build stays cached. Ends with "N passed, N failed".
# Extra arguments go to `bazel test` (e.g. another pattern).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit $?

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(//coordinator:journal_test //coordinator:planner_test //coordinator:scheduler_test
           //coordinator:search_test //rpc/... //worker/...)
fi
output_base="${HEAPSTORM_TSAN_OUTPUT_BASE:-$HOME/.cache/heapstorm-tsan}"
tsan_options="halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$PWD/bazel/tsan_suppressions.txt"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The convenience links (bazel-bin, ...) stay the normal build's: links into this output base
# would make the next `bazel test //...` descend into them.
bazel --output_base="$output_base" test --config=tsan --test_summary=short \
  --experimental_convenience_symlinks=ignore \
  --test_env=TSAN_OPTIONS="$tsan_options" "${targets[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log" || true)
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FLAKY|INCOMPLETE|REMOTE FAILURE|FAILED TO BUILD)' "$log" || true)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
exit "$status"
