#!/usr/bin/env bash
# The cost of the driver's unit counter (issue 14): each built-in kind with the counter on and
# off, interleaved A/B in one run, the median of the per-pair ratios.
#
#   bench/unit_counter.sh            # PAIRS=12 by default; about 5 minutes on 2 cores
#   ON_DRIVER=FILE bench/unit_counter.sh   # another driver.js as "on" (and its "off" copy),
#                                          # e.g. an earlier commit's, to compare ways of publishing
#   AA=1 bench/unit_counter.sh             # A/A check of the method: "off" is "on" under another name
#   KINDS=large_buffers,script_sessions bench/unit_counter.sh   # only these scenarios
#   LB_COUNT=40000 KINDS=large_buffers bench/unit_counter.sh     # longer runs (default 4000
#                                          # buffers): the per-run noise of the ratio shrinks
#
# `heapstorm run --keep-run-dirs` writes each kind's scenario JSON (the kind's defaults for
# every parameter not given); then worker/driver/driver.js runs directly on it ("on") and so
# does a copy whose unitDone() only records the count ("off": no look at the clock, no
# publishing; the ramp needs the count anyway). Each is given what the engine gives it: its
# telemetry on a pipe (fd 3) drained as it comes, and the unit counter's file (fd 4), read
# at every sample (the scenario's sample_hz, as the engine does). The two of a pair run at the same time, so
# the load of a shared machine falls on both alike (which starts first alternates). Per
# pair: node's CPU time (user + system, from wait4; it leaves out the time a loaded machine
# keeps node waiting, which wall time does not) and the ramp's wall time (last checkpoint's
# t_ms − first's), each as on ÷ off. Printed: min / median / max of each. Then the same cost
# by accounting: bench/unit_counter_parts.js times each part of the counter in one process,
# multiplied by how often each run did it (publishes: the `u N` lines of a driver that
# writes them; for one that writes none, of a copy that also writes them, run once more).
# Beside the CPU ratio, a figure that load does not move: the instructions each run executed
# in user mode (all its threads), on ÷ off. This machine's perf has no hardware counters (a VM:
# `perf stat -e instructions:u` says <not supported>), so they are counted by valgrind
# (`--tool=cachegrind --cache-sim=no`, its "I refs"), IR_RUNS runs of each (default 3, 0 to
# skip; about 10x node's time each). The count varies ~2% from run to run (when V8's GC and
# compiler threads run). Valgrind slows node ~10x and the counter publishes about once per
# millisecond of the units' pace, so under valgrind it publishes several times as often per
# unit as natively (the column beside says how often): for the publishing part the figure is
# an upper bound. The instructions of V8's optimizing compiler and of its garbage collector
# (by function name, from cachegrind's per-function counts) are also shown apart: "on"
# compiles the counter's out-of-line part once per run (tens of millions of instructions,
# tens of ms: a cost per run, not per unit), and the work of the same number of GCs varies
# with when their helper threads run; what is left is the units' own work and the counter's.
# Raw data in bench/out/unit_counter/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${PAIRS:-12}
ir_runs=${IR_RUNS:-3}
if ! command -v valgrind >/dev/null; then ir_runs=0; echo "# valgrind not found: no instruction counts" >&2; fi
out=bench/out/unit_counter
root=$PWD
rm -rf "$out"
mkdir -p "$out"
bazel build //cli:heapstorm >&2
heapstorm=bazel-bin/cli/heapstorm

