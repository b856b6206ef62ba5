#!/bin/sh
# Command-line behaviour of the mscnn binary: help, version, usage errors
# (exit 2 naming the flag), runtime errors (exit 1 naming the file).
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"

run_mscnn "$T/o" "$T/e" --help
expect "--help exits 0" [ "$rc" -eq 0 ]
expect "--help lists --batch_size" grep_in "$T/o" "--batch_size"
expect "--help lists --light_mode" grep_in "$T/o" "--light_mode"
expect "--help names air the default network: $(grep -- '--arch' "$T/o")" \
    grep -q -- '--arch NAME .*(default air)' "$T/o"
# The man page documents every option --help lists.
for opt in $(grep -o -- '--[a-z][a-z0-9_-]*' "$T/o" | sort -u); do
    man_opt=$(printf '%s' "$opt" | sed 's/-/\\-/g')
    expect "man/mscnn.1.in documents $opt" grep -qF -- "$man_opt" "$MSCNN_SRCDIR/man/mscnn.1.in"
done
# No paragraph of the man page that says settings have no option (or are
# only in the INI file) names a setting --help lists: the paragraph from the
# claim to the end of its sentence, roff stripped, split into items at , ( ) : ; . and
# 'and', each item as a key (lower case, spaces and hyphens as _).
grep -o -- '--[a-z][a-z0-9_]*' "$T/o" | sed 's/^--//' | sort -u >"$T/opts"
awk '/^\.(PP|LP|SH|SS|TP|IP)/ { on = 0 }
     tolower($0) ~ /no option|ini only|only in the ini|configuration file only/ { on = 1 }
     on { print } /\.$/ { on = 0 }' "$MSCNN_SRCDIR/man/mscnn.1.in" |
    sed -e 's/^\.[A-Z]* *//' -e 's/\\-/-/g' -e 's/\\~/ /g' -e 's/"//g' |
    tr '\n' ' ' | tr 'A-Z' 'a-z' | sed 's/ and /,/g' | tr ',():;.' '\n\n\n\n\n\n' |
    sed -e 's/^ *//' -e 's/ *$//' -e 's/[ -][ -]*/_/g' | grep . | sort -u >"$T/claimed"
expect "the man page claims some settings have no option" [ -s "$T/claimed" ]
expect "the man page's 'no option' settings have none: $(comm -12 "$T/opts" "$T/claimed" | tr '\n' ' ')" \
    [ -z "$(comm -12 "$T/opts" "$T/claimed")" ]

run_mscnn "$T/o" "$T/e" --version
expect "--version exits 0" [ "$rc" -eq 0 ]
expect "--version prints the name" grep -q '^mscnn [0-9]' "$T/o"

usage_error() { # ARGS... then the flag the message must name is $want
    run_mscnn "$T/o" "$T/e" "$@"
    expect "mscnn $* exits 2 (got $rc)" [ "$rc" -eq 2 ]
    expect "mscnn $*: message names '$want': $(cat "$T/e")" grep_in "$T/e" "$want"
}
want=--epochs; usage_error --batch --epochs -1
want=--batch_size; usage_error --batch --batch_size abc
want=--bogus; usage_error --batch --bogus
want=--epochs; usage_error --batch --epochs
want=stray; usage_error --batch stray
want=--device; usage_error --batch --device tpu
want=--batch; usage_error --epochs 1

printf '[train]\nepochs = 3\nbatch_size = many\n' >"$T/bad.ini"
want="bad.ini:3"; usage_error --batch -c "$T/bad.ini"
want="missing.ini"; usage_error --batch -c "$T/missing.ini"

run_mscnn "$T/o" "$T/e" --batch --data_dir "$T/nothing-here" --epochs 1
expect "a --data_dir without data exits 1 (got $rc)" [ "$rc" -eq 1 ]
expect "it names the directory" grep_in "$T/e" "$T/nothing-here"
expect "it says how to get the data" grep_in "$T/e" "fetch-cifar10.sh"

run_mscnn "$T/o" "$T/e" --batch --dataset synth --load_model "$T/no-model" --epochs 0
expect "a missing model exits 1 (got $rc)" [ "$rc" -eq 1 ]
expect "it names model.ini" grep_in "$T/e" "no-model/model.ini"

