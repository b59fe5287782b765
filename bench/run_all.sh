#!/usr/bin/env bash
# Runs every heapstorm benchmark on this machine and writes bench/RESULTS.md.
#
#   bench/run_all.sh            # about 10 minutes on 2 cores
#   REPEATS=3 bench/run_all.sh  # fewer repeats, quicker
#
# Every figure is a ratio against a reference measured in the same run (these machines are
# noisy), with min/median/max over the repeats and the exact command. The analysis is in
# bench/analyze.py; the raw measurements land in bench/out/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
repeats=${REPEATS:-5}
out=bench/out
rm -rf "$out"
mkdir -p "$out"
ulimit -n 20000 2>/dev/null || true

echo "bench: building (-c opt)" >&2
bazel build -c opt //cli:heapstorm //bench:micro_bench //bench:coordinator_scale //bench:engine_runs >&2
bin=bazel-bin
heapstorm="$bin/cli/heapstorm"

# --- micro-benchmarks (Google Benchmark) ---------------------------------------------------
echo "bench: micro-benchmarks" >&2
node -e '
const v8 = require("v8");
const keep = [];
class Session { constructor(i) { this.id = i; this.user = "user-" + i; this.cart = [i, i + 1]; } }
for (let i = 0; i < 300000; i++) keep.push(new Session(i));
v8.writeHeapSnapshot(process.argv[1]);
' "$out/bench.heapsnapshot"
"$bin/bench/micro_bench" --snapshot="$out/bench.heapsnapshot" --benchmark_repetitions="$repeats" \
  --benchmark_report_aggregates_only=true --benchmark_format=json >"$out/micro.json"

# --- coordinator scale -----------------------------------------------------------------------
echo "bench: coordinator scale" >&2
for run_ms in 200 100 0; do
  for i in $(seq 1 3); do
    timeout 120 "$bin/bench/coordinator_scale" --workers=1000 --assignments=20000 --run-ms=$run_ms >>"$out/scale.jsonl" ||
      echo "bench: coordinator_scale --run-ms=$run_ms did not finish in 120 s (left out)" >&2
  done
done
for workers in 250 500; do
  timeout 120 "$bin/bench/coordinator_scale" --workers=$workers --assignments=20000 --run-ms=0 >>"$out/scale.jsonl" ||
    echo "bench: coordinator_scale --workers=$workers did not finish in 120 s (left out)" >&2
done

# --- perturbation: heapstorm's peak heap/RSS vs the same loop in plain node ----------------------
echo "bench: perturbation" >&2
cat >"$out/perturb.yaml" <<'YAML'
scenarios:
  - name: cache
    kind: cached_data
    params: {entries: 200000, entry_size: 512B}
    limits: {old_space: 512Mi}
YAML
cat >"$out/perturb_plain.js" <<'JS'
// The same allocation loop as the cached_data driver, with no driver around it: a Map of
// 200,000 objects with a 464-byte string each, peak heapUsed read every 2,000 entries.
const v8 = require('v8');
const cache = new Map();
const template = Buffer.alloc(464, 'x');
let peak = 0;
for (let i = 0; i < 200000; i++) {
  template.write(String(i), 0, 'latin1');
  const key = String(i).padEnd(16, 'k');
  cache.set(key, { id: i, created: Date.now(), payload: template.toString('latin1') });
  if ((i + 1) % 2000 === 0) peak = Math.max(peak, v8.getHeapStatistics().used_heap_size);
}
console.log(JSON.stringify({ peak_heap_used: peak, max_rss: process.resourceUsage().maxRSS * 1024 }));
JS
for i in $(seq 1 "$repeats"); do
  "$heapstorm" run --workers 1 --no-cgroups --out "$out/perturb-$i" "$out/perturb.yaml" >/dev/null 2>&1
  node --max-old-space-size=512 --max-semi-space-size=16 --stack-size=984 "$out/perturb_plain.js" >>"$out/perturb_plain.jsonl"
done

# --- per-run overhead and local-mode overhead ---------------------------------------------------
echo "bench: per-run overhead" >&2
{
  echo "scenarios:"
  for i in $(seq 1 50); do echo "  - {name: tiny$i, kind: deep_recursion, params: {depth: 10}}"; done
} >"$out/tiny50.yaml"
# Both sides of the local-mode ratio are whole processes timed from outside: each loads the
# suite, checks node and runs the 50 scenarios; heapstorm also serves them over loopback gRPC
# and writes its three reports. Twice the repeats, as pairs, because the difference is small.
for i in $(seq 1 $((repeats * 2))); do
  python3 - "$out" "$heapstorm" "$bin/bench/engine_runs" <<'PY' >>"$out/overhead.jsonl"
