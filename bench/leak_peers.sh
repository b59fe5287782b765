#!/bin/bash
# heapstorm side by side with memlab, leakage and @airbnb/node-memwatch (issue 13) on every
# labelled module of tests/fixtures/leak_corpus plus the real-package cases of
# bench/leak_peers/cases (lru-cache, express). Not run in CI; tests never install peers.
#
#   bench/leak_peers.sh [REPEATS=3]
#   CORPUS=tests/fixtures/shape_corpus CASES=none bench/leak_peers.sh 1   # another corpus alone
#
# Environment (defaults):
# - CORPUS (tests/fixtures/leak_corpus): the labelled modules;
# - CASES ("none": without the real-package cases);
# - BUDGETS ("2000 10000"): heapstorm's leak_check iterations; empty: heapstorm is not built
#   nor run;
# - OUT (/tmp/leak_peers): results, never the repo;
# - CACHE (~/.cache/heapstorm-bench): the npm install of bench/leak_peers/package.json,
#   pinned, with its lockfile and node_modules;
# - HEAPSTORM (bazel-bin/cli/heapstorm of this checkout, built -c opt);
# - TOOLS ("memlab leakage memwatch"); empty: no peer runs;
# - each peer's settings: MEMLAB_WARMUP (200), MEMLAB_N (1000), LEAKAGE_ITERATIONS (1000),
#   LEAKAGE_ROUNDS (6), MEMWATCH_ITERATIONS (6000), MEMWATCH_EVERY (100), MEMWATCH_WARMUP (200).
#
# heapstorm runs each budget's suite (`heapstorm run --workers 1`, one repeat per pass) in the
# background while the peers run one case at a time in the foreground (a case under
# `descriptors: N` in its labels runs under `prlimit --nofile=N:N` for the peers too, and
# one under `old_space: NMi` with node's `--max-old-space-size=N`).
# Prints the table (bench/leak_peers/table.py) at the end; per-run JSON is under $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
REPEATS=${1:-3}
read -r -a BUDGETS <<< "${BUDGETS-2000 10000}"
read -r -a TOOLS <<< "${TOOLS-memlab leakage memwatch}"
OUT=${OUT:-/tmp/leak_peers}
CACHE=${CACHE:-$HOME/.cache/heapstorm-bench}
CORPUS=$(realpath "${CORPUS:-$ROOT/tests/fixtures/leak_corpus}")
mkdir -p "$OUT/tmp" "$CACHE"
# A private scratch folder (see bench/leak_corpus.sh).
export TMPDIR="$OUT/tmp"

# The peers, pinned: reinstalled only when package.json changed. PUPPETEER_SKIP_DOWNLOAD:
# memlab's browser is not needed for Node heap snapshots; npm_config_nodedir: node-memwatch
# builds against the installed node's headers (node-gyp cannot download them here).
if ! cmp -s bench/leak_peers/package.json "$CACHE/package.json" || [ ! -d "$CACHE/node_modules" ]; then
  cp bench/leak_peers/package.json "$CACHE/package.json"
  echo "installing the peers into $CACHE ..." >&2
  (cd "$CACHE" && PUPPETEER_SKIP_DOWNLOAD=1 npm_config_nodedir=${npm_config_nodedir:-/usr} \
    npm install --no-audit --no-fund >"$CACHE/install.log" 2>&1) || {
    echo "npm install failed; see $CACHE/install.log" >&2; exit 1; }
fi
# The runners and cases run from the cache, next to its node_modules.
cp bench/leak_peers/*.js "$CACHE/"
rm -rf "$CACHE/cases" && mkdir -p "$CACHE/cases"
[ "${CASES:-}" = none ] || cp -r bench/leak_peers/cases/. "$CACHE/cases/"

if [ ${#BUDGETS[@]} -gt 0 ] && [ -z "${HEAPSTORM:-}" ]; then
  bazel build -c opt //cli:heapstorm >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log" >&2; exit 1; }
  HEAPSTORM=$(bazel info -c opt bazel-bin 2>/dev/null)/cli/heapstorm
fi
echo "heapstorm: ${HEAPSTORM:-not run} ($(git rev-parse --short HEAD)); $(uptime)" >&2

mapfile -t CASES < <(python3 bench/leak_peers/table.py cases "$CORPUS" "$CACHE/cases")
# Only what this invocation runs is cleared: a peers-only and a heapstorm-only invocation
# (TOOLS= or BUDGETS= empty) into the same OUT make one table.
for tool in "${TOOLS[@]}"; do rm -rf "$OUT/peers/$tool"; done
for b in "${BUDGETS[@]}"; do rm -rf "$OUT/heapstorm-$b-"*; done
start_all=$(date +%s)

heapstorm_passes() {
  for r in $(seq 1 "$REPEATS"); do
    for b in "${BUDGETS[@]}"; do
      python3 bench/leak_peers/table.py suite "$CORPUS" "$CACHE/cases" "$b" >"$OUT/suite-$b.yaml"
      s=$(date +%s)
      "$HEAPSTORM" run "$OUT/suite-$b.yaml" --workers 1 --out "$OUT/heapstorm-$b-r$r" \
        >"$OUT/heapstorm-$b-r$r.log" 2>&1 || true
      echo "heapstorm budget $b repeat $r: $(( $(date +%s) - s )) s" >&2
    done
  done
}
heapstorm_passes &
hs_pid=$!

for r in $(seq 1 "$REPEATS"); do
  s=$(date +%s)
  for line in "${CASES[@]}"; do
    IFS=$'\t' read -r name path leaks fds old_mib <<< "$line"
    limit=()
    [ "$fds" != 0 ] && limit=(prlimit "--nofile=$fds:$fds")
    node_flags=()
    [ "$old_mib" != 0 ] && node_flags=("--max-old-space-size=$old_mib")
    for tool in "${TOOLS[@]}"; do
      case $tool in
        memlab) args=("${MEMLAB_WARMUP:-200}" "${MEMLAB_N:-1000}") ;;
        leakage) args=("${LEAKAGE_ITERATIONS:-1000}" "${LEAKAGE_ROUNDS:-6}") ;;
        memwatch) args=("${MEMWATCH_ITERATIONS:-6000}" "${MEMWATCH_EVERY:-100}" "${MEMWATCH_WARMUP:-200}") ;;
      esac
      mkdir -p "$OUT/peers/$tool"
      res="$OUT/peers/$tool/$name.r$r.json"
      rm -f "$res"
      (cd "$CACHE" && timeout -k 10 900 "${limit[@]}" node "${node_flags[@]}" "run_$tool.js" "$path" "$res" "${args[@]}" \
        >>"$OUT/peers.log" 2>&1) || true
      [ -s "$res" ] || echo "{\"tool\": \"$tool\", \"verdict\": \"error\", \"detail\": \"no result (crashed or timed out)\"}" >"$res"
    done
  done
  echo "peers repeat $r: $(( $(date +%s) - s )) s" >&2
done
wait "$hs_pid"
echo "all: $(( $(date +%s) - start_all )) s; $(uptime)" >&2
python3 bench/leak_peers/table.py table "$CORPUS" "$CACHE/cases" "$OUT" "${BUDGETS[@]}"
