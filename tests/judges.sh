#!/bin/sh
# The Stage 2 guarantee (train/stage2.h) on synth: judges trained at a
# learning rate high enough to make their training noise still rank each
# category's validation images, and the pooled ones, at least as well as
# MSP; each judge says what it kept and the report states the pooled
# choice; the calibration (a, b, w) is saved in model.ini and a reloaded
# model scores the test set exactly as the run that trained it; a model
# saved before w (two numbers) still loads.
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"

synth_ini "$T/small.ini" basic 1500 300
printf '[stage2]\njudge_lr = 0.2\n' >>"$T/small.ini"
base="--batch -c $T/small.ini --threads 2"

# The table's rows: category, test J, test MSP, val J, val MSP[, kept].
table() { sed -n '/^Per category AURC/,/^$/p' "$1" | sed '1,2d;/^$/d'; }

# shellcheck disable=SC2086
run_mscnn "$T/r1" "$T/e1" $base --epochs 2 --save_model "$T/m" --output_dir "$T/o"
expect "training exits 0 (got $rc): $(tail -n 2 "$T/e1")" [ "$rc" -eq 0 ]
table "$T/r1" >"$T/t1"
expect "the report has a row per category and a pooled one" [ "$(wc -l <"$T/t1")" -eq 11 ]
expect "every judge's validation AURC is at most MSP's: $(cat "$T/t1")" \
    awk '$4 != "nan" && $4 + 0 > $5 + 0 { bad = 1 } END { exit bad }' "$T/t1"
expect "every judge says what it kept" \
    awk '$1 != "(pooled)" && $6 !~ /^(trained|previous|pooled|shared)$/ { bad = 1 } END { exit bad }' "$T/t1"
expect "the pooled row is there: $(grep '(pooled)' "$T/t1")" grep -q '^ *(pooled) ' "$T/t1"
expect "the report states the pooled choice: $(grep "pooled choice" "$T/r1")" \
    grep -q "^Stage 2's pooled choice on validation: lambda [0-9.]* .*, mu [0-9.]* " "$T/r1"
expect "model.ini holds a calibration per category" \
    [ "$(grep -c '^calibration = [0-9.e+-]*,[0-9.e+-]*,[0-9.e+-]*$' "$T/m/model.ini")" -eq 10 ]

expect "model.ini writes the default tau as 0.7, not 0.69999999999999996" \
    [ "$(grep -c '^threshold = 0.7$' "$T/m/model.ini")" -eq 10 ]

# A reloaded model gives the same test figures (the calibration travels).
# shellcheck disable=SC2086
run_mscnn "$T/r2" "$T/e2" $base --load_model "$T/m" --epochs 0 --save_model "$T/m2" \
    --output_dir "$T/o2"
expect "evaluating the saved model exits 0 (got $rc): $(tail -n 2 "$T/e2")" [ "$rc" -eq 0 ]
table "$T/r2" | awk '{ print $1, $2, $3 }' >"$T/t2"
awk '{ print $1, $2, $3 }' "$T/t1" >"$T/t1test"
expect "the reloaded model scores the test set as trained: $(diff "$T/t1test" "$T/t2")" \
    cmp -s "$T/t1test" "$T/t2"

# A bad calibration in model.ini is refused, naming the file.
cp -r "$T/m" "$T/bad"
sed -i '0,/^calibration = /s/^calibration = .*/calibration = 1,x/' "$T/bad/model.ini"
# shellcheck disable=SC2086
run_mscnn "$T/r3" "$T/e3" $base --load_model "$T/bad" --epochs 0 --save_model "$T/m3" \
    --output_dir "$T/o3"
expect "a bad calibration exits 1 (got $rc)" [ "$rc" -eq 1 ]
expect "it names the file and the key: $(cat "$T/e3")" grep -q 'model.ini.*calibration = 1,x' "$T/e3"
# A negative margin weight is refused too; two numbers (a model from
# before the margin) load, with w = 0.
cp -r "$T/m" "$T/neg"
sed -i '0,/^calibration = /s/^calibration = .*/calibration = 1,0,-1/' "$T/neg/model.ini"
# shellcheck disable=SC2086
run_mscnn "$T/r4" "$T/e4" $base --load_model "$T/neg" --epochs 0 --output_dir "$T/o4"
expect "a negative margin weight exits 1 (got $rc)" [ "$rc" -eq 1 ]
expect "it names the key: $(cat "$T/e4")" grep -q 'calibration = 1,0,-1' "$T/e4"
cp -r "$T/m" "$T/old"
sed -i 's/^calibration = \([^,]*\),\([^,]*\),.*/calibration = \1,\2/' "$T/old/model.ini"
# shellcheck disable=SC2086
run_mscnn "$T/r5" "$T/e5" $base --load_model "$T/old" --epochs 0 --output_dir "$T/o5"
expect "a two-number calibration loads (got $rc): $(tail -n 2 "$T/e5")" [ "$rc" -eq 0 ]
done_tests