printf '%s\n' "'use strict';" "module.exports = { iteration() {} };" >"$out/noop.js"
# Counts are the kinds' required parameters, sized for a ramp of about a second; every other
# parameter is the kind's default. (open_connections is left out: its units are paced by
# clients that live in the worker, see bench/RESULTS.md.)
cat >"$out/kinds.yaml" <<YAML
scenarios:
  - {name: cached_data, kind: cached_data, params: {entries: 100000}, limits: {old_space: 1024Mi}}
  - {name: large_buffers, kind: large_buffers, params: {count: ${LB_COUNT:-4000}, size: 64Ki}, limits: {old_space: 1024Mi}}
  - {name: deep_recursion, kind: deep_recursion, params: {depth: 400000}, limits: {stack: 63Mi, native_stack: 64Mi}}
  - {name: script_noop, kind: script, params: {module: $root/$out/noop.js, iterations: 20000000}}
  - {name: script_sessions, kind: script, params: {module: $root/tests/fixtures/capacity/sessions.js, iterations: 1500}, limits: {old_space: 1024Mi}}
YAML
TMPDIR=$root/$out "$heapstorm" run --workers 1 --keep-run-dirs --no-cgroups --out "$out/kinds" "$out/kinds.yaml" >/dev/null 2>&1 || true

# "off": unitDone() records the count and returns; next = Infinity stops deep_recursion's tick.
on_driver=$(realpath "${ON_DRIVER:-worker/driver/driver.js}")
cp "$on_driver" "$out/driver_on.js"
sed -e 's/^function unitDone(n) {$/function unitDone(n) { unitsReached = n; return;/' \
    -e 's/^  next: 1,  /  next: Infinity,  /' "$on_driver" >"$out/driver_off.js"
grep -q 'unitsReached = n; return;' "$out/driver_off.js"
grep -q 'next: Infinity,' "$out/driver_off.js"
# "count": "on" that also writes a `u N` line per publish to its telemetry, run once per kind
# outside the timed pairs, to count the publishes of a driver that writes none.
sed -e "s/^    fs.writeSync(UNITS_FD, record, 0, 12, 0);\$/&  fs.writeSync(TELEMETRY_FD, 'u ' + n + '\\\\n');/" \
    "$on_driver" >"$out/driver_count.js"
if [[ -n "${AA:-}" ]]; then cp "$on_driver" "$out/driver_off.js"; echo "# A/A: off is on under another name"; fi

uptime | sed 's/^/# /'
KINDS=${KINDS:-} python3 - "$root" "$out" "$pairs" "$ir_runs" <<'PY'
import glob, json, os, re, select, shlex, statistics, subprocess, sys, time

root, out, pairs, ir_runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
drivers = {v: os.path.join(root, out, f'driver_{v}.js') for v in ('on', 'off', 'count')}
by_pipe = b"writeSync(TELEMETRY_FD, 'u '" in open(drivers['on'], 'rb').read()

def node_args(scenario, variant):
    limits = scenario.get('limits', {})
    return ['node', f"--max-old-space-size={limits.get('max_old_space_mib', 256)}",
            f"--max-semi-space-size={limits.get('max_semi_space_mib', 16)}",
            f"--stack-size={limits.get('stack_kib', 984)}", '--expose-gc', drivers[variant], 'scenario.json']

