# Sourced by the lanes that run `bazel test` (scripts/test.sh, tsan.sh, asan.sh): the one
# way they count Bazel's summary and show a sanitizer's reports.

# Sets `passed` and `failed` from the log of `bazel test --test_summary=short` (one line per
# test target: "//pkg:target  (cached) PASSED in 0.1s") and its exit status. A build that
# broke before any test ran counts as a failure, never as green.
bazel_test_counts() {
  local log=$1 status=$2
  passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log" || true)
  failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FLAKY|INCOMPLETE|REMOTE FAILURE|FAILED TO BUILD)' "$log" || true)
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
}

# Prints every report a sanitizer wrote into `dir` (its log_path), titled `title`.
print_sanitizer_reports() {
  local dir=$1 title=$2 report
  for report in "$dir"/*; do
    [ -e "$report" ] || continue
    echo "$title ($(basename "$report")):"
    cat "$report"
  done
}
