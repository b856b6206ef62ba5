#!/bin/sh
# The air network with its recipe, end to end on a small synth set: the
# recipe is chosen by the network and named with every value, settings given
# on the command line beat it, training beats chance, the lookahead ends the
# run on weights the saved model holds (a reload scores the same), and
# test-time augmentation is an evaluation setting of the same model.
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"

cat >"$T/air.ini" <<'INI'
[data]
dataset = synth
synth_train = 2400
synth_test = 400
INI
base="--batch -c $T/air.ini --threads 2 --arch air"

# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --epochs 3 --batch_size 128 --save_model "$T/m" --output_dir "$T/out"
expect "air training exits 0 (got $rc): $(tail -n 3 "$T/e")" [ "$rc" -eq 0 ]
expect "the banner names the air recipe with the given batch: $(grep Recipe "$T/e")" \
    grep_in "$T/e" "Recipe air: batch 128, lr 1.5 (warm-up 2 epochs from 0.2, then linear), momentum 0.85 Nesterov"
expect "and its lookahead, augmentation and TTA" \
    grep_in "$T/e" "lookahead on; augmentation on (translate 2 reflect, flips alternate); test-time augmentation 2"
expect "three epochs, not the recipe's ten" [ "$(grep -c '^Epoch [123]/3: ' "$T/e")" -eq 3 ]
acc=$(accuracy_of "$T/o")
expect "accuracy $acc% beats chance (10%)" awk "BEGIN { exit !($acc > 30) }"

# The saved model is the one the run ended on (lookahead's slow weights).
# shellcheck disable=SC2086
run_mscnn "$T/o2" "$T/e2" $base --load_model "$T/m" --epochs 0 --output_dir "$T/out2"
expect "reload exits 0 (got $rc)" [ "$rc" -eq 0 ]
expect "reload scores the same ($acc% vs $(accuracy_of "$T/o2")%)" \
    [ "$(accuracy_of "$T/o2")" = "$acc" ]
expect "a loaded air model gets the air recipe (TTA 2)" grep_in "$T/e2" "test-time augmentation 2"

# --tta 0 evaluates the same model without test-time augmentation.
# shellcheck disable=SC2086
run_mscnn "$T/o3" "$T/e3" $base --load_model "$T/m" --epochs 0 --tta 0 --output_dir "$T/out3"
expect "--tta 0 exits 0 (got $rc)" [ "$rc" -eq 0 ]
expect "--tta 0 is named" grep_in "$T/e3" "test-time augmentation 0"
expect "TTA changes the test loss" \
    [ "$(grep '^Test loss' "$T/o2")" != "$(grep '^Test loss' "$T/o3")" ]

# --recipe keras trains air with the keras values.
# shellcheck disable=SC2086
run_mscnn "$T/o4" "$T/e4" $base --recipe keras --epochs 1 --save_model "$T/m4" --output_dir "$T/out4"
expect "--recipe keras exits 0 (got $rc)" [ "$rc" -eq 0 ]
expect "--recipe keras: batch 32, no lookahead, no TTA" \
    sh -c "grep -q 'Recipe keras: batch 32, lr 0.02 ' '$T/e4' && grep -q 'lookahead off' '$T/e4' && grep -q 'test-time augmentation 0' '$T/e4'"

done_tests
