#!/bin/bash
# The leak corpus (tests/fixtures/leak_corpus, written without reading heapstorm's code)
# at the budgets a user writes, repeated: one verdict per module, budget and repeat, and a
# table of how often each module got each verdict. Not run in CI (it takes minutes).
#
#   bench/leak_corpus.sh [REPEATS] [BUDGETS...]        # default: 5 repeats, 2000 10000 30000
#   bench/leak_corpus.sh 10 2000                        # the 10-repeat determinism check
#   MODULES="async_queue_drain.mjs one_shot_at_100.mjs" bench/leak_corpus.sh 10 2000   # some only
#   CORPUS=tests/fixtures/table_corpus bench/leak_corpus.sh 5 2000 10000   # another corpus
#   WORKERS=1 bench/leak_corpus.sh 3 2000               # one run at a time (default: 2, as
#                                                       # `heapstorm run` on this 2-core machine)
#   NODE=/opt/node22/bin/node bench/leak_corpus.sh 1 2000   # another node (`heapstorm run --node`)
#
# The table's last line checks determinism (issue 13): every module's verdict the same in
# at least 9 of 10 repeats (90%), and never both leak and no_leak for one module. A line
# per budget follows with what the forced GCs cost over every run (issue 13: under 10% of
# the run's wall time): the share's median, p90 and max, and the gc() calls per run.
#
# Builds //cli:heapstorm, writes one suite per budget into $OUT (default /tmp/leak_corpus),
# runs it with `heapstorm run --workers $WORKERS` (default 2), and prints the table
# (bench/leak_corpus_table.py).
# The label of a module is the first line of its file ("// LEAK: ..." or "// NO LEAK: ...")
# and its descriptor limit the "descriptors: N" it names there, until labels.json exists.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${1:-5}
shift || true
BUDGETS=("$@")
[ ${#BUDGETS[@]} -gt 0 ] || BUDGETS=(2000 10000 30000)
OUT=${OUT:-/tmp/leak_corpus}
WORKERS=${WORKERS:-2}
mkdir -p "$OUT/tmp"
# A private scratch folder: another heapstorm sweeping "stale" run folders in /tmp from a
# different PID namespace (a sandboxed test) took live ones away mid-run.
export TMPDIR="$OUT/tmp"
if [ -z "${HEAPSTORM:-}" ]; then  # or a binary built already (HEAPSTORM=...)
  bazel build -c opt //cli:heapstorm >/dev/null 2>&1 || bazel build //cli:heapstorm
  HEAPSTORM=$(bazel info bazel-bin 2>/dev/null)/cli/heapstorm
fi
CORPUS=$(realpath "${CORPUS:-tests/fixtures/leak_corpus}")
for budget in "${BUDGETS[@]}"; do
  suite="$OUT/corpus-$budget.yaml"
  python3 bench/leak_corpus_table.py suite "$CORPUS" "$budget" "$REPEATS" > "$suite"
  rm -rf "$OUT/out-$budget"
  start=$(date +%s.%N)
  "$HEAPSTORM" run "$suite" ${NODE:+--node "$NODE"} --workers "$WORKERS" --out "$OUT/out-$budget" >"$OUT/run-$budget.log" 2>&1 || true
  end=$(date +%s.%N)
  echo "budget $budget: $(python3 -c "print(round($end-$start,1))") s" >&2
done
python3 bench/leak_corpus_table.py table "$CORPUS" "$OUT" "${BUDGETS[@]}"