def instructions(run_dir, scenario, variant):
    """The user-mode instructions of one run of `variant` (all its threads), counted by
    valgrind, its telemetry to a file and fd 4 the counter's file: (instructions, publishes)."""
    stack_kib = int(scenario.get('limits', {}).get('native_stack_kib', 8192))
    telemetry = os.path.join(root, out, f'ir-telemetry-{variant}')
    log = os.path.join(root, out, f'ir-valgrind-{variant}')
    units = os.path.join(root, out, f'ir-units-{variant}')
    with open(units, 'wb') as f:
        f.write(bytes(12))
    counts = os.path.join(root, out, f'ir-cachegrind-{variant}')
    command = ['valgrind', '--tool=cachegrind', '--cache-sim=no', f'--main-stacksize={stack_kib * 1024}',
               f'--cachegrind-out-file={counts}'] + node_args(scenario, variant)
    subprocess.run(['bash', '-c', f"ulimit -s {stack_kib}; exec {shlex.join(command)} "
                    f"3>{shlex.quote(telemetry)} 4<>{shlex.quote(units)} <{os.devnull} >{os.devnull} 2>{shlex.quote(log)}"],
                   cwd=run_dir, check=True)
    count = re.search(rb'I\s+refs:\s+([\d,]+)', open(log, 'rb').read())
    if count is None:
        sys.exit(f'valgrind counted nothing: see {log}')
    publishes = sum(1 for line in open(telemetry, 'rb') if line.startswith(b'u '))
    if b'DRIVER_EVENT_TYPE_DONE' not in open(telemetry, 'rb').read():
        sys.exit(f'the run under valgrind did not finish: see {log} and {telemetry}')
    # The parts spent in V8's optimizing compiler (functions in v8::internal::compiler: a cost
    # per run, compiling the counter's code once, not per unit) and in its garbage collector
    # (by function name; how much a GC does depends on when its helper threads run, which
    # valgrind changes: the number of GCs is the same on and off, see bench/RESULTS.md).
    compiler = gc = 0
    part = None
    for line in open(counts, 'rb'):
        if line.startswith(b'fn='):
            name = line[3:]
            part = ('compiler' if b'v8::internal::compiler::' in name else
                    'gc' if any(k in name for k in GC_NAMES) else None)
        elif part and line[:1].isdigit():
            if part == 'compiler':
                compiler += int(line.split()[1])
            else:
                gc += int(line.split()[1])
    return int(count.group(1).replace(b',', b'')), compiler, gc, publishes

GC_NAMES = (b'Scaveng', b'Marking', b'MarkCompact', b'Sweep', b'Evacuat', b'Pretenuring', b'heap::base::',
            b'RememberedSet', b'SlotSet', b'BodyDescriptor', b'LiveObject', b'MemoryChunk', b'GCTracer',
            b'Heap::', b'SizeFromMap', b'NewSpace', b'PagedSpace', b'Compaction', b'Ephemeron', b'WeakObjects',
            b'RecordWrite', b'cppgc')

