#!/bin/sh
# End to end on the built-in synth set: training beats chance, history and
# model are written, a reload evaluates to the same accuracy, runs are
# reproducible bit for bit, a resumed run continues, a diverging run (NaN
# loss) stops and keeps the saved model, a corrupt model is refused without
# touching anything, and SIGINT keeps the saved model.
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"

cat >"$T/small.ini" <<'INI'
[data]
dataset = synth
synth_train = 2200
synth_test = 500
val_fraction = 0.1
[train]
arch = basic
batch_size = 32
lr = 0.02
INI
base="--batch -c $T/small.ini --threads 2"

# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --epochs 3 --seed 7 --output_dir "$T/out" --save_model "$T/m"
expect "training exits 0 (got $rc): $(tail -n 3 "$T/e")" [ "$rc" -eq 0 ]
expect "one epoch line per epoch" [ "$(grep -c '^Epoch [0-9]/3: Loss .* - Accuracy .* - Val Loss .* - Val Accuracy ' "$T/e")" -eq 3 ]
expect "it says the data is synth" grep_in "$T/e" "synth"
expect "the report ends with the accuracy line" sh -c "tail -n 1 '$T/o' | grep -q '^Stage 1 test accuracy: [0-9.]*%$'"
acc=$(accuracy_of "$T/o")
expect "accuracy $acc% clearly beats chance (10%)" awk "BEGIN { exit !($acc > 40) }"
expect "a confusion matrix is printed" grep_in "$T/o" "Confusion matrix"
expect "history.csv has a header and 3 rows" [ "$(wc -l <"$T/out/history.csv")" -eq 4 ]
for f in model.safetensors state.safetensors model.ini; do
    expect "model directory holds $f" [ -s "$T/m/$f" ]
done

# shellcheck disable=SC2086
run_mscnn "$T/o2" "$T/e2" $base --load_model "$T/m" --epochs 0 --output_dir "$T/out"
expect "reload with --epochs 0 exits 0 (got $rc)" [ "$rc" -eq 0 ]
expect "reload gives the same test accuracy ($acc% vs $(accuracy_of "$T/o2")%)" \
    [ "$(accuracy_of "$T/o2")" = "$acc" ]

# Reproducible: the same seed and flags give the same weights, bit for bit.
for run in a b; do
    # shellcheck disable=SC2086
    run_mscnn "$T/o" "$T/e" $base --epochs 1 --seed 11 --output_dir "$T/$run" --save_model "$T/r$run"
done
expect "same seed, same weights" cmp -s "$T/ra/model.safetensors" "$T/rb/model.safetensors"
expect "same seed, same losses" [ "$(cut -d, -f1-5 "$T/a/history.csv")" = "$(cut -d, -f1-5 "$T/b/history.csv")" ]

# Resume: the epoch counter and history continue.
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --load_model "$T/ra" --save_model "$T/ra" --epochs 1 --output_dir "$T/a"
expect "resume exits 0 (got $rc)" [ "$rc" -eq 0 ]
expect "resumed epoch is numbered 2/2" grep -q '^Epoch 2/2: ' "$T/e"
expect "history continues (3 lines)" [ "$(wc -l <"$T/a/history.csv")" -eq 3 ]
expect "model.ini records epoch 2" grep -q '^epoch = 2$' "$T/ra/model.ini"

# Divergence: a learning rate far too high turns Stage 1's loss NaN; training
# stops with exit 1 naming the epoch and step, and neither the model saved
# after epoch 1 nor history.csv gets a NaN epoch.
cp -r "$T/rb" "$T/nan"
cp "$T/b/history.csv" "$T/nan.csv"
nan_sum=$(cat "$T/nan/"* | cksum)
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --load_model "$T/nan" --save_model "$T/nan" --epochs 1 --lr 10 \
    --output_dir "$T/b"
expect "divergence exits 1 (got $rc): $(tail -n 1 "$T/e")" [ "$rc" -eq 1 ]
expect "it says training diverged in epoch 2, naming the step" \
    grep -qE '^mscnn: training diverged: .* at (the end of )?epoch 2(, .*step [0-9]+ of [0-9]+)?;' "$T/e"
expect "it says the model saved after epoch 1 is kept" \
    grep_in "$T/e" "the model saved to '$T/nan' after epoch 1 is kept (lower --"
expect "no epoch line for the diverged epoch" [ "$(grep -c '^Epoch ' "$T/e")" -eq 0 ]
expect "the saved model is untouched" [ "$(cat "$T/nan/"* | cksum)" = "$nan_sum" ]
expect "history.csv gets no NaN row" cmp -s "$T/b/history.csv" "$T/nan.csv"

# A corrupt model is refused, naming the file; nothing is overwritten.
cp -r "$T/rb" "$T/bad"
head -c 1000 "$T/rb/model.safetensors" >"$T/bad/model.safetensors"
sum_before=$(cat "$T/bad/"* | cksum)
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --load_model "$T/bad" --save_model "$T/bad" --epochs 1 --output_dir "$T/bo"
expect "corrupt model exits 1 (got $rc)" [ "$rc" -eq 1 ]
expect "message names model.safetensors: $(cat "$T/e")" grep_in "$T/e" "bad/model.safetensors"
expect "the corrupt model directory is untouched" [ "$(cat "$T/bad/"* | cksum)" = "$sum_before" ]

# SIGINT after the first epoch: exit 130, the saved model still loads. (The
# wait ends when the first save lands; its limit only matters on a machine so
# loaded that one epoch takes minutes.)
# shellcheck disable=SC2086
"$MSCNN_BIN" $base --epochs 50 --output_dir "$T/s" --save_model "$T/sm" >"$T/so" 2>"$T/se" &
pid=$!
i=0
while [ ! -f "$T/sm/model.ini" ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
kill -INT $pid
wait $pid
rc=$?
expect "SIGINT exits 130 (got $rc)" [ "$rc" -eq 130 ]
expect "it says the saved model is kept" grep_in "$T/se" "is kept"
# it names the epoch in progress (one after the saved model's), or says it
# stopped after the saved epoch when the signal came during its save
saved=$(sed -n 's/^epoch = //p' "$T/sm/model.ini")
expect "the stop message names epoch $((saved + 1)) in progress or $saved saved: $(grep stopped "$T/se")" \
    grep -Eq "stopped (during epoch $((saved + 1))|after epoch $saved); " "$T/se"

# SIGINT while the save of epoch 1 is under way (the test hook holds the
# save for 3 s): the message says it stopped after epoch 1, which is kept.
# shellcheck disable=SC2086
MSCNN_TEST_SAVE_DELAY_US=3000000 "$MSCNN_BIN" $base --epochs 50 --output_dir "$T/s2" \
    --save_model "$T/sm2" >"$T/so" 2>"$T/se" &
pid=$!
i=0
while ! ls -d "$T"/sm2.tmp-* >/dev/null 2>&1 && [ $i -lt 3000 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $pid
wait $pid
rc=$?
expect "SIGINT during a save exits 130 (got $rc)" [ "$rc" -eq 130 ]
expect "it says it stopped after epoch 1: $(grep stopped "$T/se")" \
    grep_in "$T/se" "stopped after epoch 1; the model saved after it is kept"
expect "the model of epoch 1 is there" grep -q '^epoch = 1$' "$T/sm2/model.ini"
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --load_model "$T/sm" --epochs 0 --output_dir "$T/s"
expect "the model saved before SIGINT loads (rc $rc)" [ "$rc" -eq 0 ]

done_tests
