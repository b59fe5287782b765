#!/usr/bin/env python3
"""A big script module × many repeats on a real cluster: coordinator + 2 workers as processes.

    python3 bench/module_memory.py [--heapstorm bazel-bin/cli/heapstorm] [--module-mib 4] [--repeats 200]

Prints one JSON line: the coordinator's and each worker's peak RSS (wait4; a worker's
includes its largest node child), the runs completed and the wall time. Issue 17 measured
1.66 GB for 4 MiB × 200 when the module travelled inside every assignment.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--heapstorm', default='bazel-bin/cli/heapstorm')
    ap.add_argument('--module-mib', type=float, default=4)
    ap.add_argument('--repeats', type=int, default=200)
    ap.add_argument('--timeout-s', type=float, default=600)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix='heapstorm-module-bench-')
    try:
        rng = random.Random(17)
        size = int(args.module_mib * (1 << 20))
        lines = ["'use strict';"]
        total = 0
        while total < size:
            line = '// ' + ''.join(rng.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(100))
            lines.append(line)
            total += len(line) + 1
        lines.append('module.exports = { iteration() {} };')
        with open(os.path.join(work, 'big.js'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
        suite = os.path.join(work, 'suite.yaml')
        with open(suite, 'w') as f:
            f.write('scenarios:\n  - name: big-module\n    kind: script\n'
                    '    params: {module: big.js, iterations: 10}\n'
                    f'    repeats: {min(args.repeats, 1000)}\n')
        out = os.path.join(work, 'run')
        start = time.time()
        coordinator = subprocess.Popen(
            [args.heapstorm, 'coordinator', suite, '--listen', '127.0.0.1:0', '--out', out,
             '--expect-workers', '2'],
            stdout=subprocess.PIPE, stderr=open(os.path.join(work, 'c.err'), 'w'), text=True)
        address = None
        for line in coordinator.stdout:
            if line.startswith('listening on '):
                address = line.split()[-1]
                break
        if address is None:
            raise SystemExit('the coordinator did not start: ' + open(os.path.join(work, 'c.err')).read())
        # Scratch folders of their own: nothing else on the machine sweeps them.
        scratch = os.path.join(work, 'scratch')
        os.mkdir(scratch)
        env = dict(os.environ, TMPDIR=scratch)
        workers = [subprocess.Popen([args.heapstorm, 'worker', '--coordinator', address, '--id', f'w{i}',
                                     '--slots', '2', '--no-cgroups'],
                                    stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, f'w{i}.err'), 'w'),
                                    env=env)
                   for i in range(2)]
        procs = {'coordinator': coordinator, 'w0': workers[0], 'w1': workers[1]}
        peaks, codes = {}, {}
        deadline = time.time() + args.timeout_s
        while len(codes) < len(procs) and time.time() < deadline:
            pid, status, usage = os.wait4(-1, 0)
            for name, p in procs.items():
                if p.pid == pid:
                    peaks[name] = round(usage.ru_maxrss / 1024, 1)
                    codes[name] = os.waitstatus_to_exitcode(status)
        wall = time.time() - start
        report = json.load(open(os.path.join(out, 'report.json')))
        print(json.dumps({
            'module_bytes': total, 'repeats': args.repeats,
            'runs_completed': sum(1 for r in report.get('runs', []) if r.get('outcome') == 'OUTCOME_COMPLETED'),
            'coordinator_peak_rss_mib': peaks.get('coordinator'),
            'worker_peak_rss_mib': [peaks.get('w0'), peaks.get('w1')],
            'exit_codes': codes, 'seconds': round(wall, 1)}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
