#!/bin/sh
# --resume: a run interrupted after an epoch and resumed ends bit-identical
# to the same run uninterrupted (weights, momentum, lookahead, report,
# history), because the model directory carries the run's schedule and its
# lookahead. Without --resume, --load_model fine-tunes on a fresh schedule,
# which is a different run. And the errors of --resume.
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"
ST_DIFF=${MSCNN_ST_DIFF:?run through make check}

# air: warm-up, linear decay and lookahead, all of which a resume must continue
synth_ini "$T/tiny.ini" air 700 100
printf 'batch_size = 64\ntta = 0\n' >>"$T/tiny.ini"
base="--batch -c $T/tiny.ini --threads 2"
same_model() { # same_model DIR_A DIR_B: no tensor differs
    "$ST_DIFF" "$1/model.safetensors" "$2/model.safetensors" >"$T/d1" &&
        "$ST_DIFF" "$1/state.safetensors" "$2/state.safetensors" >"$T/d2" &&
        [ ! -s "$T/d1" ] && [ ! -s "$T/d2" ]
}
epochs_of() { cut -d, -f1 "$1/history.csv" | tail -n +2 | tr '\n' ' '; }

# shellcheck disable=SC2086
run_mscnn "$T/full.out" "$T/full.err" $base --epochs 3 --save_model "$T/full" --output_dir "$T/ofull"
expect "the uninterrupted run exits 0 (got $rc): $(tail -n 2 "$T/full.err")" [ "$rc" -eq 0 ]

# The same run, stopped by SIGINT once epoch 1 is saved.
# shellcheck disable=SC2086
"$MSCNN_BIN" $base --epochs 3 --save_model "$T/part" --output_dir "$T/opart" \
    >"$T/p1.out" 2>"$T/p1.err" &
pid=$!
while kill -0 "$pid" 2>/dev/null && ! grep -q '^epoch = [1-9]' "$T/part/model.ini" 2>/dev/null; do
    sleep 0.05
done
kill -INT "$pid" 2>/dev/null
wait "$pid"
rc=$?
saved=$(sed -n 's/^epoch = //p' "$T/part/model.ini")
expect "the interrupted run exits 130 (got $rc): $(tail -n 2 "$T/p1.err")" [ "$rc" -eq 130 ]
expect "it stopped before the end (saved after epoch $saved)" [ "${saved:-3}" -lt 3 ]
expect "it says how to finish: $(tail -n 1 "$T/p1.err")" grep_in "$T/p1.err" \
    "to finish the run, give the same command with --resume"
expect "model.ini records the run" grep -q '^run_start = 0$' "$T/part/model.ini"
expect "model.ini records its length" grep -q '^run_epochs = 3$' "$T/part/model.ini"
expect "the state carries the lookahead in progress" grep -q 'lookahead.slow' "$T/part/state.safetensors"
cp -r "$T/part" "$T/copy"

# shellcheck disable=SC2086
run_mscnn "$T/p2.out" "$T/p2.err" $base --resume --save_model "$T/part" --output_dir "$T/opart"
expect "the resumed run exits 0 (got $rc): $(tail -n 2 "$T/p2.err")" [ "$rc" -eq 0 ]
expect "it says it resumes: $(grep -i resum "$T/p2.err")" grep_in "$T/p2.err" \
    "Resuming the run after epoch $saved of 3 (its own schedule)"
same_model "$T/full" "$T/part"
same=$?
expect "resumed = uninterrupted, every tensor: $(cat "$T/d1" "$T/d2" | head -3)" [ "$same" -eq 0 ]
expect "the same report" cmp -s "$T/full.out" "$T/p2.out"
expect "history.csv has each epoch once: $(epochs_of "$T/opart")" \
    [ "$(epochs_of "$T/opart")" = "1 2 3 " ]
expect "the completed run no longer carries a lookahead" \
    sh -c "! grep -q 'lookahead.slow' '$T/part/state.safetensors'"

# A fine-tune of the same saved model is a fresh schedule: another run.
left=$((3 - saved))
# shellcheck disable=SC2086
run_mscnn "$T/f.out" "$T/f.err" $base --load_model "$T/copy" --epochs "$left" \
    --save_model "$T/tuned" --output_dir "$T/otuned"
expect "the fine-tune exits 0 (got $rc)" [ "$rc" -eq 0 ]
expect "it says it fine-tunes" grep_in "$T/f.err" "Fine-tuning from epoch $saved: $left epoch"
"$ST_DIFF" "$T/full/model.safetensors" "$T/tuned/model.safetensors" >"$T/d3"
expect "a fine-tune's weights differ from the planned run's" [ -s "$T/d3" ]

# The errors.
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --resume --save_model "$T/full" --output_dir "$T/ox"
expect "--resume of a completed run exits 2 (got $rc)" [ "$rc" -eq 2 ]
expect "it says the run is complete: $(cat "$T/e")" grep_in "$T/e" "has completed its run (epoch 3 of 3)"
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --resume --load_model "$T/copy" --epochs 7 --save_model "$T/x"
expect "--resume with another --epochs exits 2 (got $rc)" [ "$rc" -eq 2 ]
expect "it names the planned length: $(cat "$T/e")" grep_in "$T/e" "give --epochs 3 or leave it out"
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --resume --load_model "$T/copy" --stage2_only --save_model "$T/x"
expect "--resume --stage2_only of a run training Stage 1 exits 2 (got $rc)" [ "$rc" -eq 2 ]
expect "it says why: $(cat "$T/e")" grep_in "$T/e" "which trains Stage 1 too"
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --resume --save_model "$T/none"
expect "--resume with nothing saved exits 1 (got $rc)" [ "$rc" -eq 1 ]
expect "it names --save_model: $(cat "$T/e")" grep_in "$T/e" "--resume continues the run saved at --save_model '$T/none', but there is no model there"
expect "nothing was created" [ ! -e "$T/none" ]
done_tests
