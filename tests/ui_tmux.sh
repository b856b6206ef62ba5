#!/bin/sh
# The workbench in a real terminal (tmux, 80x24, synth data): the screen a
# person sees, keys that move tau and toggle judges, the confusion and help
# views, resize, quit with y (the model loads afterwards), and a dropped
# connection (SIGHUP) that still leaves a loadable model. Skips (77)
# without tmux.
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"
. "${MSCNN_SRCDIR:-.}/tests/ui_lib.sh"

cat >"$T/ui.ini" <<'INI'
[data]
dataset = synth
synth_train = 1200
synth_test = 300
[train]
arch = basic
epochs = 50
INI
names="stripes_h stripes_v stripes_diag disc ring cross checker gradient square dots"

# ---- 1: a UTF-8 session at 80x24 ----------------------------------------------
UI_SESSION=wb
ui_start wb 80 24 "cd '$T' && LC_ALL=$utf8 '$MSCNN_BIN' -c '$T/ui.ini' --output_dir '$T/out' \
  --save_model '$T/m' 2>'$T/wb.err'; echo \$? >'$T/wb.rc'"
wait_until "the dashboard lists the categories" on_screen "stripes_diag"
for n in $names; do
    expect "category $n is listed" on_screen "$n"
done
all_names_shown() { for n in $names; do on_screen "$n" || return 1; done; }
expect "the header shows the epoch" on_screen "Epoch "
wait_until "the status line shows the keys" on_screen "q:quit"
expect "tau starts at 0.70 (shown: '$(shown_tau)')" tau_is 0.70
keys wb +
wait_until "+ raises tau to 0.71" tau_is 0.71
keys wb ]
wait_until "] raises tau to 0.76" tau_is 0.76
keys wb -
wait_until "- lowers tau to 0.75" tau_is 0.75
expect "the table's tau column follows" row_has stripes_h ' 0\.75$'

# Space on the selected category flips its mark and reaches the trainer.
keys wb j j
wait_until "j j selects stripes_diag" row_has stripes_diag '^>'
row=$(line_with stripes_diag)
case "$row" in
*"✓"* | *"[x]"*) ok ;;
*) fail "stripes_diag starts trainable: '$row'" ;;
esac
keys wb Space
frozen() { line_with stripes_diag | grep -qE '✗|\[ \]'; }
wait_until "Space marks stripes_diag frozen" frozen
expect "the other categories stay trainable" row_has stripes_v '✓|\[x\]'
history_says_frozen() { [ "$(csv_last "$T/out/history.csv" trainable_stripes_diag)" = 0 ]; }
UI_TIMEOUT=90 wait_until "history.csv records stripes_diag frozen after an epoch" history_says_frozen
expect "stripes_v stays trainable in history.csv" \
    [ "$(csv_last "$T/out/history.csv" trainable_stripes_v)" = 1 ]
keys wb l
wait_until "the log view says the judge was frozen" on_screen "Judge stripes_diag: frozen"
wait_until "the log has epoch lines" screen_has '^Epoch [0-9]+/50: Loss '

keys wb c
wait_until "c shows the confusion matrix" on_screen "rows: 11-way target"
expect "the matrix has the OTHER column" on_screen "OTHER"
expect "it is evaluated at the current tau" screen_has 'at (τ|tau) 0\.75'
keys wb '?'
wait_until "? shows the help" on_screen "this help"
expect "help lists the tau keys" on_screen "raise tau by 0.05"
keys wb d
wait_until "d returns to the dashboard" on_screen "S1 val"

# Resize: the screen is rebuilt at the new size, nothing left of the old.
rows_are() { [ "$(screen wb | wc -l)" -eq "$1" ]; }
fits() { [ "$(widest '^\[.*\] (τ|tau) ')" = "$1" ] && rows_are "$2" && screen wb | tail -n 1 | grep -q 'q:quit'; }
tmx resize-window -t wb -x 100 -y 30
wait_until "resized to 100x30: gauge and status redrawn at the new size" fits 100 30
expect "the categories are still listed after the resize" on_screen "stripes_diag"
tmx resize-window -t wb -x 80 -y 24
wait_until "back to 80x24: gauge and status redrawn" fits 80 24
expect "no line wider than 80 columns after shrinking ($(widest))" [ "$(widest)" -le 80 ]
first_line_has() { screen "$UI_SESSION" | head -n 1 | grep -qE -- "$1"; }
expect "the header is the top line" first_line_has 'Epoch [0-9]+/50 .*TRAINING$'
expect "the curves are redrawn" screen_has '^Loss .* Accuracy '
wait_until "the whole table is redrawn" all_names_shown
tmx resize-window -t wb -x 60 -y 20
wait_until "a 60x20 terminal is told it is too small" on_screen "terminal too small"
tmx resize-window -t wb -x 80 -y 24
wait_until "and redraws at 80x24" fits 80 24

