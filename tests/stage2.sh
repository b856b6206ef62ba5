#!/bin/sh
# Stage 2 on synth: --stage2_only and --stage2_categories train exactly the
# chosen judges (every other tensor bit-identical), the Training Status
# Summary, --stage2_only continuing from --save_model, and the category
# list errors (exit 2, listing the valid names).
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"
ST_DIFF=${MSCNN_ST_DIFF:?run through make check}

synth_ini "$T/small.ini" basic 1500 300
base="--batch -c $T/small.ini --threads 2"

# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --epochs 1 --output_dir "$T/out" --save_model "$T/m1"
expect "full training exits 0 (got $rc): $(tail -n 2 "$T/e")" [ "$rc" -eq 0 ]
expect "full mode lists every judge as trainable" grep_in "$T/e" "Trainable judges: stripes_h, stripes_v"

# Only the judges of checker (6) and gradient (7) may change.
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --stage2_only --stage2_categories checker,7 --load_model "$T/m1" \
    --save_model "$T/m2" --epochs 1 --output_dir "$T/out2"
expect "--stage2_only exits 0 (got $rc): $(tail -n 2 "$T/e")" [ "$rc" -eq 0 ]
expect "the summary marks Stage 1 frozen" grep -q 'Stage 1 .*frozen' "$T/e"
expect "the summary marks checker trainable" grep -q "checker .*trainable" "$T/e"
expect "the summary marks cross frozen" grep -q 'cross .*frozen' "$T/e"
expect "it names the trainable judges" grep_in "$T/e" "Trainable judges: checker, gradient"
expect "the epoch line says Stage 1 is frozen" grep -q '^Epoch 2/2: Stage 1 frozen' "$T/e"
"$ST_DIFF" "$T/m1/model.safetensors" "$T/m2/model.safetensors" >"$T/changed"
expect "st_diff reads both models" [ $? -eq 0 ]
# The judges keep what the pooled choice says (the report's "judge kept"
# column, train/stage2.h): a trained net changes its tensors; the net
# from before the epoch, scaled by mu, changes at most its output layer;
# pooled or shared zero the output layer (g = 0), whatever the epoch's
# training did to the layers before it.
kept_of() { awk -v c="$1" '/judge kept$/ { on = 1; next } on && $1 == c { print $NF; exit }' "$T/o"; }
zero_output() { # zero_output FILE N: judge N's fc2 weight and bias are all +0.0
    python3 - "$1" "$2" <<'PY'
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    head = json.loads(f.read(n))
    body = f.read()
names = ["judge.%s.fc2.weight" % sys.argv[2], "judge.%s.fc2.bias" % sys.argv[2]]
ok = all(t in head and not any(body[head[t]["data_offsets"][0]:head[t]["data_offsets"][1]])
         for t in names)
sys.exit(0 if ok else 1)
PY
}
changed=0
for pair in checker:6 gradient:7; do
    name=${pair%:*} n=${pair#*:}
    kept=$(kept_of "$name")
    expect "the report says what the $name judge kept: '$kept'" \
        sh -c "[ '$kept' = trained ] || [ '$kept' = previous ] || [ '$kept' = pooled ] || [ '$kept' = shared ]"
    if [ "$kept" = trained ]; then
        changed=$((changed + 1))
        expect "judge $n kept its $kept weights: some of its tensors changed" \
            grep -q "^judge\.$n\." "$T/changed"
    elif [ "$kept" = previous ]; then
        expect "judge $n kept '$kept': at most its output layer changed" \
            sh -c "! grep '^judge\.$n\.' '$T/changed' | grep -qv '^judge\.$n\.fc2\.'"
    else
        expect "judge $n kept '$kept': its output layer is zero" \
            zero_output "$T/m2/model.safetensors" "$n"
    fi
done
[ "$changed" -ge 1 ] || echo "note: neither judge kept trained weights this run" >&2
expect "nothing else changed: $(grep -v '^judge\.[67]\.' "$T/changed" | head -3)" \
    [ -z "$(grep -v '^judge\.[67]\.' "$T/changed")" ]
expect "model.ini records the flags" grep -q '^trainable = 0$' "$T/m2/model.ini"

# --stage2_only without --load_model continues from --save_model.
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --stage2_only --save_model "$T/m2" --epochs 1 --output_dir "$T/out2"
expect "--stage2_only continues from --save_model (got $rc)" [ "$rc" -eq 0 ]
expect "it fine-tunes from epoch 2" grep_in "$T/e" "Fine-tuning from epoch 2: 1 epoch on a fresh schedule"
# The model remembers its data: elsewhere, with no config file, the
# categories are the model's and the images its synth set of 1 500.
mkdir -p "$T/elsewhere"
(cd "$T/elsewhere" && "$MSCNN_BIN" --batch --threads 2 --stage2_only --stage2_categories checker \
    --load_model "$T/m1" --save_model "$T/m3" --epochs 1 --output_dir "$T/out3" >"$T/o" 2>"$T/e")
rc=$?
expect "--stage2_only elsewhere, no data options, exits 0 (got $rc): $(tail -n 2 "$T/e")" [ "$rc" -eq 0 ]
expect "it uses the model's synth sizes: $(grep '^Data:' "$T/e")" \
    grep_in "$T/e" "1215 train, 135 judge, 150 validation, 300 test"
expect "model.ini records them" grep -q '^synth_train = 1500$' "$T/m1/model.ini"
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --stage2_only --save_model "$T/none" --epochs 1
expect "--stage2_only with no model exits 1 (got $rc)" [ "$rc" -eq 1 ]
expect "it says there is no model: $(cat "$T/e")" grep_in "$T/e" "there is none at '$T/none'"

bad_categories() { # LIST WANT
    # shellcheck disable=SC2086
    run_mscnn "$T/o" "$T/e" $base --load_model "$T/m1" --epochs 0 --stage2_categories "$1"
    expect "--stage2_categories '$1' exits 2 (got $rc)" [ "$rc" -eq 2 ]
    expect "'$1': message says '$2': $(cat "$T/e")" grep_in "$T/e" "$2"
    expect "'$1': message lists the valid names" grep_in "$T/e" "9=dots"
}
bad_categories "disc,planes" "unknown category 'planes'"
bad_categories "3,10" "unknown category '10'"
bad_categories "disc,3" "category given twice: '3'"
bad_categories "disc,,ring" "empty entry"
bad_categories "," "empty entry"
done_tests
