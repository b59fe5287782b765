#!/usr/bin/env bash
# heapstorm_test in a new user's own Bazel workspace, with nested Bazel: the README's three
# WORKSPACE lines, a BUILD file, a bounded module that must pass and a leaking one (1 KiB
# kept per iteration, under a leak_check) that must fail with a JUnit <failure> naming its
# scenario. Two variants in one fresh output root:
#   prebuilt: --define=heapstorm=prebuilt with an installed heapstorm on PATH; nothing of
#             heapstorm is compiled and the system libraries are never even looked up;
#   source:   heapstorm built from source as the external repository @heapstorm.
# Run by .ci/run after the main test run (it takes minutes: nested Bazel builds heapstorm).
#
#   tests/user_workspace_test.sh HEAPSTORM_BINARY
#
# HEAPSTORM_BINARY is the binary the prebuilt variant installs (.ci/run passes
# bazel-bin/cli/heapstorm). Nested Bazel keeps its disk and repository caches in
# $HEAPSTORM_NESTED_CACHE (default /tmp/heapstorm-nested-bazel-cache), never in the
# developer's. The last line is "N passed, N failed": one count per variant, and one for the
# prebuilt flag without a binary (the build must stop and say why).
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:?usage: tests/user_workspace_test.sh HEAPSTORM_BINARY}
cache=${HEAPSTORM_NESTED_CACHE:-/tmp/heapstorm-nested-bazel-cache}
if [ ! -x "$binary" ]; then echo "user_workspace_test: $binary is not an executable" >&2; exit 2; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/heapstorm-user-workspace.XXXXXX")
ws="$work/workspace"
root="$work/output_root"
mkdir -p "$ws" "$work/bin" "$cache"
nested() { (cd "$ws" && bazel --output_user_root="$root" --max_idle_secs=300 "$@"); }
cleanup() {
  # The nested server is ours: stop it, then remove its read-only output tree.
  if [ -d "$root" ]; then nested shutdown >/dev/null 2>&1; fi
  chmod -R u+w "$work" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# An "installed" heapstorm for the prebuilt variant: a copy outside any Bazel tree.
cp "$binary" "$work/bin/heapstorm"

# The user's workspace, exactly as README.md "Use in CI" says.
cat >"$ws/WORKSPACE" <<EOF
local_repository(name = "heapstorm", path = "$repo")
load("@heapstorm//bazel:deps.bzl", "heapstorm_dependencies")
heapstorm_dependencies()
EOF
cat >"$ws/BUILD.bazel" <<'EOF'
load("@heapstorm//bazel:heapstorm.bzl", "heapstorm_test")

heapstorm_test(
    name = "bounded_test",
    suite = "bounded.yaml",
    scripts = ["bounded.js"],
)

heapstorm_test(
    name = "leaking_test",
    suite = "leaking.yaml",
    scripts = ["leaking.js"],
)
EOF
cat >"$ws/bounded.js" <<'EOF'
// A cache bounded at 100 entries: its memory stays flat.
const cache = new Map();
module.exports = {
  iteration(i) {
    cache.set(i, 'x'.repeat(64) + i);
    if (cache.size > 100) cache.delete(cache.keys().next().value);
  },
};
EOF
cat >"$ws/bounded.yaml" <<'EOF'
scenarios:
  - name: bounded-cache
    kind: script
    params: {module: bounded.js, iterations: 2000}
    expect: {outcome: completed, max_heap_used: 32Mi}
EOF
cat >"$ws/leaking.js" <<'EOF'
// Keeps an array of 126 numbers (about 1 KiB) per iteration, forever: an obvious leak.
const kept = [];
module.exports = {
  iteration(i) {
    kept.push(new Array(126).fill(i));
  },
};
EOF
cat >"$ws/leaking.yaml" <<'EOF'
scenarios:
  - name: leaking-module
    kind: script
    params: {module: leaking.js, iterations: 3000}
    leak_check: {iterations: 3000, checkpoint_every: 50}
EOF

passed=0
failed=0
variant_failures=0
check() {
  if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; variant_failures=$((variant_failures + 1)); fi
}

# run_variant VARIANT CHECK_NAME CHECK FLAGS...: `bazel test` on both targets with FLAGS;
# checks the verdicts, the JUnit and the log, then CHECK (what the variant is about).
run_variant() {
  local variant="$1" check_name="$2" check_expr="$3"; shift 3
  local log="$work/$variant.log"
  local start end code
  variant_failures=0
  start=$(date +%s)
  # The disk cache keeps test results too: --nocache_test_results makes both tests run.
  nested test --disk_cache="$cache/disk" --repository_cache="$cache/repo" --nocache_test_results \
    --nosandbox_debug --test_output=errors "$@" //:bounded_test //:leaking_test >"$log" 2>&1
  code=$?
  end=$(date +%s)
  echo "user_workspace_test: $variant variant: bazel test exited $code in $((end - start)) s"
  local testlogs="$ws/bazel-testlogs"
  check "$variant: bazel test reports a failed test (exit 3, got $code)" '[ $code -eq 3 ]'
  check "$variant: the bounded module passes" 'grep -qE "^//:bounded_test +PASSED" "$log"'
  check "$variant: the leaking module fails" 'grep -qE "^//:leaking_test +FAILED" "$log"'
  check "$variant: the passing target's test.xml has no <failure>" \
    '[ -s "$testlogs/bounded_test/test.xml" ] && ! grep -q "<failure" "$testlogs/bounded_test/test.xml"'
  check "$variant: the failing target's test.xml holds a <failure> in the leaking scenario" \
    'grep -A3 "<testcase [^>]*name=\"leaking-module\"" "$testlogs/leaking_test/test.xml" | grep -q "<failure"'
  check "$variant: the failing target's log names the scenario" \
    'grep -q "leaking-module" "$testlogs/leaking_test/test.log"'
  check "$variant: $check_name" "$check_expr"
  if [ $variant_failures -eq 0 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "--- $variant: bazel output"; tail -n 40 "$log"
    if [ -f "$testlogs/leaking_test/test.xml" ]; then
      echo "--- $variant: leaking_test/test.xml"; head -c 4000 "$testlogs/leaking_test/test.xml"; echo
    fi
  fi
}

output_base=$(nested info output_base 2>/dev/null)
built="$ws/bazel-bin/external/heapstorm/cli/heapstorm"

# The prebuilt variant first, in the fresh output root: it must need nothing of the source
# build, not even the system libraries' repository.
PATH="$work/bin:$PATH" run_variant prebuilt \
  "nothing of heapstorm compiled, no system library looked up" \
  '[ -n "$output_base" ] && [ ! -e "$output_base/external/system" ] && [ ! -e "$built" ]' \
  --define=heapstorm=prebuilt

# With the flag but no binary, the build stops and says what to do.
missing_log="$work/missing.log"
HEAPSTORM_BINARY="$work/bin/no-such-heapstorm" nested build --nosandbox_debug \
  --define=heapstorm=prebuilt //:bounded_test >"$missing_log" 2>&1
code=$?
if [ $code -ne 0 ] && grep -q "heapstorm_prebuilt: HEAPSTORM_BINARY=$work/bin/no-such-heapstorm does not exist" "$missing_log"; then
  echo "ok: prebuilt without a binary: the build fails (exit $code) and says why"
  passed=$((passed + 1))
else
  echo "FAIL: prebuilt without a binary: exit $code, no clear message"; tail -n 20 "$missing_log"
  failed=$((failed + 1))
fi

run_variant source "heapstorm built from source as @heapstorm" '[ -x "$built" ]'

echo "${passed} passed, ${failed} failed"
[ $failed -eq 0 ]
