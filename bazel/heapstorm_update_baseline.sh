#!/usr/bin/env bash
# `bazel run //PKG:NAME.update_baseline`: runs the suite once and writes its report over
# the test's baseline in the workspace. Arguments: HEAPSTORM SUITE BASELINE_PATH [WORKERS].
set -euo pipefail
heapstorm="$PWD/$1"; suite="$PWD/$2"; baseline="${BUILD_WORKSPACE_DIRECTORY:?run it with bazel run}/$3"
workers=()
if [ $# -ge 4 ]; then workers=(--workers "$4"); fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
set +e
"$heapstorm" run "${workers[@]}" --out "$out" "$suite"
code=$?
set -e
if [ $code -ge 2 ]; then echo "update_baseline: the run failed (exit $code); baseline unchanged" >&2; exit $code; fi
"$heapstorm" baseline update "$out/report.json" "$baseline"