import json, subprocess, sys, time
out, heapstorm, engine_runs = sys.argv[1:4]
open(out + "/empty.js", "w").close()
def wall(cmd, **kw):
    t = time.monotonic()
    r = subprocess.run(cmd, check=True, **kw)
    return time.monotonic() - t, r
plain = 0.0
for _ in range(50):
    plain += wall(["node", out + "/empty.js"])[0]
local, _ = wall([heapstorm, "run", "--workers", "1", "--no-cgroups", "--out", out + "/tiny-run", out + "/tiny50.yaml"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
engine, r = wall([engine_runs, out + "/tiny50.yaml", "1"], capture_output=True, text=True)
print(json.dumps({"plain_node_s": plain, "heapstorm_run_s": local, "engine_direct_s": engine,
                  "engine_runs_only_s": float(r.stdout)}))
PY
done

# --- leak verdicts and the heuristics on the same series -------------------------------------
echo "bench: leak verdicts" >&2
fixtures=tests/fixtures/leaks
{
  echo "scenarios:"
  for m in objects closures buffers descriptors timers; do
    echo "  - {name: leak-$m, kind: script, params: {module: $PWD/$fixtures/$m.js, iterations: 2000}, leak_check: {iterations: 2000, checkpoint_every: 20}, expect: {leak: true}}"
  done
  echo "  - {name: leak-slow, kind: script, params: {module: $PWD/$fixtures/slow.js, iterations: 20000}, leak_check: {iterations: 20000, checkpoint_every: 100}, expect: {leak: true}}"
  for m in bounded_cache churn sawtooth warmup weakmap open_close; do
    echo "  - {name: clean-$m, kind: script, params: {module: $PWD/$fixtures/$m.js, iterations: 3000}, leak_check: {iterations: 3000, checkpoint_every: 20}, repeats: 10}"
  done
} >"$out/leaks.yaml"
"$heapstorm" run --workers 2 --no-cgroups --out "$out/leaks" "$out/leaks.yaml" >/dev/null 2>&1 || true

# --- breaking point: one ramp (+ a confirming run) vs bisection ----------------------------------
echo "bench: breaking point" >&2
cat >"$out/ramp.yaml" <<'YAML'
scenarios:
  - name: ramp
    kind: large_buffers
    params: {count: 1000, size: 1Mi}
    checkpoint_every: 1
    limits: {old_space: 64Mi, native: 256Mi}
    confirm: true
    confirm_margin: 2%
    expect: {outcome: native_oom}
YAML
cat >"$out/bisect.yaml" <<'YAML'
scenarios:
  - name: bisect
    kind: large_buffers
    params: {count: 1, size: 1Mi}
    limits: {old_space: 64Mi, native: 256Mi}
    search: {parameter: params.count, low: 1, high: 1000, precision: 4, goal: largest_completing}
YAML
for i in $(seq 1 "$repeats"); do
  for kind in ramp bisect; do
    start=$(date +%s%N)
    "$heapstorm" run --workers 1 --out "$out/$kind-$i" "$out/$kind.yaml" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    echo "{\"kind\": \"$kind\", \"repeat\": $i, \"ms\": $(( (end - start) / 1000000 ))}" >>"$out/breaking.jsonl"
  done
done

# --- telemetry cost: 20 Hz outside sampling vs 1 Hz, CPU over wall ---------------------------------
echo "bench: telemetry cost" >&2
for hz in 1 20; do
  cat >"$out/telemetry-$hz.yaml" <<YAML
scenarios:
  - name: naps
    kind: script
    params: {module: $PWD/tests/fixtures/naps.js, iterations: 100}
    sample_hz: $hz
YAML
done
for i in $(seq 1 "$repeats"); do
  python3 - "$out" "$heapstorm" <<'PY' >>"$out/telemetry.jsonl"
import json, resource, subprocess, sys, time
out, heapstorm = sys.argv[1:3]
row = {}
for hz in (1, 20):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    subprocess.run([heapstorm, "run", "--workers", "1", "--no-cgroups", "--out", f"{out}/tel-{hz}", f"{out}/telemetry-{hz}.yaml"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    row[f"cpu_{hz}hz_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    row[f"wall_{hz}hz_s"] = wall
print(json.dumps(row))
PY
done

echo "bench: writing bench/RESULTS.md" >&2
python3 bench/analyze.py "$out" "$repeats" >bench/RESULTS.md
cat bench/RESULTS.md
