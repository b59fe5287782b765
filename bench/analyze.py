#!/usr/bin/env python3
"""Turns the raw measurements of bench/run_all.sh into bench/RESULTS.md.

Every figure is a ratio against a reference measured in the same run, with min, median and
max over the repeats. Usage: analyze.py OUT_DIR REPEATS
"""
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import time

out, repeats = sys.argv[1], int(sys.argv[2])


def jsonl(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return []
    return [json.loads(line) for line in open(path) if line.strip()]


def mmm(values, fmt="{:.3f}"):
    if not values:
        return "n/a", None
    s = sorted(values)
    med = statistics.median(s)
    return f"{fmt.format(s[0])} / **{fmt.format(med)}** / {fmt.format(s[-1])}", med


def verdict(ok):
    return "met" if ok else "**missed**"


rows = []
notes = []

# Perturbation.
plain = jsonl("perturb_plain.jsonl")
hs = []
for path in sorted(glob.glob(os.path.join(out, "perturb-*", "report.json"))):
    r = json.load(open(path))
    run = r["runs"][0]
    hs.append({"peak_heap_used": float(run.get("peak_heap_used_bytes", 0)),
               "max_rss": float(run.get("peak_rss_bytes", 0))})
heap_ratio = [h["peak_heap_used"] / p["peak_heap_used"] for h, p in zip(hs, plain) if p["peak_heap_used"]]
rss_ratio = [h["max_rss"] / p["max_rss"] for h, p in zip(hs, plain) if p["max_rss"]]
text, med = mmm(heap_ratio)
rows.append(("perturbation: peak heapUsed, heapstorm ÷ plain node (cached_data, 200k × 512B)", text,
             "≤ 1.02", verdict(med is not None and med <= 1.02)))
text, med = mmm(rss_ratio)
rows.append(("perturbation: peak RSS, heapstorm ÷ plain node", text, "≤ 1.02",
             verdict(med is not None and med <= 1.02)))

# Per-run and local-mode overhead.
ov = jsonl("overhead.jsonl")
text, med = mmm([o["heapstorm_run_s"] / o["plain_node_s"] for o in ov])
rows.append(("per-run overhead: 50 tiny scenarios via `heapstorm run --workers 1` ÷ 50 plain `node empty.js`",
             text, "≤ 1.15", verdict(med is not None and med <= 1.15)))
text, med = mmm([o["heapstorm_run_s"] / o["engine_direct_s"] for o in ov])
rows.append(("local mode: the same 50 via `heapstorm run` ÷ `engine_runs` (the engine called directly, no gRPC, no reports), both whole processes", text, "≤ 1.10",
             verdict(med is not None and med <= 1.10)))
text, _ = mmm([o["engine_direct_s"] / o["plain_node_s"] for o in ov])
rows.append(("(for reference) the engine directly ÷ plain node", text, "", ""))
text, _ = mmm([o["heapstorm_run_s"] / o["engine_runs_only_s"] for o in ov if "engine_runs_only_s" in o])
rows.append(("(for reference) `heapstorm run` ÷ the engine's 50 runs alone (timed inside, without its process start, suite load and node check)", text, "", ""))

# Leak verdicts.
leak_rows = []
fp = {"heapstorm": 0, "leakage": 0, "memwatch": 0}
clean_runs = 0
leak_path = os.path.join(out, "leaks", "report.json")


WARMUP = 10  # the same warm-up heapstorm discards


def series_after_gc(run):
    xs, ys = [], []
    for c in run.get("checkpoints", []):
        if c.get("after_gc"):
            xs.append(int(c.get("units", 0)))
            ys.append(float(c.get("heap_used_bytes", 0)))
    return xs[WARMUP:], ys[WARMUP:]


def leakage_heuristic(xs, ys):
    # leakage: a fixed 180 iterations (here: after the warm-up); a leak when the heap grew
    # in at least 2/3 of the rounds.
    start = xs[0] if xs else 0
    points = [(x, y) for x, y in zip(xs, ys) if x - start <= 180]
    if len(points) < 3:
        return None
    grew = sum(1 for a, b in zip(points, points[1:]) if b[1] > a[1])
    return grew >= (2 / 3) * (len(points) - 1)


def memwatch_heuristic(ys):
    # memwatch: a leak after 5 consecutive growths of the heap after GC.
    run = 0
    for a, b in zip(ys, ys[1:]):
        run = run + 1 if b > a else 0
        if run >= 5:
            return True
    return False


if os.path.exists(leak_path):
    report = json.load(open(leak_path))
    for run in report.get("runs", []):
        leak = run.get("leak", {})
        xs, ys = series_after_gc(run)
        name = run["scenario"]
        is_leak = name.startswith("leak-")
        found = leak.get("verdict") == "LEAK_VERDICT_LEAK"
        lk = leakage_heuristic(xs, ys)
        mw = memwatch_heuristic(ys)
        if is_leak:
            leak_rows.append((name, leak.get("iterations", "0"), f"{float(run.get('wall_ms', 0)) / 1000:.2f}",
                              "leak" if found else leak.get("verdict", "?"),
                              "leak" if lk else "no leak", "leak" if mw else "no leak"))
        else:
            clean_runs += 1
            fp["heapstorm"] += found
            fp["leakage"] += bool(lk)
            fp["memwatch"] += bool(mw)

# Breaking point.
br = jsonl("breaking.jsonl")
ramp_ms = [b["ms"] for b in br if b["kind"] == "ramp"]
bisect_ms = [b["ms"] for b in br if b["kind"] == "bisect"]
ramp_runs, bisect_runs, ramp_units, bisect_units = [], [], [], []
for path in glob.glob(os.path.join(out, "ramp-*", "report.json")):
    r = json.load(open(path))
    ramp_runs.append(len(r["runs"]))
    for run in r["runs"]:
        if "confirm@" not in run.get("variation", ""):
            ramp_units.append(int(run.get("units_reached", 0)))
for path in glob.glob(os.path.join(out, "bisect-*", "report.json")):
    r = json.load(open(path))
    bisect_runs.append(len(r["runs"]))
    for s in r.get("searches", []):
        bisect_units.append(int(s.get("value", 0)))
if ramp_ms and bisect_ms:
    text, med = mmm([r / b for r, b in zip(ramp_ms, bisect_ms)])
    rows.append(("breaking point (1Mi buffers under 256Mi native): ramp + confirm ÷ bisection to ±2%, wall time",
                 text, "1 ramp + 1 confirm", verdict(bool(ramp_runs) and max(ramp_runs) <= 2)))

# Telemetry cost.
tel = jsonl("telemetry.jsonl")
cost = [(t["cpu_20hz_s"] - t["cpu_1hz_s"]) / t["wall_20hz_s"] * 100 for t in tel]
text, med = mmm(cost, "{:.2f}%")
rows.append(("telemetry: CPU of 20 Hz outside sampling over 1 Hz, as a share of one core (10 s run)", text,
             "< 1%", verdict(med is not None and med < 1.0)))

# Coordinator scale.
scale = jsonl("scale.jsonl")
for run_ms in (200, 100, 0):
    part = [s for s in scale if s.get("run_ms") == run_ms and s.get("workers") == 1000]
    if not part:
        continue
    p99 = [s["dispatch_p99_ms"] for s in part]
    text, med = mmm(p99, "{:.1f}")
    label = "answering at once (a throughput test)" if run_ms == 0 else f"runs of {run_ms} ms"
    rows.append((f"coordinator: 1,000 simulated workers, {label}: p99 dispatch (ms)", text, "< 50 ms",
                 verdict(med is not None and med < 50) if run_ms else "(see below)"))

# Micro-benchmarks.
micro = json.load(open(os.path.join(out, "micro.json"))) if os.path.exists(os.path.join(out, "micro.json")) else {}
micro_rows = []
report_ms = None
for b in micro.get("benchmarks", []):
    if b.get("aggregate_name") != "median":
        continue
    name = b["run_name"]
    t = b["real_time"]
    unit = b["time_unit"]
    extra = ""
    if "json_MB" in b:
        extra = f"JSON {b['json_MB']:.2f} MB, HTML {b['html_MB']:.2f} MB"
        report_ms = t if unit == "ms" else t / 1e6
        html_mb = b["html_MB"]
    if "bytes_per_second" in b:
        extra = f"{b['bytes_per_second'] / 1e6:.0f} MB/s"
    micro_rows.append((name, f"{t:.3g} {unit}", extra))
if report_ms is not None:
    rows.append(("report: 1,000-run suite → JSON + HTML (ms; HTML size)", f"**{report_ms:.0f} ms**, {html_mb:.2f} MB",
                 "< 1 s, HTML < 2 MB", verdict(report_ms < 1000 and html_mb < 2)))

cpu = "unknown"
try:
    cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0]