# q asks while training runs; Esc cancels; y saves and exits.
keys wb q
wait_until "q asks to confirm" on_screen "and quit?"
keys wb Escape
wait_until "Esc cancels the prompt" not_on_screen "and quit?"
expect "and the workbench runs on" [ "$(tmx display-message -p -t wb "#{pane_dead}")" = 0 ]
keys wb q
wait_until "q asks again" on_screen "and quit?"
keys wb y
wait_until "y quits" pane_dead wb
expect "the workbench exits 0 (got $(cat "$T/wb.rc" 2>/dev/null)): $(tail -n 2 "$T/wb.err")" \
    [ "$(cat "$T/wb.rc" 2>/dev/null)" = 0 ]
expect "it says where the model went" grep_in "$T/wb.err" "Model saved to $T/m"
for f in model.safetensors state.safetensors model.ini; do
    expect "the model directory holds $f" [ -s "$T/m/$f" ]
done
expect "model.ini keeps the tau set with the keys" grep -q '= 0.75' "$T/m/model.ini"
expect "training_history.png was written during the session" [ -s "$T/out/training_history.png" ]
expect "the terminal is restored: the dashboard is gone" not_on_screen "S1 val"
run_mscnn "$T/o" "$T/e" --batch --load_model "$T/m" --epochs 0 --dataset synth \
    -c "$T/ui.ini" --output_dir "$T/out2"
expect "the saved model loads with --batch (rc $rc): $(tail -n 1 "$T/e")" [ "$rc" -eq 0 ]
expect "and evaluates" grep -q '^Stage 1 test accuracy: ' "$T/o"

# ---- 2: ASCII locale, then the connection drops (SIGHUP) ----------------------------
UI_SESSION=hup
ui_start hup 80 24 "cd '$T' && exec env LC_ALL=C '$MSCNN_BIN' -c '$T/ui.ini' --output_dir '$T/out3' \
  --save_model '$T/m2' 2>'$T/hup.err'"
pid=$(tmx display-message -p -t hup '#{pane_pid}')
wait_until "the ASCII dashboard shows [x] marks" on_screen "[x] stripes_diag"
non_ascii=$(screen hup | LC_ALL=C grep -c '[^ -~]')
expect "nothing but ASCII on an ASCII terminal ($non_ascii lines)" [ "$non_ascii" -eq 0 ]
expect "an ASCII gauge" screen_has '^\[[=|-]+\] tau 0\.70$'
stepped() { screen hup | head -n 1 | grep -qE 'Stage 1 [1-9][0-9]*/'; }
wait_until "training steps" stepped
tmx kill-session -t hup
gone() { ! kill -0 "$pid" 2>/dev/null; }
wait_until "SIGHUP: the workbench exits" gone
expect "it says it saved: $(tail -n 1 "$T/hup.err")" grep_in "$T/hup.err" "Model saved to $T/m2"
for f in model.safetensors state.safetensors model.ini; do
    expect "after SIGHUP the model directory holds $f" [ -s "$T/m2/$f" ]
done
run_mscnn "$T/o" "$T/e" --batch --load_model "$T/m2" --epochs 0 --dataset synth \
    -c "$T/ui.ini" --output_dir "$T/out4"
expect "the model saved on SIGHUP loads (rc $rc): $(tail -n 1 "$T/e")" [ "$rc" -eq 0 ]

# ---- 3: a run that finishes: the batch outputs, then q quits at once ------------------
UI_SESSION=fin
ui_start fin 80 24 "cd '$T' && LC_ALL=$utf8 '$MSCNN_BIN' -c '$T/ui.ini' --epochs 1 --output_dir '$T/out5' \
  --save_model '$T/m5' --predictions '$T/p.csv' --report_json '$T/r.json' 2>'$T/fin.err'"
wait_until "the run finishes" on_screen "FINISHED"
for f in history.csv training_history.png confusion_matrix.png risk_coverage.png; do
    expect "$f written as in --batch" [ -s "$T/out5/$f" ]
done
expect "--predictions written: one row per test image and a header" [ "$(wc -l <"$T/p.csv")" -eq 301 ]
expect "--report_json written, with the settings: $(head -c 200 "$T/r.json")" python3 -c \
    'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(not (d["test"]["images"] == 300 and d["settings"]["run"]["batch"] is False))' \
    "$T/r.json"
# The curves keep the epoch's step points after it ends: x runs from a
# fraction of epoch 1 to 1 (a lone dot at 1 before).
expect "a 1-epoch run keeps its step points: $(screen fin | grep -E '^ +[0-9.]+ ')" \
    screen_has '^ +0\.[0-9] +0\.[0-9] +1 +0\.[0-9]'
keys fin l
wait_until "the log holds the test report" on_screen "Stage 1 test accuracy:"
# r retrains the judges: the log compares each category before and after,
# the plots before it are kept, and both reports are printed on exit.
keys fin r
wait_until "r asks to confirm" on_screen "checked judge"
keys fin y
kept_before() { [ -s "$T/out5/confusion_matrix_before_retrain.png" ] && [ -s "$T/out5/risk_coverage_before_retrain.png" ]; }
wait_until "the retrain keeps the plots before it" kept_before
new_plots() { [ -s "$T/out5/confusion_matrix.png" ] && [ -s "$T/out5/risk_coverage.png" ]; }
wait_until "and writes new ones" new_plots
wait_until "the log shows each category before and after" on_screen "Before -> after the retrain"
expect "with the pooled figures" screen_has '^ *\(pooled\) +[0-9.]+ -> +[0-9.]+ '
# the comparison is logged a moment before the retrain's state ends
wait_until "the retrain ends" screen_has 'FINISHED *$'
keys fin q
wait_until "q quits without asking once training is done" pane_dead fin
expect "the report is printed on exit" on_screen "Final Accuracy:"
history_has() { tmx capture-pane -p -S -400 -t fin | grep -qF -- "$1"; }
expect "the report before the retrain is printed too" \
    history_has "---- the test report before the retrain of the judges ----"

# ---- 4: 120x40, NO_COLOR, LANG=C: the extra room, glyphs, dim figures, auto-tune -------
# (three epochs, so that ] lands while training runs even on a fast CPU:
# after the run, --tune_threshold would have moved tau first)
cat >"$T/small.ini" <<'INI'
[data]
dataset = synth
synth_train = 1200
synth_test = 50
[train]
arch = basic
epochs = 3
[stage2]
judge_passes = 1
INI
UI_SESSION=big
ui_start big 120 40 "cd '$T' && exec env NO_COLOR=1 LANG=C LC_ALL=C '$MSCNN_BIN' -c '$T/small.ini' \
  --tune_threshold risk=0.001 --device cpu --output_dir '$T/out6' --save_model '$T/m6' 2>'$T/big.err'"
wait_until "the 120x40 dashboard is up" on_screen "[x] stripes_diag"
header() { screen big | head -n 1; }
device_col() { header | awk '{ print index($0, "cpu") }'; }
# (the "mscnn" title has the lowest priority: a long device name, such as
# "cpu: 2 threads, AVX-512 + AMX, bf16", leaves no room for it at 120 columns)
wait_until "the header says TRAINING" screen_has '^ .*TRAINING$'
col_training=$(device_col)
expect "the header names the device while it trains ($(header))" [ "$col_training" -gt 0 ]
expect "a learning-rate chart" on_screen "Learning rate"
expect "without colour each series has its glyph in the legend" \
    on_screen "Loss * S1 o S1 val + J x J val"
keys big ]
wait_until "] is logged with the tau before and after" on_screen "tau 0.70 -> tau 0.75 (+0.05)"
keys big '?'
wait_until "? shows the help" on_screen "this help"
expect "help says what dim figures mean" on_screen "dim: on fewer than 20 val images"
keys big Escape
wait_until "Esc leaves the help" on_screen "S1 val"
UI_TIMEOUT=180 wait_until "the run finishes (3 epochs; slow under a parallel make check)" on_screen "FINISHED"
expect "the device keeps its place in the header ($col_training, now $(device_col))" \
    [ "$(device_col)" = "$col_training" ]
