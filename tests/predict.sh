#!/bin/sh
# mscnn predict, eval and compare on small models trained here: pictures of
# odd sizes and modes (PNG grey/palette/16-bit/alpha, JPEG, a JPEG named
# .png, a CIFAR .bin), CSV and JSONL read back, corrupt files among good
# ones, predict agreeing with eval --predictions on the same images, and
# compare of a model with itself and with another (McNemar by hand).
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"
: "${MSCNN_MKIMG:?run through make check}"
mk() { "$MSCNN_MKIMG" "$@" || fail "mkimg $*"; }

cat >"$T/s.ini" <<'INI'
[data]
dataset = synth
synth_train = 1200
synth_test = 200
[train]
arch = basic
batch_size = 32
lr = 0.02
INI
base="-c $T/s.ini --threads 2"
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" --batch $base --epochs 1 --seed 7 --output_dir "$T/out1" --save_model "$T/m1"
expect "training model 1 exits 0 (got $rc): $(tail -n 2 "$T/e")" [ "$rc" -eq 0 ]
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" --batch $base --epochs 1 --seed 8 --output_dir "$T/out2" --save_model "$T/m2"
expect "training model 2 exits 0 (got $rc)" [ "$rc" -eq 0 ]

# ---- predict: pictures of every kind -------------------------------------
I="$T/imgs"
mkdir -p "$I/sub/deeper"
mk png "$I/a_rgb.png" 17 45 rgb 1
mk png "$I/b_rgba.png" 100 60 rgba 2
mk png "$I/sub/c_grey.png" 33 33 grey 3
mk png "$I/sub/d_palette.png" 8 9 palette 4
mk png "$I/e_rgb16.png" 64 64 rgb16 5
mk png "$I/f_grey_alpha.png" 40 30 grey_alpha 6
mk jpeg "$I/g_rotated.jpg" 50 70 rgb 7 6
mk jpeg "$I/sub/deeper/h_jpeg_named.png" 31 29 grey 8
mk jpeg "$I/i_one_pixel.JPEG" 1 1 rgb 9
echo "not a picture" >"$I/bad.png"
head -c 300 "$I/g_rotated.jpg" >"$I/truncated.jpg"
echo "ignored: not a picture extension" >"$I/notes.txt"
good=9

run_mscnn "$T/p.txt" "$T/pe" predict -m "$T/m1" --threads 2 "$I"
expect "predict with corrupt files exits 1 (got $rc): $(cat "$T/pe")" [ "$rc" -eq 1 ]
expect "the corrupt PNG is named" grep_in "$T/pe" "$I/bad.png"
expect "the truncated JPEG is named" grep_in "$T/pe" "$I/truncated.jpg"
expect "notes.txt in a folder is not read" sh -c "! grep -q notes.txt '$T/pe' '$T/p.txt'"
expect "the table has a header and $good rows" [ "$(wc -l <"$T/p.txt")" -eq $((good + 1)) ]
expect "the table header names the columns" sh -c "head -n 1 '$T/p.txt' | grep -q '^file  *answer  *stage1  *msp  *score  *tau  *top 3'"
expect "the summary line counts $good images" grep_in "$T/pe" "$good images"
expect "the summary line gives images/s" grep -q "images/s" "$T/pe"
expect "the JPEG named .png is read as JPEG" grep_in "$T/p.txt" "h_jpeg_named.png"
expect "subfolders are walked" grep_in "$T/p.txt" "sub/deeper/"

run_mscnn "$T/p.csv" "$T/pe" predict -m "$T/m1" --threads 2 --format csv "$I"
expect "csv exits 1 too (got $rc)" [ "$rc" -eq 1 ]
classes=$(sed -n 's/^name = //p' "$T/m1/model.ini" | paste -sd, -)
cat >"$T/check_csv.py" <<'PY'
import csv, sys, math
rows = list(csv.DictReader(open(sys.argv[1])))
classes = sys.argv[2].split(",")
good = int(sys.argv[3])
assert len(rows) == good, (len(rows), good)
files = [r["file"] for r in rows]
assert files == sorted(files), files  # walked in strcmp order
for r in rows:
    s, tau, msp = float(r["judge_score"]), float(r["tau"]), float(r["msp"])
    assert r["stage1"] in classes, r
    want = r["stage1"] if s >= tau else "OTHER"
    assert r["answer"] == want, r
    assert abs(tau - 0.7) < 1e-9, r  # the model's tau (untuned: --threshold default)
    assert r["top1"] == r["stage1"] and abs(float(r["p1"]) - msp) < 1e-6, r
    ps = [float(r["p%d" % t]) for t in (1, 2, 3)]
    assert ps == sorted(ps, reverse=True) and 0 <= ps[2] and ps[0] <= 1, r
    assert len({r["top1"], r["top2"], r["top3"]}) == 3, r
PY
expect "the CSV parses back consistently" python3 "$T/check_csv.py" "$T/p.csv" "$classes" $good

