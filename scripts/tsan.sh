#!/usr/bin/env bash
# The ThreadSanitizer lane: heapstorm built with clang and -fsanitize=thread (--config=tsan
# in .bazelrc, which also makes clang's -Wthread-safety check every ABSL_GUARDED_BY
# annotation of the whole tree). Any TSan report fails the test that saw it, in the test
# process or in a heapstorm it starts (they exit 66).
#
# The default targets are the tests of heapstorm's own threads (the worker against a fake
# coordinator, scheduler, journal, planner, search, engine, rpc) and the gRPC-driven ones: the
# coordinator's server over real gRPC, a real worker against a real server
# (worker_modules_test), and coordinator and workers as processes (distribution_test).
# Debian's gRPC and abseil are not built with TSan, so their hand-overs between threads are
# invisible to it; two things make them visible without a TSan-built gRPC:
# - rpc/grpc_tsan_edges.cc tells TSan the edge gRPC's API guarantees (a batch's start
#   happens before its completion; a reactor's reactions happen before its OnDone), where
#   our binaries enter libgrpc;
# - ignore_noninstrumented_modules=1: malloc/free/memcpy called from uninstrumented
#   libraries (gRPC, abseil, protobuf) are not checked (our own new/delete are TSan's, see
#   .bazelrc); their accesses were never seen anyway.
# What is left, and only inside gRPC, is suppressed in bazel/tsan_suppressions.txt, each line
# saying why; nothing there can match a frame of heapstorm's.
# The end-to-end tests of the binary (cli, hardening, capacity, process_tree) are not in the
# default set: they run the same gRPC paths as distribution_test, for many more minutes.
# Its own Bazel output base, so the normal build stays cached. Ends with "N passed, N failed".
# Extra arguments go to `bazel test` (e.g. another pattern).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/bazel_counts.sh
scripts/setup.sh || exit $?

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(//coordinator/... //rpc/... //worker/... //tests:worker_modules_test //tests:distribution_test)
fi
output_base="${HEAPSTORM_TSAN_OUTPUT_BASE:-$HOME/.cache/heapstorm-tsan}"
tsan_options="halt_on_error=1:exitcode=66:second_deadlock_stack=1:ignore_noninstrumented_modules=1"
tsan_options+=":suppressions=$PWD/bazel/tsan_suppressions.txt"
# Reports go to files here (printed at the end), so that one from a heapstorm a test started
# is seen too: the test keeps that process's stderr in its own temporary folder. A fixed
# path, so that unchanged tests stay cached.
reports="${output_base}-reports"
rm -rf "$reports" && mkdir -p "$reports" || exit 1
tsan_options+=":log_path=$reports/report"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The convenience links (bazel-bin, ...) stay the normal build's: links into this output base
# would make the next `bazel test //...` descend into them.
# TSan makes the code 5-15 times slower: the size-based timeouts are tripled (small, medium)
# and doubled (large), or a test that plans a million runs times out on a loaded machine.
bazel --output_base="$output_base" test --config=tsan --test_summary=short \
  --test_timeout=180,900,1800,3600 \
  --experimental_convenience_symlinks=ignore --sandbox_writable_path="$reports" \
  --test_env=TSAN_OPTIONS="$tsan_options" "${targets[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
print_sanitizer_reports "$reports" "ThreadSanitizer report"
bazel_test_counts "$log" "$status"
echo "${passed} passed, ${failed} failed"
exit "$status"
