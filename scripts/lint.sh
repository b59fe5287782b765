#!/usr/bin/env bash
# Lints the Starlark and BUILD files (WORKSPACE, BUILD.bazel, *.bzl) with buildifier: format
# and lint warnings, the same check everywhere. buildifier comes from npm
# (@bazel/buildifier, pinned below), installed once into a cache folder outside the
# repository: $HEAPSTORM_TOOLS_CACHE, default ~/.cache/heapstorm-tools.
#
#   scripts/lint.sh          # check; exit 1 and list the files and warnings on a finding
#   scripts/lint.sh --fix    # rewrite the files in buildifier's format (warnings still listed)
#
# Its last line is "N passed, N failed" (one check: the lint).
set -uo pipefail
cd "$(dirname "$0")/.."

version=8.2.1
cache=${HEAPSTORM_TOOLS_CACHE:-${HOME:-/tmp}/.cache/heapstorm-tools}
prefix="$cache/buildifier-$version"
buildifier="$prefix/node_modules/.bin/buildifier"
if [ ! -x "$buildifier" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "lint: npm is not on PATH (scripts/setup.sh installs Node.js)" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
  mkdir -p "$prefix"
  if ! npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error \
      "@bazel/buildifier@$version" >&2; then
    echo "lint: npm install @bazel/buildifier@$version failed" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
fi

# The native-* warnings ask for loads from rules_shell / rules_cc releases that Bazel 4
# (WORKSPACE, offline, forwarding stand-ins) does not have.
warnings=-native-cc-binary,-native-cc-import,-native-cc-library,-native-cc-proto,-native-cc-test
warnings+=,-native-cc-toolchain,-native-cc-toolchain-suite,-native-java-binary,-native-java-import
warnings+=,-native-java-library,-native-java-runtime,-native-java-toolchain,-native-sh-binary
warnings+=,-native-sh-test

# Every Starlark file git knows (never bazel-* output links or fetched trees).
mapfile -t files < <(git ls-files -- 'WORKSPACE' '*/WORKSPACE' 'BUILD.bazel' '*/BUILD.bazel' \
  'BUILD' '*/BUILD' '*.bzl')
if [ ${#files[@]} -eq 0 ]; then echo "lint: no Starlark files found" >&2; echo "0 passed, 1 failed"; exit 1; fi

if [ "${1:-}" = "--fix" ]; then
  "$buildifier" --mode=fix --lint=warn --warnings="$warnings" "${files[@]}"
else
  "$buildifier" --mode=check --lint=warn --warnings="$warnings" "${files[@]}"
fi
status=$?
if [ $status -eq 0 ]; then
  echo "lint: ${#files[@]} Starlark files clean (buildifier $version)"
  echo "1 passed, 0 failed"
else
  echo "lint: buildifier found the above (run scripts/lint.sh --fix for the format)" >&2
  echo "0 passed, 1 failed"
fi
exit $status