def start(run_dir, scenario, variant):
    """Starts one driver run, its telemetry on a pipe (fd 3) and its unit counter's file at
    fd 4 (a record's size of zeros, as the engine pre-writes one): (pid, telemetry read end,
    telemetry copy, counter file descriptor)."""
    limits = scenario.get('limits', {})
    args = node_args(scenario, variant)
    stack = int(limits.get('native_stack_kib', 8192)) * 1024
    read_fd, write_fd = os.pipe()
    units_fd = os.open(os.path.join(root, out, f'units-{variant}'), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    os.pwrite(units_fd, bytes(12), 0)
    pid = os.fork()
    if pid == 0:
        try:
            import resource
            resource.setrlimit(resource.RLIMIT_STACK, (stack, stack))
            os.chdir(run_dir)
            null = os.open(os.devnull, os.O_RDWR)
            os.dup2(null, 0); os.dup2(null, 1); os.dup2(null, 2); os.dup2(write_fd, 3); os.dup2(units_fd, 4)
            os.execvp('node', args)
        finally:
            os._exit(127)
    os.close(write_fd)
    return pid, read_fd, open(os.path.join(root, out, f'telemetry-{variant}'), 'wb'), units_fd

def pair(run_dir, scenario, order):
    """Runs "on" and "off" at the same time (started in `order`), each telemetry pipe drained
    as it comes and each counter file read at every sample (as the engine does), so both see
    the same load. Per variant: (ramp wall ms, CPU s, units, publishes)."""
    running = {v: start(run_dir, scenario, v) for v in order}
    open_fds = {running[v][1]: v for v in running}
    sample_s = 1.0 / max(1, int(scenario.get('sample_hz', 15)))
    next_sample = time.monotonic()
    while open_fds:
        now = time.monotonic()
        if now >= next_sample:
            for v in running:
                os.pread(running[v][3], 12, 0)
            next_sample = now + sample_s
        ready, _, _ = select.select(list(open_fds), [], [], max(0.0, next_sample - time.monotonic()))
        for fd in ready:
            chunk = os.read(fd, 65536)
            if chunk:
                running[open_fds[fd]][2].write(chunk)
            else:
                os.close(fd)
                del open_fds[fd]
    got = {}
    for v, (pid, _, telemetry, units_fd) in running.items():
        telemetry.close()
        os.close(units_fd)
        _, status, usage = os.wait4(pid, 0)
        first = last = None
        units = publishes = 0
        for line in open(telemetry.name, encoding='utf-8', errors='replace'):
            if line.startswith('u '):
                publishes += 1
            elif line.startswith('{'):
                e = json.loads(line)
                if e.get('type') == 'DRIVER_EVENT_TYPE_CHECKPOINT':
                    t = e['checkpoint']['t_ms']
                    first = t if first is None else first
                    last = t
                if e.get('type') == 'DRIVER_EVENT_TYPE_DONE':
                    units = int(e.get('units', 0))
        ramp_ms = (last - first) if first is not None else 0.0
        got[v] = (ramp_ms, usage.ru_utime + usage.ru_stime, units, publishes)
    return got

def count_publishes(run_dir, scenario):
    """The publishes of the "on" driver, counted in one run of its "count" copy."""
    pid, fd, telemetry, units_fd = start(run_dir, scenario, 'count')
    lines = b''
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        lines += chunk
    os.close(fd)
    os.close(units_fd)
    telemetry.close()
    os.waitpid(pid, 0)
    count = sum(1 for line in lines.split(b'\n') if line.startswith(b'u '))
    if count == 0:
        sys.exit('the "count" copy of the driver wrote no `u N` lines: is its sed in this script current?')
    return count

print('| kind (parameters; the rest at defaults) | units | CPU time on ÷ off: min / median / max | ramp wall time on ÷ off: min / median / max | pairs | publishes per CPU s (on, median) | instructions on ÷ off: min / median / max (valgrind) | the same without V8\'s optimizing compiler and GC | more instructions "on" in the compiler, in GC (M) | publishes under valgrind |')
print('|---|---|---|---|---|---|---|---|---|---|')
kinds = []
for run_dir in sorted(glob.glob(os.path.join(root, out, 'heapstorm-run-*'))):
    config = os.path.join(run_dir, 'scenario.json')
    if not os.path.exists(config):
        continue
    scenario = json.load(open(config))
    if os.environ.get('KINDS') and scenario['name'] not in os.environ['KINDS'].split(','):
        continue
    wall, cpu, units, on_cpu, on_publishes = [], [], 0, [], []
    raw = open(os.path.join(root, out, scenario['name'] + '.tsv'), 'w')
    for i in range(pairs):
        got = pair(run_dir, scenario, ('on', 'off') if i % 2 == 0 else ('off', 'on'))
        units = got['on'][2]
        on_cpu.append(got['on'][1])
        on_publishes.append(got['on'][3])
        if got['off'][0] > 0 and got['off'][1] > 0:
            wall.append(got['on'][0] / got['off'][0])
            cpu.append(got['on'][1] / got['off'][1])
        raw.write('\t'.join(str(x) for v in ('on', 'off') for x in got[v]) + '\n')
    if not cpu:
        sys.exit(f"{scenario['name']}: no run reported its units (is the driver protocol in this script current?)")
    if not by_pipe:
        on_publishes = [count_publishes(run_dir, scenario)]
    # Instructions: on and off in turn (which goes first alternating), each "on" over the
    # median of the "off" runs.
    counted = {'on': [], 'off': []}
    for i in range(ir_runs):
        for v in (('on', 'off') if i % 2 == 0 else ('off', 'on')):
            counted[v].append(instructions(run_dir, scenario, v))
    def over_off(part):
        """Each "on" run's part(counts) over the median of the "off" runs'."""
        return [part(c) / statistics.median(part(x) for x in counted['off']) for c in counted['on']]
    ir = over_off(lambda c: c[0])
    ir_mutator = over_off(lambda c: c[0] - c[1] - c[2])
    more_m = lambda i: (statistics.median(c[i] for c in counted['on']) - statistics.median(c[i] for c in counted['off'])) / 1e6 if ir_runs else float('nan')
    ir_publishes = f"{statistics.median(c[3] for c in counted['on']):,.0f}" if ir_runs else 'n/a'
    fmt = lambda r: f"{min(r):.3f} / **{statistics.median(r):.3f}** / {max(r):.3f}" if r else 'n/a'
    fmt4 = lambda r: f"{min(r):.4f} / **{statistics.median(r):.4f}** / {max(r):.4f}" if r else 'n/a'
    raw.write('# instructions (total, in the optimizing compiler, in GC, publishes) on: ' + repr(counted['on']) +
              ', off: ' + repr(counted['off']) + '\n')
    raw.close()
    per_cpu_s = statistics.median(p / c for p, c in zip(on_publishes, on_cpu)) if by_pipe else float('nan')
    print(f"| {scenario['name']} | {units:,} | {fmt(cpu)} | {fmt(wall)} | {len(cpu)} | {per_cpu_s:,.0f} | {fmt4(ir)} | {fmt4(ir_mutator)} | {more_m(1):+,.0f}, {more_m(2):+,.0f} | {ir_publishes} |", flush=True)
    kinds.append((scenario['name'], units, statistics.median(on_cpu), statistics.median(on_publishes)))

# The same cost by accounting: the counter's parts timed in one process (unit_counter_parts.js),
# times how often a run did each (its "u" lines counted, in the "count" run for a driver that
# writes none; a look at the clock ~10 per publish; a publish by pipe or by file as the "on"
# driver did),
# over the run's CPU time (node's start included: ~0.1 s of it).
read_fd, write_fd = os.pipe()
pid = os.fork()
if pid == 0:
    try:
        os.dup2(write_fd, 3)
        os.dup2(os.open(os.path.join(root, out, 'units-parts'), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600), 4)
        stdout = os.open(os.path.join(root, out, 'parts.json'), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(stdout, 1)
        os.execvp('node', ['node', os.path.join(root, 'bench/unit_counter_parts.js')])
    finally:
        os._exit(127)
os.close(write_fd)
while os.read(read_fd, 65536):
    pass
os.close(read_fd)
os.waitpid(pid, 0)
parts = json.load(open(os.path.join(root, out, 'parts.json')))
print()
print(f"Parts (ns, median of 21 alternating blocks): a comparison per unit {parts['compare_ns_per_unit']:.2f}, "
      f"a look at the clock {parts['clock_ns']:.0f}, a publish: file record {parts['publish_file_ns']:.0f}, "
      f"pipe line {parts['publish_pipe_ns']:.0f} (a reader blocked on the pipe), "
      f"a look at the heap {parts['heap_statistics_ns']:.0f}")
print()
print('| kind | units | publishes | CPU s (median) | CPU per unit | counter per unit | share |')
print('|---|---|---|---|---|---|---|')
for name, units, cpu_s, publishes in kinds:
    publish_ns = parts['publish_pipe_ns'] if by_pipe else parts['publish_file_ns']
    per_publish = publish_ns + parts['heap_statistics_ns'] + 10 * parts['clock_ns']
    counter_ns = publishes * per_publish + units * parts['compare_ns_per_unit']
    per_unit = cpu_s * 1e9 / max(1, units)
    print(f"| {name} | {units:,} | {publishes:,.0f} | {cpu_s:.2f} | {per_unit:,.1f} ns | "
          f"{counter_ns / max(1, units):,.2f} ns | **{100 * counter_ns / (cpu_s * 1e9):.2f}%** |", flush=True)
PY
uptime | sed 's/^/# /'
