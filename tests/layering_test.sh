#!/usr/bin/env bash
# Checks the dependency graph against the layers of DESIGN.md §2 and ARCHITECTURE.md:
#   proto → common → model → scenarios → worker/engine → rpc → worker, coordinator → reports → cli
# 1. Every edge between this repository's packages in `bazel query` output must point down
#    the order above (worker and coordinator side by side; neither rpc nor the coordinator
#    uses the engine). A package missing from the table below is an error too.
# 2. The build itself refuses a wrong dependency: //common:layering_violation_example
#    (common → scenarios) must fail analysis with "not visible", and check 1 must flag it.
# It runs Bazel, so it cannot be a Bazel test: scripts/test.sh runs it before `bazel test`.
# Prints "layering: OK" or each offending edge; exits 1 on a violation, 2 if Bazel fails.
set -uo pipefail
cd "$(dirname "$0")/.."

# The layer of a package: a dependency must go to a strictly lower layer.
layer() {
  case "$1" in
    //proto) echo 0 ;;
    //common) echo 1 ;;
    //model) echo 2 ;;
    //scenarios) echo 3 ;;
    //worker/driver) echo 4 ;;  # the driver is part of the engine, below it
    //worker/engine) echo 5 ;;
    //rpc) echo 6 ;;
    //worker | //coordinator) echo 7 ;;
    //reports) echo 8 ;;
    //cli) echo 9 ;;
    //examples/bazel) echo 10 ;;  # heapstorm_test as a user writes it
    //tests | //bench) echo 11 ;;
    //bazel | //third_party | //third_party/*) echo tooling ;;
    *) echo unknown ;;
  esac
}

# Reads "FROM_PACKAGE TO_PACKAGE" lines; prints each edge against the arrows.
check_edges() {
  local from to a b bad=0
  while read -r from to; do
    [ "$from" = "$to" ] && continue
    a=$(layer "$from")
    b=$(layer "$to")
    if [ "$a" = unknown ] || [ "$b" = unknown ]; then
      echo "layering: $from -> $to: a package not in tests/layering_test.sh's table (add it to its layer)"
      bad=1
      continue
    fi
    [ "$b" = tooling ] && continue
    # The user-facing rules in //bazel wrap the one public binary, //cli:heapstorm.
    [ "$from" = //bazel ] && [ "$to" = //cli ] && continue
    if [ "$a" = tooling ] || [ "$b" -ge "$a" ]; then
      echo "layering: $from -> $to points against the arrows"
      bad=1
    elif { [ "$from" = //coordinator ] || [ "$from" = //rpc ]; } &&
         { [ "$to" = //worker/engine ] || [ "$to" = //worker/driver ]; }; then
      echo "layering: $from -> $to: the engine knows nothing of gRPC, the coordinator nothing of node"
      bad=1
    fi
  done
  return $bad
}

# Package-level edges of `bazel query` over TARGETS (this repository's packages only).
package_edges() {
  local graph
  graph=$(bazel query "deps($1, 1)" --output=graph --nograph:factored --noimplicit_deps 2>/dev/null) || return 2
  printf '%s\n' "$graph" |
    sed -n 's/^ *"\([^"]*\)" -> "\([^"]*\)"$/\1 \2/p' |
    awk '{ split($1, a, ":"); split($2, b, ":"); if (a[1] ~ /^\/\// && b[1] ~ /^\/\//) print a[1], b[1] }' |
    sort -u
}

status=0
# The repository's packages: every tracked top-level folder with a BUILD file, not `//...`,
# which also walks the checkout's own bazel-FOLDER output link (its name follows the
# folder, so .bazelignore cannot list it) and fails there.
universe=$(git ls-files -- 'BUILD.bazel' '*/BUILD.bazel' | awk -F/ 'NF == 1 { print "//:all"; next } { print "//" $1 "/..." }' |
  sort -u | paste -sd+ -)
[ -n "$universe" ] || { echo "layering: no BUILD files tracked by git" >&2; exit 2; }
edges=$(package_edges "($universe) except attr(tags, layering_violation, $universe)") || exit 2
if [ -z "$edges" ]; then echo "layering: bazel query gave no edges" >&2; exit 2; fi
check_edges <<<"$edges" || status=1

# The deliberate violation: the checker must flag it, and the build must refuse it.
if check_edges <<<"$(package_edges //common:layering_violation_example)" >/dev/null; then
  echo "layering: the checker does not flag //common:layering_violation_example (common -> scenarios)"
  status=1
fi
out=$(bazel build --nobuild //common:layering_violation_example 2>&1)
if [ $? -eq 0 ] || ! grep -q "is not visible from target '//common:layering_violation_example'" <<<"$out"; then
  echo "layering: //common:layering_violation_example (common -> scenarios) was not refused by visibility:"
  tail -5 <<<"$out"
  status=1
fi

[ $status -eq 0 ] && echo "layering: OK ($(wc -l <<<"$edges") package edges checked)"
exit $status
