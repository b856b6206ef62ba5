#!/bin/sh
# kill -9 at 100 random moments while a model is being saved over and over
# (tests/save_kill.c): after every kill the directory must load as a
# complete model, the old or a newer one, and no temporary directory of the
# dead process may stay behind. The test hook MSCNN_TEST_SAVE_DELAY_US
# (src/model/model_dir.h) widens the rename step so that many kills land
# inside it; half the trials force the two-rename fallback of filesystems
# without RENAME_EXCHANGE, whose window without a model the next load
# repairs.
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"
helper="${MSCNN_BUILDDIR:-.}/tests/save_kill"
M="$T/m"
t0=$(date +%s%N)
"$helper" init "$M" || { echo "save_kill init failed" >&2; exit 1; }
# the helper's start-up (slow in a sanitizer build) comes before the moments
start=$(( ($(date +%s%N) - t0) / 1000000 ))
seed=${SAVE_KILL_SEED:-$$}
echo "save_kill.sh: seed $seed (SAVE_KILL_SEED=$seed to repeat the moments)"
# 100 kill moments, 0.02 .. 0.4 s after the helper's start-up
awk -v s="$seed" -v st="$start" 'BEGIN { srand(s); for (i = 0; i < 100; i++) printf "%.3f\n", st / 1000 + 0.02 + rand() * 0.38 }' >"$T/moments"
export MSCNN_TEST_SAVE_DELAY_US=30000
last=1 trial=0 recovered=0 cleaned=0
while read -r t; do
    trial=$((trial + 1))
    if [ $((trial % 2)) -eq 0 ]; then mode=exchange; unset MSCNN_TEST_SAVE_NO_EXCHANGE
    else mode=two-rename; MSCNN_TEST_SAVE_NO_EXCHANGE=1; export MSCNN_TEST_SAVE_NO_EXCHANGE; fi
    "$helper" loop "$M" 2>"$T/loop.err" &
    pid=$!
    sleep "$t"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if ! epoch=$("$helper" check "$M" 2>"$T/check.err"); then
        fail "trial $trial ($mode, kill after ${t}s): no loadable model: $(cat "$T/check.err")"
        continue
    fi
    ok
    grep -q "recovered the model" "$T/check.err" && recovered=$((recovered + 1))
    grep -q "removed '" "$T/check.err" && cleaned=$((cleaned + 1))
    expect "trial $trial ($mode): epoch $epoch is the old ($last) or a newer one" [ "$epoch" -ge "$last" ]
    last=$epoch
    left=$(find "$T" -maxdepth 1 -name 'm.tmp-*' -o -maxdepth 1 -name 'm.old-*' | wc -l)
    expect "trial $trial ($mode): no temporary directory left after the load ($left)" [ "$left" -eq 0 ]
    expect "trial $trial ($mode): the save never failed: $(cat "$T/loop.err")" \
        sh -c "! grep -q 'save_kill:' '$T/loop.err'"
done <"$T/moments"
echo "save_kill.sh: $trial kills; the load put back a model $recovered times and removed a dead save's leftovers $cleaned times; last epoch $last"
expect "some kills landed between the two renames of the fallback ($recovered)" [ "$recovered" -gt 0 ]
expect "some kills landed after the exchange, before the cleanup ($cleaned)" [ "$cleaned" -gt 0 ]
done_tests