except Exception:
    pass
node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()

print("# heapstorm benchmark results\n")
print(f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} × {cpu}, "
      f"Linux {platform.release()}, node {node}, {repeats} repeats. Regenerate with `bench/run_all.sh` "
      "(raw data in `bench/out/`). Figures are min / **median** / max.\n")
print("| figure | ratio or value | goal | |\n|---|---|---|---|")
for r in rows:
    print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} |")
if scale:
    print("\n## Coordinator scale\n")
    print("`bazel-bin/bench/coordinator_scale --workers=W --assignments=20000 --run-ms=N`: the coordinator in "
          "its own process with its journal (group commit); W simulated workers in another, each with its own "
          "connection and session stream (gRPC callback API), answering each assignment after N ms. Dispatch "
          "latency is from a worker's result to its next assignment, seen by the worker.\n")
    print("With N = 0 the loop is closed with no think time, so by Little's law every worker waits about W ÷ "
          "throughput whatever the coordinator does (1,000 ÷ 11,000/s ≈ 90 ms), and the simulated workers take "
          "half of this machine's two cores. It measures throughput; the latency goal is for runs of real length "
          "(the shortest real run, `node` starting and exiting, takes ~40 ms; a scenario takes 100 ms and more).\n")
    print("| workers | run_ms | assignments/s | p50 ms | p99 ms | coordinator peak RSS MiB | coordinator CPU s |\n|---|---|---|---|---|---|---|")
    for s in scale:
        print(f"| {s['workers']} | {s['run_ms']} | {s['assignments_per_s']:.0f} | {s['dispatch_p50_ms']:.1f} | {s['dispatch_p99_ms']:.1f} "
              f"| {s['coordinator_peak_rss_mib']:.0f} | {s['coordinator_cpu_s']:.2f} |")
