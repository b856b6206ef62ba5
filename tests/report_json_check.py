#!/usr/bin/env python3
"""Checks that the JSON of --report_json says what the printed report says.

usage: report_json_check.py REPORT.txt REPORT.json

Every figure the text prints (accuracies, selective figures, thresholds,
the ranking table, both per-category tables, the classification report,
the confusion matrix) is formatted from the JSON value the way the text
formats it and compared as text. Standard library only. Exit 0 when all
agree, 1 listing each difference.
"""
import json
import re
import sys

failures = []


def fmt(v, spec):
    """The JSON value as the C report prints it ("nan" for null)."""
    if v is None:
        return "nan"
    return format(v, spec)


def same(what, text, value, spec, scale=1.0):
    want = fmt(None if value is None else value * scale, spec)
    got = "nan" if text in ("nan", "-nan") else text
    if got != want:
        failures.append(f"{what}: text {text}, JSON {value} ({want})")


def line_after(lines, prefix):
    for ln in lines:
        if ln.startswith(prefix):
            return ln
    failures.append(f"no line starting {prefix!r}")
    return ""


def table_rows(lines, header, names):
    """Rows after the line starting with header, keyed by first token."""
    rows = {}
    for i, ln in enumerate(lines):
        if ln.startswith(header):
            for row in lines[i + 1:]:
                parts = row.split()
                if not parts or parts[0] not in names:
                    if rows:
                        break
                    continue
                rows[parts[0]] = parts[1:]
            break
    return rows


def check_summary(lines, d):
    t = d["test"]
    m = re.search(r"Final Accuracy: ([0-9.]+)% \(11-way; always-OTHER ([0-9.]+)%, "
                  r"never-OTHER ([0-9.]+)%\)", line_after(lines, "Final Accuracy:"))
    if m:
        same("final accuracy", m.group(1), t["accuracy"]["final_11way"], ".1f", 100)
        same("always-OTHER", m.group(2), t["accuracy"]["always_other"], ".1f", 100)
        same("never-OTHER", m.group(3), t["accuracy"]["never_other"], ".1f", 100)
    else:
        failures.append("no Final Accuracy figures")
    m = re.search(r"Stage 1 test accuracy: ([0-9.]+)%", line_after(lines, "Stage 1 test acc"))
    if m:
        same("Stage 1 test accuracy", m.group(1), t["accuracy"]["stage1"], ".1f", 100)
    m = re.search(r"coverage +([0-9.]+)%  \((\d+) accepted\)", line_after(lines, "  coverage"))
    if m:
        same("coverage", m.group(1), t["selective"]["coverage"], ".2f", 100)
        if int(m.group(2)) != t["selective"]["accepted"]:
            failures.append(f"accepted: text {m.group(2)}, JSON {t['selective']['accepted']}")
    else:
        failures.append("no coverage figures")
    for key, label in (("selective_accuracy", "  selective accuracy"),
                       ("selective_risk", "  selective risk")):
        m = re.search(r"([0-9.]+)%", line_after(lines, label))
        if m:
            same(key, m.group(1), t["selective"][key], ".2f", 100)
    m = re.search(r"Test loss: Stage 1 ([0-9.]+|nan), judges ([0-9.]+|nan)",
                  line_after(lines, "Test loss:"))
    if m:
        same("Stage 1 test loss", m.group(1), t["loss"]["stage1"], ".4f")
        same("judge test loss", m.group(2), t["loss"]["judges"], ".4f")
    m = re.search(r"tau = ([0-9.]+) \(one for every category\)", line_after(lines, "Threshold"))
    if m:
        if not d["thresholds"]["global"]:
            failures.append("the text has one tau, the JSON says not global")
        for c, tau in enumerate(d["thresholds"]["tau"]):
            same(f"tau[{c}]", m.group(1), tau, ".4f")


def check_ranking(lines, d):
    r = d["test"]["ranking"]
    for key, label in (("judge", "  judge score"), ("msp", "  MSP "),
                       ("margin", "  top-2 margin"), ("judge_baseline", "  judge baseline")):
        ln = line_after(lines, label) if key in r else ""
        if key not in r:
            continue
        vals = ln[len(label):].split()[:3]
        same(f"{key} AURC", vals[0], r[key]["aurc_x1000"], ".2f")
        same(f"{key} E-AURC", vals[1], r[key]["eaurc_x1000"], ".2f")
        same(f"{key} AUROC", vals[2], r[key]["auroc"], ".4f")


