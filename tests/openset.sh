#!/bin/sh
# Unseen kinds on synth: --holdout_classes trains without the listed
# categories (names shrink, model files follow) and turns their test images
# into the unseen kinds; --ood_data adds images from a CIFAR-format file or
# a PNG folder. The report's "Unseen kinds" section is recomputed from
# --predictions (tests/openset_check.py); bad values exit 2 before training.
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
check_py="$MSCNN_SRCDIR/tests/openset_check.py"

cat >"$T/small.ini" <<'INI'
[data]
dataset = synth
synth_train = 1200
synth_test = 300
INI
base="--batch -c $T/small.ini --threads 2"

# 32x32 (and one 16x16) RGB PNGs, written with Python's zlib.
mkpng() { python3 - "$@" <<'PY'
import struct, sys, zlib
path, size, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
raw = b"".join(b"\0" + bytes((x * 7 + y * 13 + c * 50 + seed * 31) % 256
                              for x in range(size) for c in range(3)) for y in range(size))
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
                       + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
}
mkdir -p "$T/pngs/a/b" "$T/badpng" "$T/empty"
for i in 1 2 3; do mkpng "$T/pngs/p$i.png" 32 "$i"; mkpng "$T/pngs/a/b/q$i.PNG" 32 "$((i + 5))"; done
echo "not an image" >"$T/pngs/README.txt"
mkpng "$T/badpng/ok.png" 32 1
mkpng "$T/badpng/small.png" 16 2

# --holdout_classes by name and index: 8 categories remain.
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --epochs 1 --holdout_classes stripes_h,1 --save_model "$T/m" \
    --output_dir "$T/out" --predictions "$T/p.csv"
expect "training with --holdout_classes exits 0 (got $rc): $(tail -n 2 "$T/e")" [ "$rc" -eq 0 ]
expect "the model has 8 judges: $(grep '^Model:' "$T/o")" grep -q "^Model: .* and 8 judges" "$T/o"
expect "model.ini lists 8 class names" grep -q '^classes = 8$' "$T/m/model.ini"
expect "the held-out names are no category of model.ini" \
    sh -c '! grep -q "^name = stripes_[hv]$" "$1"' sh "$T/m/model.ini"
expect "the report has the unseen section" grep -q '^Unseen kinds: 60 images; 60 test images of the held-out classes stripes_h,stripes_v$' "$T/o"
expect "the test set lost the held-out classes: $(grep '^Data:' "$T/o")" grep -q '240 test images; 60 unseen' "$T/o"
expect "the unseen section matches the predictions: $(python3 "$check_py" "$T/o" "$T/p.csv" | tail -n 3)" \
    python3 "$check_py" "$T/o" "$T/p.csv"
expect "the predictions keep their header" [ "$(head -n 1 "$T/p.csv")" = "index,label,stage1_pred,msp,judge_score,final" ]
expect "240 test rows and 60 unseen ones" [ "$(grep -c ',unseen,' "$T/p.csv")" -eq 60 ] && [ "$(wc -l <"$T/p.csv")" -eq 301 ]
# every figure of the section is a rate in [0, 1]
expect "AUROC and FPR lie in [0, 1]: $(grep -A3 'Telling test images (positive)' "$T/o")" \
    awk '/^Telling test images \(positive\)/ { s = 1; next } s && /^  (judge score|MSP) / {
        n++; if ($(NF-1) < 0 || $(NF-1) > 1 || $NF < 0 || $NF > 1) bad = 1 } END { exit bad || n != 2 }' "$T/o"

# The loaded model evaluates with the same holdout (the same figures as
# after training), or with none given (the model remembers its list); a
# different list makes the classes differ.
# shellcheck disable=SC2086
run_mscnn "$T/o5" "$T/e5" $base --epochs 0 --load_model "$T/m" --holdout_classes 0,stripes_v \
    --output_dir "$T/out5"
expect "evaluating with the same holdout exits 0 (got $rc): $(tail -n 2 "$T/e5")" [ "$rc" -eq 0 ]
expect "the same unseen section as after training: $(grep -A6 '^Unseen kinds' "$T/o5")" \
    [ "$(grep -A6 '^Unseen kinds' "$T/o")" = "$(grep -A6 '^Unseen kinds' "$T/o5")" ]
# shellcheck disable=SC2086
run_mscnn "$T/o2" "$T/e2" $base --epochs 0 --load_model "$T/m" --holdout_classes 0,1 \
    --ood_data "$T/pngs" --output_dir "$T/out2" --predictions "$T/p2.csv"
