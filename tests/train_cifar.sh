#!/bin/sh
# End to end on the real CIFAR-10 (light mode, 2 epochs), as the README's
# main job runs it. Skipped (exit 77) when the data is not there.
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"

data=${MSCNN_TEST_CIFAR:-$MSCNN_SRCDIR/../shared/data/cifar-10-batches-bin}
if [ ! -f "$data/test_batch.bin" ]; then
    echo "SKIP: CIFAR-10 not found at $data (set MSCNN_TEST_CIFAR)"
    exit 77
fi

run_mscnn "$T/o" "$T/e" --batch --light_mode --epochs 2 --data_dir "$data" \
    --output_dir "$T/out" --save_model "$T/m"
expect "light-mode training exits 0 (got $rc): $(tail -n 3 "$T/e")" [ "$rc" -eq 0 ]
expect "two epoch lines" [ "$(grep -c '^Epoch [12]/2: Loss ' "$T/e")" -eq 2 ]
expect "light mode sizes: 4050 train, 450 judge, 500 validation, 1000 test" \
    grep_in "$T/e" "4050 train, 450 judge, 500 validation, 1000 test"
expect "history.csv has 2 rows" [ "$(wc -l <"$T/out/history.csv")" -eq 3 ]
acc=$(accuracy_of "$T/o")
expect "accuracy $acc% beats chance (10%)" awk "BEGIN { exit !($acc > 20) }"
expect "the report lists airplane" grep_in "$T/o" "airplane"

run_mscnn "$T/o2" "$T/e2" --batch --light_mode --epochs 0 --data_dir "$data" \
    --load_model "$T/m" --output_dir "$T/out"
expect "reload exits 0 (got $rc)" [ "$rc" -eq 0 ]
expect "reload gives the same accuracy ($acc% vs $(accuracy_of "$T/o2")%)" \
    [ "$(accuracy_of "$T/o2")" = "$acc" ]

# The model remembers its data: from another directory, with no data
# option, the same images (the absolute directory, light mode) are used.
mkdir -p "$T/elsewhere"
(cd "$T/elsewhere" && "$MSCNN_BIN" --batch --epochs 0 --load_model "$T/m" \
    --output_dir "$T/out3" >"$T/o3" 2>"$T/e3")
rc=$?
abs=$(cd "$data" && pwd -P)
expect "a run elsewhere with no data option exits 0 (got $rc): $(tail -n 2 "$T/e3")" [ "$rc" -eq 0 ]
expect "it reads the model's data: $(grep '^Data:' "$T/e3")" grep_in "$T/e3" "CIFAR-10 from $abs"
expect "in the model's light mode" grep_in "$T/e3" "4050 train, 450 judge, 500 validation, 1000 test"
expect "model.ini records the data" grep -q "^data_dir = $abs\$" "$T/m/model.ini"
expect "the same accuracy ($(accuracy_of "$T/o3")%)" [ "$(accuracy_of "$T/o3")" = "$acc" ]

done_tests
