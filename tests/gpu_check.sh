#!/bin/sh
# tests/gpu_check.sh - the GPU backend's checks, on a machine with an
# NVIDIA GPU: builds with --with-cuda=yes, runs the op-by-op comparison
# (tests/test_backend), the training comparison (tests/test_gpu), the air
# benchmark and a full air run on CIFAR-10, and prints one line per check:
#   PASS|FAIL|SKIP <check>: <the key figure or the reason>
# Exits 0 when nothing failed (so also on a machine without a GPU, where it
# says SKIP and does nothing), else 1. Meant to take under 10 minutes on one
# H200. Not part of make check: run it by hand from the source tree.
#
#   tests/gpu_check.sh [--no-build]
#
# Logs go to $GPU_CHECK_LOGS (default $OUT/gpu_check when $OUT is set, else
# /tmp/gpu_check); CIFAR-10 is looked for in $GPU_CHECK_DATA (default
# ../shared/data/cifar-10-batches-bin).
set -u
cd "$(dirname "$0")/.." || exit 1
if [ -n "${OUT:-}" ]; then logs=${GPU_CHECK_LOGS:-$OUT/gpu_check}; else logs=${GPU_CHECK_LOGS:-/tmp/gpu_check}; fi
data=${GPU_CHECK_DATA:-../shared/data/cifar-10-batches-bin}
mkdir -p "$logs" || exit 1
failed=0

say() { echo "$1 $2: $3"; [ "$1" = FAIL ] && failed=1; return 0; }
# last LOG: the last lines of a log, on one line, for a FAIL reason
last() { tail -n 3 "$1" 2>/dev/null | tr '\n' ' ' | cut -c 1-300; }

# ---- is there a GPU? ---------------------------------------------------------
gpus=
if command -v nvidia-smi >/dev/null 2>&1; then
    gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU [0-9]')
fi
if [ -z "$gpus" ] || [ "$gpus" -eq 0 ]; then
    if [ -e /dev/nvidia0 ]; then
        gpus="? (/dev/nvidia0 present, nvidia-smi absent or silent)"
    else
        say SKIP gpu_check "no NVIDIA GPU here (nvidia-smi lists none, no /dev/nvidia0)"
        exit 0
    fi
fi
echo "gpu_check: $gpus GPU(s): $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -n 1); logs in $logs"

# ---- build -------------------------------------------------------------------
if [ "${1:-}" != --no-build ]; then
    t0=$(date +%s)
    if { ./autogen.sh && ./configure --with-cuda=yes && make -j"$(nproc)"; } >"$logs/build.log" 2>&1; then
        say PASS build "$(grep '^  CUDA:' "$logs/build.log" | sed 's/^  CUDA: *//') in $(($(date +%s) - t0)) s"
    else
        say FAIL build "$(last "$logs/build.log") (see $logs/build.log)"
        exit 1
    fi
fi
[ -x ./mscnn ] || { say FAIL build "no ./mscnn: run without --no-build"; exit 1; }
make -j"$(nproc)" tests/test_backend tests/test_gpu tests/test_gpu_host >"$logs/build-tests.log" 2>&1 ||
    { say FAIL build "the test programs: $(last "$logs/build-tests.log")"; exit 1; }

# ---- tests ---------------------------------------------------------------------
# test_gpu_host: the host-side logic, no device needed
if timeout 60 tests/test_gpu_host >"$logs/test_gpu_host.log" 2>&1; then
    say PASS test_gpu_host "$(tail -n 1 "$logs/test_gpu_host.log")"
else
    say FAIL test_gpu_host "$(last "$logs/test_gpu_host.log")"
fi

# test_backend: every op of every backend against the reference; the GPU
# must have been tested, not skipped
timeout 240 tests/test_backend >"$logs/test_backend.log" 2>&1
rc=$?
gpu_line=$(grep '^gpu' "$logs/test_backend.log" | tail -n 1)
if [ "$rc" -eq 0 ] && [ "$gpu_line" = "gpu: ok" ]; then
    say PASS test_backend "$(grep '^gpu (' "$logs/test_backend.log"); $(tail -n 1 "$logs/test_backend.log")"
elif [ "$rc" -eq 0 ]; then
    say FAIL test_backend "the GPU was not tested: $gpu_line"
else
    say FAIL test_backend "exit $rc: $(grep -c '^FAIL' "$logs/test_backend.log") failures, first: $(grep -m 1 '^FAIL' "$logs/test_backend.log")"
fi

# test_gpu: three training steps of basic, air and a judge, GPU against CPU
timeout 240 tests/test_gpu >"$logs/test_gpu.log" 2>&1
rc=$?
case $rc in
0) say PASS test_gpu "$(grep '^air:' "$logs/test_gpu.log")" ;;
77) say FAIL test_gpu "skipped on a GPU machine: $(tail -n 1 "$logs/test_gpu.log")" ;;
*) say FAIL test_gpu "exit $rc: $(grep -m 1 '^FAIL' "$logs/test_gpu.log") $(last "$logs/test_gpu.log")" ;;
esac

# ---- the air benchmark ----------------------------------------------------------
if timeout 180 ./mscnn bench --device gpu --arch air --batch_size 512 >"$logs/bench.log" 2>&1; then
    say PASS bench "air, batch 512: $(tail -n 1 "$logs/bench.log")"
else
    say FAIL bench "exit $?: $(last "$logs/bench.log")"
fi

# ---- air with its recipe on CIFAR-10 --------------------------------------------------
if [ ! -f "$data/data_batch_1.bin" ]; then
    say SKIP train "no CIFAR-10 in $data (set GPU_CHECK_DATA)"
else
    t0=$(date +%s)
    rm -rf "$logs/run" && mkdir -p "$logs/run"
    if timeout 330 ./mscnn --batch --device gpu --arch air --data_dir "$data" \
        --output_dir "$logs/run" --save_model "$logs/run/model" >"$logs/train.out" 2>"$logs/train.err"; then
        acc=$(sed -n 's/^Stage 1 test accuracy: \([0-9.]*\)%$/\1/p' "$logs/train.out")
        say PASS train "air on CIFAR-10: Stage 1 test accuracy ${acc:-?}% in $(($(date +%s) - t0)) s ($(grep -m 1 ' on gpu' "$logs/train.err" | sed 's/.* on //'))"
    else
        say FAIL train "exit $? after $(($(date +%s) - t0)) s: $(last "$logs/train.err")"
    fi
fi

exit "$failed"
