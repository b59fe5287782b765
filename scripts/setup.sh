#!/usr/bin/env bash
# Installs what heapstorm needs to build, test and run, and nothing that is already there.
# Safe to run again. Debian 12 (bookworm) or newer; needs root (or sudo) only when
# something is missing.
#
#   scripts/setup.sh            # build and test dependencies, Node.js if missing
set -euo pipefail

# Debian packages: Bazel 4 and the libraries it links from the system (BAZEL_OFFLINE.md),
# clang for the fuzz target, chromium for the report's browser test, iproute2 for the
# multi-host test.
packages=(
  bazel-bootstrap
  g++
  pkg-config
  libgrpc++-dev
  protobuf-compiler-grpc
  libprotobuf-dev
  protobuf-compiler
  libabsl-dev
  libyaml-cpp-dev
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  libssl-dev
  clang
  iproute2
  openssl
  chromium
  procps
  python3
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js >= 18 on PATH, else Debian's nodejs.
node_ok=false
if command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "${major:-0}" -ge 18 ]; then node_ok=true; fi
fi
if ! $node_ok; then missing+=(nodejs); fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "setup: these packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 3
  fi
fi

echo "setup: installing ${missing[*]}" >&2
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"

if ! command -v node >/dev/null 2>&1; then
  echo "setup: node is still not on PATH after installing nodejs" >&2
  exit 3
fi
