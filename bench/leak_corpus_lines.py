#!/usr/bin/env python3
"""The allocation sites of a leak_corpus.sh run against labels.json's `leak_site` (or one of
its `also_sites`, where the corpus names lines equally plausible): for each leak confirmed
by retention (descriptor and handle leaks have no site), whether the first allocation site
names the right file and line.

    bench/leak_corpus_lines.py OUT [OUT...]     # OUT: a leak_corpus.sh output folder
    CORPUS=tests/fixtures/shape_corpus bench/leak_corpus_lines.py OUT   # another corpus's labels
"""
import glob
import json
import os
import re
import sys

CORPUS = os.environ.get("CORPUS") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "leak_corpus")


def main(outs):
    with open(os.path.join(CORPUS, "labels.json")) as f:
        labels = json.load(f)
    sites = {e["module"]: e.get("leak_site") for e in labels}
    also = {e["module"]: [s.rsplit(":", 1)[1] for s in e.get("also_sites", [])] for e in labels}
    # leak_corpus_table.py names a scenario after its module: lower case, [^a-z0-9] as '-'.
    by_scenario = {re.sub(r"[^a-z0-9]", "-", m.lower()): m for m in sites}
    total = file_right = line_right = 0
    wrong = []
    for out in outs:
        for report in sorted(glob.glob(os.path.join(out, "out-*", "report.json"))):
            budget = os.path.basename(os.path.dirname(report))
            with open(report) as f:
                runs = json.load(f)["runs"]
            for r in runs:
                leak = r.get("leak", {})
                if leak.get("verdict") != "LEAK_VERDICT_LEAK":
                    continue
                if leak.get("summary_kind") != "LEAK_SUMMARY_KIND_RETENTION_CONFIRMED":
                    continue
                module = next((m for s, m in by_scenario.items() if r["scenario"].startswith(s)), None)
                if not module or not sites.get(module):
                    continue
                want_file, want_line = sites[module].rsplit(":", 1)
                got = (leak.get("allocation_sites") or [{}])[0]
                total += 1
                if os.path.basename(got.get("file", "")) != os.path.basename(want_file):
                    wrong.append(f"{module} {budget}: file {got.get('file')}")
                    continue
                file_right += 1
                if str(got.get("line")) in [want_line] + also[module]:
                    line_right += 1
                else:
                    wrong.append(f"{module} {budget}: line {got.get('line')}, not {want_line}")
    print(f"allocation site of {total} leaks confirmed by retention: file right {file_right}, line right {line_right}")
    for w in wrong:
        print("  " + w)


if __name__ == "__main__":
    main(sys.argv[1:])
