# tests/lib.sh - shared helpers for the shell tests (sourced, not run).
# The harness sets MSCNN_BIN (the built binary) and MSCNN_SRCDIR.
set -u
: "${MSCNN_BIN:?run through make check}"
: "${MSCNN_SRCDIR:=.}"
failures=0
checks=0
T=$(mktemp -d /tmp/mscnn-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
# Keep a user's own config out of the tests.
export XDG_CONFIG_HOME="$T/config" HOME="$T/home"
unset MSCNN_DATA

ok() { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL: $*" >&2; }
# expect DESCRIPTION COMMAND...: the command must succeed
expect() { d=$1; shift; if "$@"; then ok; else fail "$d"; fi; }
# run_mscnn OUT ERR ARGS...: runs mscnn, stores its exit status in $rc
run_mscnn() { o=$1; e=$2; shift 2; "$MSCNN_BIN" "$@" >"$o" 2>"$e"; rc=$?; }
# grep_in FILE PATTERN: fixed-string match
grep_in() { grep -qF -- "$2" "$1"; }
done_tests() {
    echo "$(basename "$0"): $checks checks, $failures failed"
    [ "$failures" -eq 0 ]
}
# synth_ini FILE ARCH TRAIN TEST: a config of the built-in synth set of
# TRAIN training and TEST test images and Stage 1 ARCH (append more with >>)
synth_ini() {
    printf '[data]\ndataset = synth\nsynth_train = %s\nsynth_test = %s\n[train]\narch = %s\n' \
        "$3" "$4" "$2" >"$1"
}
# accuracy_of FILE: the NN.N of "Stage 1 test accuracy: NN.N%"
accuracy_of() { sed -n 's/^Stage 1 test accuracy: \([0-9.]*\)%$/\1/p' "$1"; }
