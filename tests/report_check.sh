#!/bin/sh
# Every metric of the final report is reproduced, to the printed digits, by
# an independent computation (tests/report_check.py, Python's standard
# library only) from the --predictions CSV: with the default tau, with
# per-category tuned thresholds, and on a model that only evaluates.
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
check_py="$MSCNN_SRCDIR/tests/report_check.py"

cat >"$T/small.ini" <<'INI'
[data]
dataset = synth
synth_train = 1500
synth_test = 400
[train]
arch = basic
INI
base="--batch -c $T/small.ini --threads 2"

# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --epochs 1 --output_dir "$T/out" --save_model "$T/m" \
    --predictions "$T/p.csv"
expect "training exits 0 (got $rc): $(tail -n 2 "$T/e")" [ "$rc" -eq 0 ]
expect "the predictions header" [ "$(head -n 1 "$T/p.csv")" = "index,label,stage1_pred,msp,judge_score,final" ]
expect "one prediction per test image" [ "$(wc -l <"$T/p.csv")" -eq 401 ]
expect "report at tau 0.7 recomputed: $(python3 "$check_py" "$T/o" "$T/p.csv" | tail -n 3)" \
    python3 "$check_py" "$T/o" "$T/p.csv"
# Counts agree with their nouns ("after 1 epoch", never "1 epochs"), and a
# tau nothing tuned says it came from --threshold, not "chosen by threshold".
expect "the report says 'after 1 epoch;': $(grep '^Model:' "$T/o")" grep_in "$T/o" "after 1 epoch;"
expect "no '1 epochs' in the output: $(grep -hw '1 epochs' "$T/o" "$T/e")" \
    sh -c '! grep -qw "1 epochs" "$@"' sh "$T/o" "$T/e"
expect "the default tau is set by --threshold: $(grep '^Threshold' "$T/o")" \
    grep -q '^Threshold: tau = 0.7000 (one for every category), set by --threshold$' "$T/o"
expect "and not 'chosen by threshold'" sh -c '! grep -q "chosen by threshold" "$1"' sh "$T/o"
for png in training_history.png confusion_matrix.png risk_coverage.png; do
    expect "$png written" [ -s "$T/out/$png" ]
done

# shellcheck disable=SC2086
run_mscnn "$T/o2" "$T/e2" $base --load_model "$T/m" --save_model "$T/m" --epochs 0 \
    --tune_threshold coverage=0.8 --per_category --output_dir "$T/out" --predictions "$T/p2.csv"
expect "tuning exits 0 (got $rc): $(tail -n 2 "$T/e2")" [ "$rc" -eq 0 ]
expect "the report names the rule" grep_in "$T/o2" "chosen by coverage=0.8,per_category"
expect "report at tuned tau recomputed: $(python3 "$check_py" "$T/o2" "$T/p2.csv" | tail -n 3)" \
    python3 "$check_py" "$T/o2" "$T/p2.csv"
expect "the tuned thresholds are saved" grep -q '^tuned_by = coverage=0.8,per_category$' "$T/m/model.ini"

# shellcheck disable=SC2086
run_mscnn "$T/o3" "$T/e3" $base --load_model "$T/m" --epochs 0 --tune_threshold risk=0.05 \
    --output_dir "$T/out" --predictions "$T/p3.csv" --save_model "$T/m3"
expect "SGR exits 0 (got $rc): $(tail -n 2 "$T/e3")" [ "$rc" -eq 0 ]
expect "the report prints the SGR bound" grep -q '^SGR: selective risk <= 0.0500 with probability >= 0.9990: bound' "$T/o3"
expect "report under SGR recomputed" python3 "$check_py" "$T/o3" "$T/p3.csv"
done_tests
