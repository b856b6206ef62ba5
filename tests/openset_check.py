#!/usr/bin/env python3
"""Recomputes the report's "Unseen kinds" section from --predictions (rows
labelled "unseen" are the unseen images, the rest the test set), with
Python's standard library only: the share at OTHER of each, and AUROC (by
counting every pair, a tie 1/2) and FPR at 95 % TPR (the highest threshold
accepting at least ceil(0.95 n) test images, score >= t accepted) of the
judge score and of MSP. Usage: openset_check.py REPORT PREDICTIONS."""
import csv
import math
import re
import sys

report = open(sys.argv[1]).read()
rows = list(csv.DictReader(open(sys.argv[2])))
known = [r for r in rows if r["label"] != "unseen"]
unseen = [r for r in rows if r["label"] == "unseen"]
assert known and unseen, "need test and unseen rows"
K = int(re.search(r"^Model: Stage 1 '[^']*' and (\d+) judges?", report, re.M).group(1))  # OTHER
other = lambda rs: sum(int(r["final"]) == K for r in rs) / len(rs)


def auroc(pos, neg):
    wins = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def fpr95(pos, neg):
    need = math.ceil(0.95 * len(pos) - 1e-9)
    t = sorted(pos, reverse=True)[need - 1]
    return sum(b >= t for b in neg) / len(neg)


failures = []
m = re.search(r"at OTHER at tau\s+([0-9.]+)% of the unseen images,\s+([0-9.]+)% of the test",
              report)
if not m:
    failures.append("no 'at OTHER at tau' line")
else:
    for printed, want, what in ((m.group(1), other(unseen), "unseen"),
                                (m.group(2), other(known), "test")):
        if printed != f"{100 * want:.2f}":
            failures.append(f"{what} at OTHER: report {printed}, predictions {100 * want:.2f}")
for col, name in (("judge_score", "judge score"), ("msp", "MSP")):
    pos = [float(r[col]) for r in known]
    neg = [float(r[col]) for r in unseen]
    m = re.search(r"^  " + name + r"\s+([0-9.]+)\s+([0-9.]+)\s*$", report.split(
        "Telling test images (positive)")[-1], re.M)
    if not m:
        failures.append(f"no {name} line in the unseen section")
        continue
    for printed, want, what in ((m.group(1), auroc(pos, neg), "AUROC"),
                                (m.group(2), fpr95(pos, neg), "FPR@95%TPR")):
        if printed != f"{want:.4f}":
            failures.append(f"{name} {what}: report {printed}, predictions {want:.4f}")
for f in failures:
    print("openset_check:", f)
print(f"openset_check: {len(known)} test and {len(unseen)} unseen rows, "
      f"{len(failures)} mismatches")
sys.exit(1 if failures else 0)