expect "evaluating with the holdout and PNGs exits 0 (got $rc): $(tail -n 2 "$T/e2")" [ "$rc" -eq 0 ]
expect "6 PNGs are added, sub-folders too: $(grep '^Unseen kinds' "$T/o2")" \
    grep -q '^Unseen kinds: 66 images; 60 test images .*; 6 from --ood_data' "$T/o2"
expect "the PNG run matches its predictions: $(python3 "$check_py" "$T/o2" "$T/p2.csv" | tail -n 3)" \
    python3 "$check_py" "$T/o2" "$T/p2.csv"
# shellcheck disable=SC2086
run_mscnn "$T/o3" "$T/e3" $base --epochs 0 --load_model "$T/m" --output_dir "$T/out3"
expect "a holdout model loaded without --holdout_classes uses its own list (got $rc): $(tail -n 2 "$T/e3")" \
    [ "$rc" -eq 0 ]
expect "model.ini records the list" grep -q '^holdout_classes = stripes_h,stripes_v$' "$T/m/model.ini"
expect "the same unseen section" \
    [ "$(grep -A6 '^Unseen kinds' "$T/o3")" = "$(grep -A6 '^Unseen kinds' "$T/o5")" ]
# shellcheck disable=SC2086
run_mscnn "$T/o3" "$T/e3" $base --epochs 0 --load_model "$T/m" --holdout_classes 0 --output_dir "$T/out3"
expect "a different holdout exits 2 (got $rc): $(cat "$T/e3")" [ "$rc" -eq 2 ]

# --ood_data alone: a CIFAR-10 format file of 20 records (labels ignored).
head -c $((3073 * 20)) /dev/urandom >"$T/ood.bin"
# shellcheck disable=SC2086
run_mscnn "$T/o4" "$T/e4" $base --epochs 0 --ood_data "$T/ood.bin" --save_model "$T/m4" \
    --output_dir "$T/out4" --predictions "$T/p4.csv"
expect "--ood_data FILE exits 0 (got $rc): $(tail -n 2 "$T/e4")" [ "$rc" -eq 0 ]
expect "20 unseen images: $(grep '^Unseen kinds' "$T/o4")" grep -q '^Unseen kinds: 20 images; 20 from --ood_data' "$T/o4"
expect "the file run matches its predictions: $(python3 "$check_py" "$T/o4" "$T/p4.csv" | tail -n 3)" \
    python3 "$check_py" "$T/o4" "$T/p4.csv"

# Bad values: exit 2 before training, naming the flag or path.
bad() { # DESCRIPTION PATTERN ARGS...
    d=$1; p=$2; shift 2
    # shellcheck disable=SC2086
    run_mscnn "$T/ob" "$T/eb" $base --epochs 1 --save_model "$T/mb" --output_dir "$T/outb" "$@"
    expect "$d exits 2 (got $rc)" [ "$rc" -eq 2 ]
    expect "$d: the message says '$p': $(cat "$T/eb")" grep -qF -- "$p" "$T/eb"
    expect "$d: nothing trained" sh -c '! grep -q "^Epoch 1" "$1"' sh "$T/eb"
}
names="valid categories (name or index): 0=stripes_h, 1=stripes_v"
bad "an unknown category" "--holdout_classes: unknown category 'zebra'; $names" --holdout_classes stripes_h,zebra
bad "every category" "holds out every category" --holdout_classes 0,1,2,3,4,5,6,7,8,9
bad "all but one category" "leaves one category" --holdout_classes 0,1,2,3,4,5,6,7,8
bad "a category twice" "category given twice: '1'" --holdout_classes stripes_v,1
bad "an empty entry" "empty entry" --holdout_classes 0,,1
bad "a missing --ood_data" "--ood_data $T/nothing: No such file" --ood_data "$T/nothing"
head -c $((3073 * 2 + 5)) /dev/urandom >"$T/short.bin"
bad "a file of partial records" "--ood_data $T/short.bin: 6151 bytes is not a whole number of CIFAR-10 records" \
    --ood_data "$T/short.bin"
bad "a PNG of the wrong size" "$T/badpng/small.png' is 16x16 pixels" --ood_data "$T/badpng"
bad "a folder without PNGs" "--ood_data $T/empty: no .png files" --ood_data "$T/empty"

done_tests