run_mscnn "$T/p.jsonl" "$T/pe" predict -m "$T/m1" --threads 2 --format jsonl --threshold 0 "$I/a_rgb.png" "$I/sub"
expect "jsonl of good files exits 0 (got $rc): $(cat "$T/pe")" [ "$rc" -eq 0 ]
cat >"$T/check_jsonl.py" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 4, len(rows)
assert rows[0]["file"].endswith("a_rgb.png"), rows[0]
for r in rows:
    assert r["tau"] == 0 and r["answer"] == r["stage1"], r  # --threshold 0 accepts all
    assert len(r["top"]) == 3 and r["top"][0]["class"] == r["stage1"], r
PY
expect "the JSONL parses back; --threshold 0 accepts every image" python3 "$T/check_jsonl.py" "$T/p.jsonl"
expect "the summary says 0 OTHER" grep_in "$T/pe" "4 images, 0 OTHER"

# a CIFAR-format .bin: 3 records
python3 -c "
import sys
sys.stdout.buffer.write(b''.join(bytes([i]) + bytes((i * 7 + j) % 256 for j in range(3072)) for i in range(3)))" >"$T/three.bin"
run_mscnn "$T/pb.csv" "$T/pe" predict -m "$T/m1" --threads 2 --format csv "$T/three.bin"
expect "a .bin file exits 0 (got $rc): $(cat "$T/pe")" [ "$rc" -eq 0 ]
expect "a .bin gives one row per record" [ "$(grep -c 'three.bin#[0-2],' "$T/pb.csv")" -eq 3 ]
head -c 5000 "$T/three.bin" >"$T/short.bin"
run_mscnn "$T/o" "$T/pe" predict -m "$T/m1" --threads 2 "$T/short.bin" "$I/a_rgb.png"
expect "a .bin that is not whole records fails (exit 1, got $rc) and names it" \
    sh -c "[ $rc -eq 1 ] && grep -qF '$T/short.bin' '$T/pe' && grep -q a_rgb.png '$T/o'"
run_mscnn "$T/o" "$T/pe" predict -m "$T/m1" "$T/missing.png"
expect "a missing file: exit 1 naming it" sh -c "[ $rc -eq 1 ] && grep -qF '$T/missing.png' '$T/pe'"

# --crop center: a wide picture whose sides differ from its centre
mk png "$I/wide.png" 96 32 rgb 11
run_mscnn "$T/c1" "$T/pe" predict -m "$T/m1" --threads 2 --format csv "$I/wide.png"
run_mscnn "$T/c2" "$T/pe" predict -m "$T/m1" --threads 2 --format csv --crop center "$I/wide.png"
expect "--crop center changes what the model sees" sh -c "! cmp -s '$T/c1' '$T/c2'"

# usage errors
run_mscnn "$T/o" "$T/pe" predict "$I/a_rgb.png"
expect "predict without -m: exit 2 (got $rc)" sh -c "[ $rc -eq 2 ] && grep -q -- '-m DIR' '$T/pe'"
run_mscnn "$T/o" "$T/pe" predict -m "$T/m1" --format xml "$I/a_rgb.png"
expect "--format xml: exit 2 naming the flag" sh -c "[ $rc -eq 2 ] && grep -q -- '--format' '$T/pe'"
run_mscnn "$T/o" "$T/pe" predict -m "$T/m1"
expect "predict without files: exit 2 (got $rc)" [ "$rc" -eq 2 ]
run_mscnn "$T/o" "$T/pe" predict -m "$T/m1" --threads x "$I/a_rgb.png"
expect "a bad settings value: exit 2 naming --threads" sh -c "[ $rc -eq 2 ] && grep -q -- '--threads' '$T/pe'"
run_mscnn "$T/o" "$T/pe" predict -m "$T/nomodel" "$I/a_rgb.png"
expect "a missing model: exit 1 (got $rc)" [ "$rc" -eq 1 ]
run_mscnn "$T/o" "$T/pe" predict --help
expect "predict --help exits 0 with usage" sh -c "[ $rc -eq 0 ] && grep -q '^Usage: mscnn predict' '$T/o'"

# ---- predict agrees with eval --predictions --------------------------------
mk folder "$T/f" 30 8
fbase="--dataset folder --data_dir $T/f --threads 2 --arch basic --batch_size 16"
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" --batch $fbase --epochs 1 --seed 3 --output_dir "$T/fo" --save_model "$T/mf"
expect "training on the folder exits 0 (got $rc): $(tail -n 2 "$T/e")" [ "$rc" -eq 0 ]
# shellcheck disable=SC2086
run_mscnn "$T/eo" "$T/ee" eval -m "$T/mf" $fbase --output_dir "$T/fe" --predictions "$T/fe.csv"
expect "eval exits 0 (got $rc): $(tail -n 2 "$T/ee")" [ "$rc" -eq 0 ]
expect "eval prints the report" grep -q '^Stage 1 test accuracy: ' "$T/eo"
expect "eval writes the plots" [ -s "$T/fe/risk_coverage.png" ]
run_mscnn "$T/fp.csv" "$T/pe" predict -m "$T/mf" --threads 2 --format csv "$T/f/test"
expect "predict on the test folder exits 0 (got $rc)" [ "$rc" -eq 0 ]
cat >"$T/same.py" <<'PY'
import csv, sys
ev = list(csv.DictReader(open(sys.argv[1])))
pr = list(csv.DictReader(open(sys.argv[2])))
names = sys.argv[3].split(",")
assert len(ev) == len(pr) == 24, (len(ev), len(pr))
for e, p in zip(ev, pr):
    assert names[int(e["stage1_pred"])] == p["stage1"], (e, p)
    assert abs(float(e["msp"]) - float(p["msp"])) < 1e-6, (e, p)
    assert abs(float(e["judge_score"]) - float(p["judge_score"])) < 1e-6, (e, p)
    final = "OTHER" if int(e["final"]) == len(names) else names[int(e["final"])]
    assert final == p["answer"], (e, p)
