#!/bin/sh
# The open-set protocol on the real CIFAR-10 (light mode, no training, so
# it stays fast): cat, deer, dog and horse held out leave 6 categories and
# 400 unseen test images; CIFAR-10's own test_batch.bin read as --ood_data
# adds its 10 000 images. Skipped (exit 77) when the data is not there.
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }

data=${MSCNN_TEST_CIFAR:-$MSCNN_SRCDIR/../shared/data/cifar-10-batches-bin}
if [ ! -f "$data/test_batch.bin" ]; then
    echo "SKIP: CIFAR-10 not found at $data (set MSCNN_TEST_CIFAR)"
    exit 77
fi

run_mscnn "$T/o" "$T/e" --batch --light_mode --epochs 0 --data_dir "$data" --threads 2 \
    --holdout_classes cat,dog,deer,horse --ood_data "$data/test_batch.bin" \
    --save_model "$T/m" --output_dir "$T/out" --predictions "$T/p.csv"
expect "evaluating with both flags exits 0 (got $rc): $(tail -n 3 "$T/e")" [ "$rc" -eq 0 ]
expect "6 judges: $(grep '^Model:' "$T/o")" grep -q "^Model: .* and 6 judges" "$T/o"
expect "the held-out classes in index order: $(grep '^Unseen kinds' "$T/o")" grep_in "$T/o" \
    "Unseen kinds: 10400 images; 400 test images of the held-out classes cat,deer,dog,horse; 10000 from --ood_data"
expect "600 test images remain: $(grep '^Data:' "$T/o")" grep_in "$T/o" "600 test images; 10400 unseen"
expect "the report lists airplane but not cat" sh -c 'grep -q "^ *airplane " "$1" && ! grep -q "^ *cat " "$1"' sh "$T/o"
expect "the unseen section matches the predictions: $(python3 "$MSCNN_SRCDIR/tests/openset_check.py" "$T/o" "$T/p.csv" | tail -n 3)" \
    python3 "$MSCNN_SRCDIR/tests/openset_check.py" "$T/o" "$T/p.csv"
done_tests
