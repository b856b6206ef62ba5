# tests/ui_lib.sh - driving the real workbench in tmux (sourced after
# tests/lib.sh). Every wait polls the screen with a deadline instead of
# sleeping a fixed time, so a loaded machine only makes the test slower.
# A private tmux server (its own socket under $T, no config file) keeps
# the user's tmux sessions out of it.

if ! command -v tmux >/dev/null 2>&1; then
    echo "SKIP: tmux is not installed (apt-get install tmux)"
    exit 77
fi

TMUX_SOCK="$T/tmux.sock"
unset TMUX
# A pane stays after its program exits, so the last screen can be read.
printf 'set -g remain-on-exit on\n' >"$T/tmux.conf"
tmx() { tmux -S "$TMUX_SOCK" -f "$T/tmux.conf" "$@"; }
# A UTF-8 locale for the workbench and for measuring what it drew; C (and
# the workbench's ASCII fallback) when the system has none.
# UI_TEST_LOCALE=C forces the ASCII run.
utf8=${UI_TEST_LOCALE:-$(locale -a 2>/dev/null | grep -ix -m 1 'c\.utf-\?8')}
[ -n "$utf8" ] || utf8=C
# Stop the private server on exit (then lib.sh's cleanup runs).
trap 'tmx kill-server >/dev/null 2>&1; rm -rf "$T"' EXIT

UI_TIMEOUT=${UI_TIMEOUT:-30} # seconds per wait

# ui_start SESSION COLS ROWS COMMAND: a detached session running COMMAND.
ui_start() {
    tmx new-session -d -s "$1" -x "$2" -y "$3" "$4"
}

# screen SESSION: what a person sees now, one line per row.
screen() { tmx capture-pane -p -t "$1" 2>/dev/null; }

# keys SESSION KEY...: as typed (tmux key names: Space, Up, ...).
keys() { s=$1; shift; tmx send-keys -t "$s" "$@"; }

# wait_until DESCRIPTION COMMAND...: polls COMMAND (5 times a second)
# until it succeeds. A timeout shows the screen and ends the test: what
# follows depends on it.
wait_until() {
    d=$1
    shift
    i=0
    while ! "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        if [ $i -ge $((UI_TIMEOUT * 5)) ]; then
            fail "$d (waited ${UI_TIMEOUT}s); the screen was:"
            screen "$UI_SESSION" | sed 's/^/    | /' >&2
            for f in "$T"/*.err; do
                [ -s "$f" ] && sed "s|^|    $(basename "$f"): |" "$f" >&2
            done
            done_tests
            exit 1
        fi
        sleep 0.2
    done
    ok
    return 0
}

# on_screen TEXT: the current session shows TEXT (a fixed string).
on_screen() { screen "$UI_SESSION" | grep -qF -- "$1"; }
# screen_has REGEX: some line matches the extended regular expression.
screen_has() { screen "$UI_SESSION" | grep -qE -- "$1"; }
not_on_screen() { ! on_screen "$1"; }
# line_with TEXT: the first screen line holding TEXT.
line_with() { screen "$UI_SESSION" | grep -F -- "$1" | head -n 1; }
# row_has TEXT REGEX: the first line holding TEXT matches REGEX.
row_has() { line_with "$1" | grep -qE -- "$2"; }
# widest [REGEX]: display width of the widest screen line (matching REGEX).
widest() { screen "$UI_SESSION" | grep -E -- "${1:-.}" | LC_ALL=$utf8 wc -L; }
# pane_dead SESSION: its program has exited (the pane remains).
pane_dead() { [ "$(tmx display-message -p -t "$1" '#{pane_dead}')" = 1 ]; }
# shown_tau: the tau the threshold gauge shows ("0.70").
shown_tau() {
    screen "$UI_SESSION" | sed -n 's/^\[.*\] \(τ\|tau\) \([0-9.]*\)$/\2/p' | head -n 1
}
tau_is() { [ "$(shown_tau)" = "$1" ]; }

# csv_last FILE COLUMN: the COLUMN of the last row of a CSV with a header.
csv_last() {
    awk -F, -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
                         { v = $c } END { if (c) print v }' "$1"
}
