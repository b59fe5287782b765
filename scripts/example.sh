#!/usr/bin/env bash
# Runs an example suite on this machine: installs what is missing, builds heapstorm, and
# runs scenarios/examples/SUITE.yaml (default: cached_data). Any further arguments go to
# `heapstorm run`.
#
#   scripts/example.sh                 # the cached_data example
#   scripts/example.sh large_buffers   # another one from scenarios/examples/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
suite=${1:-cached_data}
shift || true
bazel build //cli:heapstorm >&2
exec bazel-bin/cli/heapstorm run "scenarios/examples/${suite}.yaml" "$@"