def check_categories(lines, d):
    cats = d["test"]["categories"]
    names = [c["name"] for c in cats]
    if names != d["model"]["class_names"]:
        failures.append(f"category names {names} vs model.class_names")
    rows = table_rows(lines, "  category           tau", names)
    aurc = table_rows(lines, "  category          test J", names + ["(pooled)"])
    if len(rows) != len(names) or len(aurc) != len(names) + 1:
        failures.append(f"per-category tables: {len(rows)} and {len(aurc)} rows for "
                        f"{len(names)} categories")
    for c in cats:
        row = rows.get(c["name"])
        if row:
            same(f"{c['name']} tau", row[0], c["tau"], ".4f")
            same(f"{c['name']} judge AUROC", row[1], c["judge_auroc"], ".4f")
            same(f"{c['name']} MSP AUROC", row[2], c["msp_auroc"], ".4f")
            same(f"{c['name']} S1 acc", row[3].rstrip("%"), c["stage1_accuracy"], ".1f", 100)
        row = aurc.get(c["name"])
        if row:
            same(f"{c['name']} test AURC J", row[0], c["aurc_test"]["judge_x1000"], ".2f")
            same(f"{c['name']} test AURC MSP", row[1], c["aurc_test"]["msp_x1000"], ".2f")
            if row[2] != "-":
                same(f"{c['name']} val AURC J", row[2], c["aurc_val"]["judge_x1000"], ".2f")
                same(f"{c['name']} val AURC MSP", row[3], c["aurc_val"]["msp_x1000"], ".2f")
            if len(row) > 4 and row[4] != c["judge_kept"]:
                failures.append(f"{c['name']} judge kept: {row[4]} vs {c['judge_kept']}")
    row = aurc.get("(pooled)")
    if row:
        same("pooled test AURC J", row[0], d["test"]["pooled_aurc_test"]["judge_x1000"], ".2f")
        same("pooled test AURC MSP", row[1], d["test"]["pooled_aurc_test"]["msp_x1000"], ".2f")


def check_classification(lines, d):
    cr = d["test"]["classification_report"]
    names = [c["name"] for c in cr["classes"]]
    if names[-1] != "OTHER" or len(names) != d["model"]["classes"] + 1:
        failures.append(f"classification report classes: {names}")
    rows = table_rows(lines, "              precision", names + ["accuracy", "macro", "weighted"])
    for c in cr["classes"]:
        row = rows.get(c["name"])
        if not row:
            failures.append(f"no classification row for {c['name']}")
            continue
        for i, key in enumerate(("precision", "recall", "f1")):
            same(f"{c['name']} {key}", row[i], c[key], ".4f")
        if int(row[3]) != c["support"]:
            failures.append(f"{c['name']} support: {row[3]} vs {c['support']}")
    if "accuracy" in rows:
        same("report accuracy", rows["accuracy"][0], cr["accuracy"], ".4f")
    for key, label in (("macro_avg", "macro"), ("weighted_avg", "weighted")):
        row = rows.get(label)
        if row:  # "macro avg  P R F N": row[0] is "avg"
            for i, k in enumerate(("precision", "recall", "f1")):
                same(f"{key} {k}", row[1 + i], cr[key][k], ".4f")


def check_confusion(lines, d):
    k = d["model"]["classes"]
    conf = d["test"]["confusion"]
    for i, ln in enumerate(lines):
        if ln.startswith("Confusion matrix"):
            body = [l.split() for l in lines[i + 2:i + 2 + k + 1]]
            got = [[int(x) for x in r[-(k + 1):]] for r in body]
            if got != conf:
                failures.append(f"confusion matrix: text {got} vs JSON {conf}")
            if sum(map(sum, conf)) != d["test"]["images"]:
                failures.append("the confusion matrix does not sum to the test images")
            return
    failures.append("no confusion matrix in the text")


def check_unseen(lines, d):
    u = d["unseen"]
    has_text = any(ln.startswith("Unseen kinds:") for ln in lines)
    if (u is None) == has_text:
        failures.append(f"unseen kinds: in the text {has_text}, in the JSON {u is not None}")
    if u is None or not has_text:
        return
    m = re.match(r"Unseen kinds: (\d+) image", line_after(lines, "Unseen kinds:"))
    if not m or int(m.group(1)) != u["images"]:
        failures.append(f"unseen images: {m and m.group(1)} vs {u['images']}")
    m = re.search(r"([0-9.]+)% of the unseen images, +([0-9.]+)% of the test",
                  line_after(lines, "  at OTHER at tau"))
    if m:
        same("unseen at OTHER", m.group(1), u["other_share_unseen"], ".2f", 100)
        same("test at OTHER", m.group(2), u["other_share_test"], ".2f", 100)
    else:
        failures.append("no 'at OTHER at tau' figures")
    m = re.search(r"\(MSP >= ([0-9.]+)\): +([0-9.]+)%", "\n".join(lines))
    if m:
        same("MSP threshold at the same coverage", m.group(1),
             u["msp_threshold_same_coverage"], ".4f")
        same("MSP unseen at OTHER", m.group(2), u["msp_other_share_unseen"], ".2f", 100)
    elif u["msp_other_share_unseen"] is not None:
        failures.append("the JSON has an MSP share at the same coverage, the text none")
    for i, ln in enumerate(lines):
        if ln.startswith("Telling test images (positive)"):
            for row, key in zip(lines[i + 2:i + 4], ("judge", "msp")):
                vals = row.split()[-2:]
                same(f"unseen {key} AUROC", vals[0], u[key]["auroc"], ".4f")
                same(f"unseen {key} FPR@95", vals[1], u[key]["fpr_at_95tpr"], ".4f")


def main():
    lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
    d = json.load(open(sys.argv[2], encoding="utf-8"))
    if d.get("format") != "mscnn-report" or d.get("format_version") != 1:
        failures.append(f"format {d.get('format')} {d.get('format_version')}")
    check_summary(lines, d)
    check_ranking(lines, d)
    check_categories(lines, d)
    check_classification(lines, d)
    check_confusion(lines, d)
    check_unseen(lines, d)
    for f in failures:
        print("report_json_check: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
