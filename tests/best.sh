#!/bin/sh
# --save_best (on by default) keeps the model of the run's best Stage 1
# validation epoch in DIR.best beside the last one, and the run says which
# one its report describes; --patience N stops a run whose validation
# accuracy has not improved for N epochs, and that run is complete.
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"

synth_ini "$T/tiny.ini" basic 700 100
base="--batch -c $T/tiny.ini --threads 2"
col() { # col FILE NAME: the values of history.csv column NAME, one per line
    awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
        { print $c }' "$1"
}

# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --epochs 4 --save_model "$T/m" --output_dir "$T/out"
expect "a 4-epoch run exits 0 (got $rc): $(tail -n 2 "$T/e")" [ "$rc" -eq 0 ]
# the best epoch: the first of the highest validation accuracies (without TTA)
want=$(col "$T/out/history.csv" stage1_val_accuracy_no_tta |
    awk '{ if (NR == 1 || $1 > b) { b = $1; e = NR } } END { print e }')
best=$(sed -n 's/^best_epoch = //p' "$T/m/model.ini")
expect "model.ini's best epoch ($best) is history.csv's ($want)" [ "$best" = "$want" ]
expect "the best model is kept beside the last" [ -f "$T/m.best/model.ini" ]
expect "it is the model after epoch $best" grep -q "^epoch = $best\$" "$T/m.best/model.ini"
expect "the run says which model the report describes: $(grep '^Model saved' "$T/e")" \
    grep_in "$T/e" "Model saved to $T/m (after epoch 4; the report below describes it)"
expect "and where the best went: $(grep '^Best epoch' "$T/e")" grep -q "^Best epoch $best (" "$T/e"
# shellcheck disable=SC2086
run_mscnn "$T/o2" "$T/e2" $base --epochs 0 --load_model "$T/m.best" --output_dir "$T/out2"
expect "the best model loads (got $rc): $(tail -n 2 "$T/e2")" [ "$rc" -eq 0 ]

# A rate too small to change anything: validation accuracy stalls after
# epoch 1, so --patience 1 stops after epoch 2 of 5.
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --epochs 5 --lr 1e-9 --patience 1 --save_best 0 \
    --save_model "$T/p" --output_dir "$T/pout"
expect "the stalled run exits 0 (got $rc): $(tail -n 2 "$T/e")" [ "$rc" -eq 0 ]
expect "it stops early: $(grep -i stopped "$T/e")" grep_in "$T/e" \
    "Stopped early after epoch 2: Stage 1's validation accuracy has not improved for 1 epoch (--patience)"
expect "two epochs in history.csv" [ "$(col "$T/pout/history.csv" epoch | tr '\n' ' ')" = "1 2 " ]
expect "the run is recorded complete at 2 epochs" grep -q '^run_epochs = 2$' "$T/p/model.ini"
expect "--save_best 0 keeps no best model" [ ! -e "$T/p.best" ]
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --resume --save_model "$T/p"
expect "an early-stopped run has nothing to resume (got $rc)" [ "$rc" -eq 2 ]
# A file where the best model would go is refused before the first step.
: >"$T/q.best"
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --epochs 1 --save_model "$T/q" --output_dir "$T/qout"
expect "a file at DIR.best exits 2 (got $rc)" [ "$rc" -eq 2 ]
expect "it names --save_best: $(cat "$T/e")" grep_in "$T/e" "--save_best: the best model's directory '$T/q.best' is a regular file"
expect "nothing was trained" [ ! -e "$T/q" ]
done_tests