if leak_rows:
    print("\n## Leak verdicts\n")
    print("`heapstorm run bench/out/leaks.yaml` (labelled modules of tests/fixtures/leaks). The heuristics are "
          "applied to the same after-GC heap series heapstorm recorded, after the same 10-checkpoint warm-up: "
          "*leakage* (a fixed 180 iterations, leak when the heap grew in ≥ 2/3 of the rounds) and *memwatch* "
          "(5 consecutive growths).\n")
    print("| module | iterations to verdict | seconds | heapstorm | leakage heuristic | memwatch heuristic |\n|---|---|---|---|---|---|")
    for r in leak_rows:
        print("| " + " | ".join(str(c) for c in r) + " |")
    print(f"\nFalse positives over {clean_runs} runs of non-leaking modules (bounded cache, churn, sawtooth, "
          f"warm-up, WeakMap, open-and-close; 10 each): heapstorm **{fp['heapstorm']}**, leakage heuristic "
          f"{fp['leakage']}, memwatch heuristic {fp['memwatch']}.")
if ramp_runs:
    print("\n## Breaking point\n")
    print(f"Ramp: {statistics.median(ramp_runs):.0f} runs (the ramp and its confirming run at 2% below), broke at "
          f"{statistics.median(ramp_units):.0f} buffers; bisection (`search`, precision 4 buffers): "
          f"{statistics.median(bisect_runs):.0f} runs, found {statistics.median(bisect_units) if bisect_units else 'n/a'}. "
          f"Wall time ramp {statistics.median(ramp_ms) / 1000:.2f} s vs bisection {statistics.median(bisect_ms) / 1000:.2f} s.")
if micro_rows:
    print("\n## Micro-benchmarks\n")
    print("`bazel-bin/bench/micro_bench --snapshot=bench/out/bench.heapsnapshot` (Google Benchmark, medians):\n")
    print("| benchmark | time | |\n|---|---|---|")
    for r in micro_rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")
