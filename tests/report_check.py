#!/usr/bin/env python3
"""Recomputes every metric of an mscnn report from its --predictions CSV,
independently (Python standard library only), and checks each printed
figure to the printed digits. Usage: report_check.py REPORT PREDICTIONS"""
import csv
import math
import re
import sys

report = open(sys.argv[1]).read()
rows = list(csv.DictReader(open(sys.argv[2])))
assert rows, "no predictions"
n = len(rows)
y = [int(r["label"]) for r in rows]
p = [int(r["stage1_pred"]) for r in rows]
msp = [float(r["msp"]) for r in rows]
score = [float(r["judge_score"]) for r in rows]
o = [int(r["final"]) for r in rows]
assert [int(r["index"]) for r in rows] == list(range(n)), "index column"
hit = [int(a == b) for a, b in zip(p, y)]
K = int(re.search(r"and (\d+) judges?", report).group(1))
OTHER = K
t = [yy if h else OTHER for yy, h in zip(y, hit)]
failures = []


def check(what, printed, value, fmt):
    want = fmt.format(value)
    if printed.strip() != want.strip():
        failures.append(f"{what}: report says {printed!r}, predictions give {want!r}")


def find(pattern):
    m = re.search(pattern, report, re.M)
    if not m:
        failures.append(f"report line not found: {pattern}")
        return None
    return m.groups()


# Final outputs agree with the threshold rule the CSV implies.
for i in range(n):
    assert o[i] in (p[i], OTHER), f"row {i}: final is neither the prediction nor OTHER"

s1 = sum(hit) / n
acc11 = sum(a == b for a, b in zip(o, t)) / n
g = find(r"^Final Accuracy: ([\d.]+)% \(11-way; always-OTHER ([\d.]+)%, never-OTHER ([\d.]+)%\)$")
if g:
    check("11-way accuracy", g[0], 100 * acc11, "{:.1f}")
    check("always-OTHER", g[1], 100 * (1 - s1), "{:.1f}")
    check("never-OTHER", g[2], 100 * s1, "{:.1f}")
g = find(r"^Stage 1 test accuracy: ([\d.]+)%$")
if g:
    check("Stage 1 accuracy", g[0], 100 * s1, "{:.1f}")

acc = [i for i in range(n) if o[i] != OTHER]
cov = len(acc) / n
sel = sum(hit[i] for i in acc) / len(acc) if acc else 0.0
g = find(r"^  coverage\s+([\d.]+)%  \((\d+) accepted\)$")
if g:
    check("coverage", g[0], 100 * cov, "{:.2f}")
    check("accepted", g[1], len(acc), "{}")
g = find(r"^  selective accuracy\s+([\d.]+)%")
if g:
    check("selective accuracy", g[0], 100 * sel, "{:.2f}")
g = find(r"^  selective risk\s+([\d.]+)%")
if g:
    check("selective risk", g[0], 100 * (1 - sel), "{:.2f}")


def aurc(kappa):
    order = sorted(range(n), key=lambda i: (-kappa[i], i))
    errors, total = 0, 0.0
    for k, i in enumerate(order, 1):
        errors += 1 - hit[i]
        total += errors / k
    return total / n


def aurc_star(r):
    return r + (1 - r) * math.log(1 - r) if 0 < r < 1 else (0.0 if r == 0 else 1.0)


def auroc(idx, kappa):
    pos = [kappa[i] for i in idx if hit[i]]
    neg = [kappa[i] for i in idx if not hit[i]]
    if not pos or not neg:
        return float("nan")
    wins = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def fmt_auroc(v):
    return "nan" if math.isnan(v) else f"{v:.4f}"


for name, kappa in (("judge score", score), ("MSP", msp)):
    g = find(rf"^  {name}\s+([\d.]+)\s+([-\d.]+)\s+(\S+)$")
    if g:
        a = aurc(kappa)
        check(f"{name} AURC", g[0], 1000 * a, "{:.2f}")
        check(f"{name} E-AURC", g[1], 1000 * (a - aurc_star(1 - s1)), "{:.2f}")
        check(f"{name} AUROC", g[2], fmt_auroc(auroc(range(n), kappa)), "{}")

names = re.findall(r"^  (\S+)\s+[\d.]+\s+(?:nan|[\d.]+)\s+(?:nan|[\d.]+)\s+[\d.]+%$", report, re.M)
assert len(names) == K, f"per-category rows: found {len(names)}, want {K}"
for c, name in enumerate(names):
    g = find(rf"^  {re.escape(name)}\s+[\d.]+\s+(\S+)\s+(\S+)\s+([\d.]+)%$")
    idx = [i for i in range(n) if p[i] == c]
    check(f"{name} judge AUROC", g[0], fmt_auroc(auroc(idx, score)), "{}")
    check(f"{name} MSP AUROC", g[1], fmt_auroc(auroc(idx, msp)), "{}")
    of_c = [i for i in range(n) if y[i] == c]
    check(f"{name} Stage 1 accuracy", g[2], 100 * sum(hit[i] for i in of_c) / len(of_c), "{:.1f}")

# Classification report (sklearn's definitions, zero division gives 0).
labels = names + ["OTHER"]
tot_p = tot_r = tot_f = wp = wr = wf = 0.0
for c, name in enumerate(labels):
    tp = sum(1 for a, b in zip(t, o) if a == c and b == c)
    pred = sum(1 for b in o if b == c)
    sup = sum(1 for a in t if a == c)
    prec = tp / pred if pred else 0.0
    rec = tp / sup if sup else 0.0
    f1 = 2 * tp / (pred + sup) if pred + sup else 0.0
    g = find(rf"^\s*{re.escape(name)}\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)$")
    if g:
        for what, printed, v in zip(("precision", "recall", "f1"), g[:3], (prec, rec, f1)):
            check(f"{name} {what}", printed, v, "{:.4f}")
        check(f"{name} support", g[3], sup, "{}")
    tot_p, tot_r, tot_f = tot_p + prec, tot_r + rec, tot_f + f1
    wp, wr, wf = wp + prec * sup, wr + rec * sup, wf + f1 * sup
g = find(r"^\s*accuracy\s+([\d.]+)\s+(\d+)$")
if g:
    check("report accuracy", g[0], acc11, "{:.4f}")
for label, vals in (("macro avg", (tot_p / (K + 1), tot_r / (K + 1), tot_f / (K + 1))),
                    ("weighted avg", (wp / n, wr / n, wf / n))):
    g = find(rf"^\s*{label}\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)$")
    if g:
        for what, printed, v in zip(("precision", "recall", "f1"), g[:3], vals):
            check(f"{label} {what}", printed, v, "{:.4f}")

# Confusion matrix rows (t against o).
block = report.split("Confusion matrix (rows: target t, columns: final output o):")[1]
lines = [ln for ln in block.splitlines()[2:] if ln.strip()][: K + 1]
for c, ln in enumerate(lines):
    counts = [int(v) for v in ln.split()[-(K + 1):]]
    want = [sum(1 for a, b in zip(t, o) if a == c and b == j) for j in range(K + 1)]
    if counts != want:
        failures.append(f"confusion row {labels[c]}: {counts} vs {want}")

print(f"report_check: {n} predictions, {len(failures)} mismatches")
for f in failures:
    print("MISMATCH", f)
sys.exit(1 if failures else 0)
