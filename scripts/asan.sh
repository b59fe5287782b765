#!/usr/bin/env bash
# The AddressSanitizer lane: heapstorm built with clang and -fsanitize=address,undefined
# (--config=asan in .bazelrc). A use after free, an overflow or undefined behaviour in
# heapstorm's code fails the test that saw it, in the test process or in a heapstorm it
# starts (they exit 66). It is here because a range-for over the series of a temporary
# LeakResult (RunMonitor::SuspectedWindow, session 10) read a dead stack frame: the normal
# build crashed on it only in a benchmark's runs, while with that bug put back this lane
# fails leak_detection_test at its first retention check ("stack-use-after-scope").
#
# The default targets: every unit test of the engine, the coordinator and the worker, and
# the end-to-end leak checks that run retention checks in real node (leak_detection_test).
# Debian's gRPC, abseil and protobuf are not instrumented: ASan checks our code's accesses,
# and theirs through the allocator only. Leak reports are off: gRPC and protobuf keep
# process-lifetime singletons on purpose. Its own Bazel output base, so the normal build
# stays cached. Ends with "N passed, N failed". Extra arguments go to `bazel test`.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/bazel_counts.sh
scripts/setup.sh || exit $?

# leak_detection_test's two corpus sweeps (ThePhaseCorpusGetsItsLabelsAt10000,
# NonLeaksAreDecidedNoLeak: half of its time here, ~220 s of ~460) are left to the main
# lane: they judge verdicts over many modules through the same engine code that its other
# tests drive one module at a time (a retention check, a watch, a freed window, a knee, a
# regrowth, exhaustion, native memory), and CI must stay well under 45 minutes.
targets=("$@")
filter=()
if [ ${#targets[@]} -eq 0 ]; then
  targets=(//coordinator/... //worker/... //reports/... //scenarios/... //tests:leak_detection_test)
  filter=(--test_filter=-LeakDetectionTest.ThePhaseCorpusGetsItsLabelsAt10000:LeakDetectionTest.NonLeaksAreDecidedNoLeak)
fi
output_base="${HEAPSTORM_ASAN_OUTPUT_BASE:-$HOME/.cache/heapstorm-asan}"
reports="${output_base}-reports"
rm -rf "$reports" && mkdir -p "$reports" || exit 1
asan_options="detect_leaks=0:exitcode=66:abort_on_error=0:log_path=$reports/report"
ubsan_options="print_stacktrace=1:halt_on_error=1:exitcode=66:log_path=$reports/ubsan"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
bazel --output_base="$output_base" test --config=asan --test_summary=short --build_tests_only \
  --test_timeout=120,600,1800,3600 \
  --experimental_convenience_symlinks=ignore --sandbox_writable_path="$reports" \
  --test_env=ASAN_OPTIONS="$asan_options" --test_env=UBSAN_OPTIONS="$ubsan_options" \
  "${filter[@]}" "${targets[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
print_sanitizer_reports "$reports" "Sanitizer report"
bazel_test_counts "$log" "$status"
echo "${passed} passed, ${failed} failed"
exit "$status"