PY
expect "predict gives what eval --predictions gives, image by image" \
    python3 "$T/same.py" "$T/fe.csv" "$T/fp.csv" "blue,green,red"
run_mscnn "$T/o" "$T/pe" eval -m "$T/mf" --epochs 3
expect "eval --epochs: exit 2 (got $rc)" sh -c "[ $rc -eq 2 ] && grep -q -- '--epochs' '$T/pe'"

# ---- compare ----------------------------------------------------------------
# shellcheck disable=SC2086
run_mscnn "$T/cs" "$T/ce" compare -m "$T/m1" -m "$T/m1" $base --output_dir "$T/cmp1"
expect "compare with itself exits 0 (got $rc): $(tail -n 2 "$T/ce")" [ "$rc" -eq 0 ]
cat >"$T/self.py" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
body = [r for r in rows if len(r) >= 20 and r[1].isdigit()]
assert len(body) == 11, len(body)  # 10 categories and overall
for r in body:
    # n, S1 A B d, A only, B only, p, 11-way A B d, cov A B d, sel A B d, AURC A B d
    assert r[4] in ("+0.00", "-0.00") and r[5] == "0" and r[6] == "0" and r[7] == "1", r
    for d in (r[10], r[13], r[16], r[19]):
        assert d in ("+0.00", "-0.00", "+0.0", "-0.0", "-"), r
PY
expect "compare with itself: every delta 0, p = 1" python3 "$T/self.py" "$T/cs"
expect "compare writes the delta plot" [ -s "$T/cmp1/compare_deltas.png" ]
expect "compare notes the many tests" grep -q "separate tests" "$T/cs"

# shellcheck disable=SC2086
run_mscnn "$T/p1.txt" "$T/e" eval -m "$T/m1" $base --output_dir "$T/ev1" --predictions "$T/p1.csv"
# shellcheck disable=SC2086
run_mscnn "$T/p2.txt" "$T/e" eval -m "$T/m2" $base --output_dir "$T/ev2" --predictions "$T/p2.csv"
# shellcheck disable=SC2086
run_mscnn "$T/c2" "$T/ce" compare -m "$T/m1" -m "$T/m2" $base --output_dir "$T/cmp2"
expect "compare of two models exits 0 (got $rc)" [ "$rc" -eq 0 ]
cat >"$T/mcnemar.py" <<'PY'
import csv, sys
from math import comb
a = list(csv.DictReader(open(sys.argv[1])))
b = list(csv.DictReader(open(sys.argv[2])))
ra = [r["label"] == r["stage1_pred"] for r in a]
rb = [r["label"] == r["stage1_pred"] for r in b]
nb = sum(x and not y for x, y in zip(ra, rb))
nc = sum(y and not x for x, y in zip(ra, rb))
n = nb + nc
p = 1.0 if n == 0 else min(1.0, 2 * sum(comb(n, i) for i in range(min(nb, nc) + 1)) / 2 ** n)
row = [l.split() for l in open(sys.argv[3]) if l.startswith("overall")][0]
assert int(row[5]) == nb and int(row[6]) == nc, (row, nb, nc)
got = float(row[7].rstrip("*"))
assert abs(got - p) <= 1e-3 * p + 1e-12, (got, p)
print("overall McNemar: b=%d c=%d p=%.4g (compare: %s)" % (nb, nc, p, row[7]))
PY
expect "compare's overall McNemar p matches the one computed by hand" \
    python3 "$T/mcnemar.py" "$T/p1.csv" "$T/p2.csv" "$T/c2"
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/ce" compare -m "$T/m1" -m "$T/mf" $base
expect "different class lists: exit 2 naming both (got $rc): $(cat "$T/ce")" \
    sh -c "[ $rc -eq 2 ] && grep -qF '$T/m1' '$T/ce' && grep -qF '$T/mf' '$T/ce' && grep -q 'different class lists' '$T/ce'"
run_mscnn "$T/o" "$T/ce" compare -m "$T/m1"
expect "compare with one model: exit 2 (got $rc)" [ "$rc" -eq 2 ]
done_tests