wait_until "the confusion matrix sits under the table" on_screen "target\\out"
wait_until "the table counts validation images" row_has stripes_v '^ \[x\] stripes_v +[0-9]+ '
dim_row() { tmx capture-pane -p -e -t big | grep -F "stripes_v" | grep -q "$(printf '\033')\[2m"; }
wait_until "figures on fewer than 20 images are dim without colour" dim_row
keys big t
wait_until "auto-tune that rejects everything asks first" on_screen "Apply the auto-tuned tau"
keys big Escape
wait_until "Esc keeps the old tau" on_screen "auto-tune cancelled: tau 0.75 kept"
expect "tau is still 0.75" tau_is 0.75
keys big l
wait_until "the log says what auto-tune would have done" on_screen "it rejects"
keys big d t
wait_until "asked again" on_screen "Apply the auto-tuned tau"
keys big y
wait_until "y applies it" tau_is 1.00
keys big q
wait_until "q quits once training is done" pane_dead big

# ---- 5: no terminal: a message, not garbage ---------------------------------------
run_mscnn "$T/o" "$T/e" -c "$T/ui.ini" --save_model "$T/m3"
expect "without a terminal it exits 2 (got $rc)" [ "$rc" -eq 2 ]
expect "and says to use --batch: $(cat "$T/e")" grep_in "$T/e" "--batch"
expect "nothing on stdout" [ ! -s "$T/o" ]
expect "no model written" [ ! -e "$T/m3" ]

done_tests
