#!/bin/sh
# --epoch_tta: the judge pool and validation of the epochs before a run's
# last are scored at that level (at most --tta's), the last epoch and
# every epoch under --patience at --tta's; history.csv records each
# epoch's level and its accuracy without TTA, which picks the best epoch.
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"

synth_ini "$T/tiny.ini" basic 700 100
base="--batch -c $T/tiny.ini --threads 2 --tta 2"
col() { # col FILE NAME: the values of history.csv column NAME, space-separated
    awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
        { printf "%s ", $c }' "$1"
}

# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --epochs 3 --epoch_tta 0 --save_model "$T/m" --output_dir "$T/a"
expect "a run with --epoch_tta 0 exits 0 (got $rc): $(tail -n 2 "$T/e")" [ "$rc" -eq 0 ]
expect "levels 0, 0 and, in the last epoch, 2: $(col "$T/a/history.csv" val_tta)" \
    [ "$(col "$T/a/history.csv" val_tta)" = "0 0 2 " ]
expect "at level 0 the validation accuracy is the one without TTA" \
    [ "$(col "$T/a/history.csv" stage1_val_accuracy | cut -d' ' -f1-2)" = \
      "$(col "$T/a/history.csv" stage1_val_accuracy_no_tta | cut -d' ' -f1-2)" ]
want=$(col "$T/a/history.csv" stage1_val_accuracy_no_tta | tr ' ' '\n' |
    awk 'NF { if (NR == 1 || $1 > b) { b = $1; e = NR } } END { print e }')
best=$(sed -n 's/^best_epoch = //p' "$T/m/model.ini")
expect "the best epoch ($best) is the best without TTA ($want)" [ "$best" = "$want" ]

# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --epochs 2 --epoch_tta 0 --patience 5 --save_model "$T/p" \
    --output_dir "$T/b"
expect "under --patience every epoch is at --tta: $(col "$T/b/history.csv" val_tta)" \
    [ "$(col "$T/b/history.csv" val_tta)" = "2 2 " ]

# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --epochs 2 --tta 1 --save_model "$T/q" --output_dir "$T/c"
expect "--epoch_tta is at most --tta: $(col "$T/c/history.csv" val_tta)" \
    [ "$(col "$T/c/history.csv" val_tta)" = "1 1 " ]

# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --epochs 1 --epoch_tta 3 --save_model "$T/r" --output_dir "$T/d"
expect "--epoch_tta 3 exits 2 (got $rc)" [ "$rc" -eq 2 ]
expect "and says why: $(cat "$T/e")" grep_in "$T/e" \
    "--epoch_tta: expected a whole number from 0 to 2, got '3'"
done_tests
