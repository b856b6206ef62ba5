#!/bin/sh
# The batch run's output for scripts: --report_json (every figure of the
# printed report, unseen kinds included, the resolved settings and the
# model's and data's identity, checked against the text by
# report_json_check.py), its path
# refused up front, --quiet (only the report on stdout, nothing on stderr
# in a run without warnings, the same report as without it), and the
# progress lines of a run whose stderr is not a terminal (--progress_every).
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"
CHECK="$MSCNN_SRCDIR/tests/report_json_check.py"

cat >"$T/tiny.ini" <<'INI'
[data]
dataset = synth
synth_train = 400
synth_test = 200
holdout_classes = disc
[train]
arch = basic
INI
base="--batch -c $T/tiny.ini --threads 2 --epochs 2"

# A run with progress lines after every step (stderr is a file here).
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --progress_every 0 --report_json "$T/r.json" \
    --output_dir "$T/out" --save_model "$T/m"
expect "the run exits 0 (got $rc): $(tail -n 2 "$T/e")" [ "$rc" -eq 0 ]
expect "it wrote the JSON report" [ -s "$T/r.json" ]
leftover=$(find "$T" -maxdepth 1 -name 'r.json.tmp*')
expect "no temporary file is left beside it: $leftover" [ -z "$leftover" ]
expect "the JSON says what the text says: $(python3 "$CHECK" "$T/o" "$T/r.json" 2>&1 | head -n 5)" \
    python3 "$CHECK" "$T/o" "$T/r.json"
# the checker itself: one figure changed, and it must object
python3 - "$T/r.json" "$T/bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["test"]["categories"][1]["tau"] += 0.25
json.dump(d, open(sys.argv[2], "w"))
PY
expect "the checker refuses a JSON with one tau changed" \
    sh -c "! python3 '$CHECK' '$T/o' '$T/bad.json' >/dev/null"
# settings and identity
python3 - "$T/r.json" "$T/tiny.ini" >"$T/ident" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s, m, data = d["settings"], d["model"], d["data"]
assert s["config_file"] == sys.argv[2], s["config_file"]
assert s["data"]["dataset"] == "synth" and s["data"]["synth_train"] == 400, s["data"]
assert s["train"]["arch"] == "basic" and s["train"]["epochs"] == 2, s["train"]
assert s["train"]["recipe"] == "keras", "the resolved recipe: " + s["train"]["recipe"]
assert s["train"]["batch_size"] == 32 and s["run"]["threads"] == 2, s
assert s["run"]["batch"] is True and s["stage2"]["threshold"] == 0.7, s["run"]
assert m["arch"] == "basic" and m["epochs"] == 2 and m["classes"] == 9, m
assert "disc" not in m["class_names"] and m["save_model"].endswith("/m"), m
assert data["dataset"] == "synth" and s["data"]["holdout_classes"] == "disc", data
assert data["test_images"] + data["unseen_images"] == 200, data
assert data["description"].startswith("synth"), data["description"]
assert d["test"]["images"] == data["test_images"], d["test"]["images"]
assert d["unseen"]["held_out_classes"] == "disc" and d["unseen"]["images"] > 0, d["unseen"]
PY
expect "the settings and identity are the run's: $(cat "$T/ident")" [ ! -s "$T/ident" ]

# Progress lines: each phase, its step, img/s and an ETA for the whole run.
pat='^Progress: epoch [12]/2, \(Stage 1\|judge pool\|judges\|validation\) step [0-9]*/[0-9]*, [0-9]* img/s, ETA [0-9:]* (whole run)$'
expect "progress lines in the stated form: $(grep '^Progress' "$T/e" | grep -v "$pat" | head -n 2)" \
    sh -c "grep -q '^Progress' '$T/e' && ! grep '^Progress' '$T/e' | grep -vq '$pat'"
for ph in "Stage 1" "judges"; do
    expect "a progress line in the $ph phase" grep -q "^Progress: epoch 1/2, $ph step" "$T/e"
done
expect "the epoch lines stay: $(grep -c '^Epoch' "$T/e")" [ "$(grep -c '^Epoch [12]/2:' "$T/e")" -eq 2 ]
expect "no progress bar when stderr is not a terminal" sh -c "! grep -q \"\$(printf '\\r')\" '$T/e'"

# On a terminal the bar carries the same ETA (script(1) gives the run a pty;
# the bar is drawn after the first step).
if command -v script >/dev/null 2>&1; then
    script -qec "'$MSCNN_BIN' --batch -c '$T/tiny.ini' --threads 2 --epochs 1 \
        --output_dir '$T/outt' --save_model '$T/mt'" /dev/null >"$T/tty" 2>&1 </dev/null
    expect "on a terminal the bar shows the run's ETA: $(grep -ao 'Epoch 1/1 Stage 1[^]]*][^E]*ETA[ 0-9:]*' "$T/tty" | head -n 1)" \
        grep -aq '\] .* img/s ETA [0-9]*:[0-9][0-9]' "$T/tty"
else
    echo "note: script(1) not found: the bar on a terminal is not checked"
fi

# --quiet: the same report on stdout, and nothing on stderr.
# shellcheck disable=SC2086
run_mscnn "$T/oq" "$T/eq" $base --quiet --progress_every 0 --output_dir "$T/outq" \
    --save_model "$T/mq"
expect "a --quiet run exits 0 (got $rc)" [ "$rc" -eq 0 ]
expect "--quiet writes nothing on stderr: $(head -n 3 "$T/eq")" [ ! -s "$T/eq" ]
expect "--quiet prints the same report: $(diff "$T/o" "$T/oq" | head -n 4)" cmp -s "$T/o" "$T/oq"
printf '[run]\nquiet = 1\n' >>"$T/tiny.ini"
# shellcheck disable=SC2086
run_mscnn "$T/oq" "$T/eq" $base --epochs 0 --load_model "$T/m" --save_model "$T/mq2" \
    --output_dir "$T/outq"
expect "quiet = 1 in the INI file: nothing on stderr (rc $rc): $(head -n 3 "$T/eq")" \
    sh -c "[ $rc -eq 0 ] && [ ! -s '$T/eq' ]"

# A --report_json that cannot be written is refused before training.
bad_path() { # PATH WHY: exits 2 naming --report_json, nothing trained
    # shellcheck disable=SC2086
    run_mscnn "$T/o2" "$T/e2" $base --report_json "$1" --output_dir "$T/never" \
        --save_model "$T/never-m" ${3:-}
    expect "--report_json $1 ($2) exits 2 (got $rc)" [ "$rc" -eq 2 ]
    expect "the message names --report_json: $(cat "$T/e2")" grep_in "$T/e2" "--report_json"
    expect "nothing was trained: $(find "$T" -maxdepth 1 -name 'never*')" \
        sh -c "[ ! -e '$T/never' ] && [ ! -e '$T/never-m' ]"
}
bad_path "$T/no-such-dir/r.json" "a missing directory"
expect "it names the missing directory" grep_in "$T/e2" "$T/no-such-dir"
bad_path "$T" "a directory"
bad_path "$T/p.csv" "the --predictions file" "--predictions $T/p.csv"
done_tests