run_mscnn "$T/o" "$T/e" --batch --dataset synth --device gpu --epochs 0
if [ "${MSCNN_HAVE_CUDA:-no}" = yes ]; then
    # a build with the GPU backend: it runs (a device answered), or exits 1
    # saying why not (no driver, no device, a missing op)
    if [ "$rc" -eq 0 ]; then
        expect "--device gpu ran on the GPU: $(head -n 1 "$T/e")" grep -q ' on gpu' "$T/e"
    else
        expect "--device gpu without a usable GPU exits 1 (got $rc)" [ "$rc" -eq 1 ]
        expect "it says why: $(cat "$T/e")" grep_in "$T/e" "--device gpu: "
        expect "and what to use instead" grep_in "$T/e" "use --device cpu"
    fi
else
    expect "--device gpu without a GPU backend exits 1 (got $rc)" [ "$rc" -eq 1 ]
    expect "it says so: $(cat "$T/e")" grep_in "$T/e" "--device gpu: this build has no GPU backend"
fi

# With no --arch a run trains air with the air recipe and says so in its
# first lines (the cheapest run: 0 epochs on a small synth set); light mode
# takes batches of 256 at lr 0.375.
printf '[data]\nsynth_train = 200\nsynth_test = 50\nval_light = 20\n' >"$T/tiny.ini"
run_mscnn "$T/o" "$T/e" --batch -c "$T/tiny.ini" --dataset synth --epochs 0 --threads 2 \
    --output_dir "$T/def"
expect "a run with no --arch exits 0 (got $rc): $(tail -n 2 "$T/e")" [ "$rc" -eq 0 ]
expect "its first line names Stage 1 'air': $(head -n 1 "$T/e")" \
    sh -c "head -n 1 '$T/e' | grep -q \"Stage 1 'air'\""
expect "its first lines name the air recipe: $(grep '^Recipe' "$T/e")" \
    sh -c "head -n 5 '$T/e' | grep -q '^Recipe air: batch 1024, lr 1.5 .*lookahead on.*test-time augmentation 2$'"
run_mscnn "$T/o" "$T/e" --batch -c "$T/tiny.ini" --dataset synth --light_mode --tta 0 \
    --epochs 0 --threads 2 --output_dir "$T/def"
expect "a light-mode run with no --arch exits 0 (got $rc): $(tail -n 2 "$T/e")" [ "$rc" -eq 0 ]
expect "light mode: the air recipe at batch 256, lr 0.375: $(grep '^Recipe' "$T/e")" \
    sh -c "head -n 5 '$T/e' | grep -q '^Recipe air: batch 256, lr 0.375 '"

# mscnn bench: the architectures the nets know, and a judge as the model has
# it (a side input of JUDGE_SIDE(k) = 2k values: 512 features + 14 for k = 7)
run_mscnn "$T/o" "$T/e" bench --arch nope
expect "bench --arch nope exits 2 (got $rc)" [ "$rc" -eq 2 ]
expect "it lists the architectures: $(cat "$T/e")" grep_in "$T/e" "expected air, basic or judge"
run_mscnn "$T/o" "$T/e" bench --arch judge --classes 7 --batch_size 2 --repeats 1 --warmup 0 \
    --threads 1 --profile
expect "bench --arch judge exits 0 (got $rc): $(cat "$T/e")" [ "$rc" -eq 0 ]
expect "the judge's side input is 2k wide: $(grep concat "$T/o" | head -1)" \
    grep -q 'concat  *526x1x1' "$T/o"

# --output_dir in the model directory: every save replaces that directory
# (and history.csv with it), so it is refused before anything is written.
mkdir "$T/md"
ln -s "$T/md" "$T/md-link"
for pair in "$T/md $T/md" "$T/md/ $T/./md" "$T/md/out $T/md" "$T/md-link $T/md" "$T/x/../md/plots $T/md-link"; do
    # shellcheck disable=SC2086
    set -- $pair
    run_mscnn "$T/o" "$T/e" --batch --dataset synth --epochs 1 --output_dir "$1" --save_model "$2"
    expect "--output_dir $1 --save_model $2 exits 2 (got $rc)" [ "$rc" -eq 2 ]
    expect "the message names both flags: $(cat "$T/e")" \
        sh -c "grep -qF -- '--output_dir' '$T/e' && grep -qF -- '--save_model' '$T/e'"
done
expect "nothing was written in the model directory" [ -z "$(ls -A "$T/md")" ]

done_tests
