#!/bin/sh
# compare.sh - mscnn against PyTorch on this machine, side by side.
#
# For each case (air batch 256, basic batch 32, basic batch 256; a case
# may name its precision, air:256:bf16) it runs `mscnn bench` and
# bench/pytorch_twin.py (the same network in PyTorch, its faster of NCHW
# and channels_last; in bf16, CPU autocast with channels_last) back to
# back, ROUNDS times. Each
# round gives a ratio of training images/s measured minutes apart at most;
# the headline ratio is the median of those (robust to a round disturbed
# by other jobs), shown with the median images/s of each. It also measures
# the machine's sgemm rate (2048^3 through PyTorch on OpenBLAS) and
# mscnn's sustained training FLOP rate against it. On a shared machine it
# waits (up to --wait seconds) until no other process is busy before each
# round, watches with top during the round, and repeats a round that
# another process disturbed. See bench/README.md.
#
# Usage: bench/compare.sh [--mscnn PATH] [--threads N] [--rounds N] [--cases LIST]
#                         [--wait S] [--precision P]
#   --mscnn PATH   the mscnn binary (default: $MSCNN_BIN, ./mscnn, then mscnn in PATH)
#   --threads N    threads for both (default 2)
#   --rounds N     undisturbed rounds per case (default 3)
#   --cases LIST   comma-separated arch:batch[:precision] (default air:256,basic:32,basic:256)
#   --wait S       longest wait for a quiet machine before a round (default 600)
#   --precision P  fp32 or bf16, for cases that name none (default fp32)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
mscnn=${MSCNN_BIN:-}
threads=2
rounds=3
wait_max=600
cases=air:256,basic:32,basic:256
precision=fp32
python=/usr/bin/python3

die() { echo "compare.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case $1 in
    --mscnn) [ $# -ge 2 ] || die "--mscnn needs a path"; mscnn=$2; shift 2 ;;
    --threads) [ $# -ge 2 ] || die "--threads needs a number"; threads=$2; shift 2 ;;
    --rounds) [ $# -ge 2 ] || die "--rounds needs a number"; rounds=$2; shift 2 ;;
    --cases) [ $# -ge 2 ] || die "--cases needs a list like air:256,basic:32"; cases=$2; shift 2 ;;
    --wait) [ $# -ge 2 ] || die "--wait needs seconds"; wait_max=$2; shift 2 ;;
    --precision) [ $# -ge 2 ] || die "--precision needs fp32 or bf16"; precision=$2; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
    esac
done
case $threads in ''|*[!0-9]*) die "--threads: expected a positive integer, got '$threads'" ;; esac
case $rounds in ''|*[!0-9]*|0) die "--rounds: expected a positive integer, got '$rounds'" ;; esac
case $wait_max in ''|*[!0-9]*) die "--wait: expected seconds, got '$wait_max'" ;; esac
case $precision in fp32|bf16) ;; *) die "--precision: expected fp32 or bf16, got '$precision'" ;; esac

if [ -z "$mscnn" ]; then
    if [ -x ./mscnn ]; then mscnn=./mscnn; else mscnn=$(command -v mscnn || true); fi
fi
[ -n "$mscnn" ] && [ -x "$mscnn" ] || die "mscnn binary not found: build it, or pass --mscnn PATH"
[ -x "$python" ] || die "$python not found: apt-get install python3 python3-torch"
"$python" -c 'import torch' 2>/dev/null || die "PyTorch not importable by $python: apt-get install python3-torch"

# PyTorch takes its BLAS from libblas.so.3; give it OpenBLAS (OpenMP build),
# as ../shared/ANCHORS.md asks, not whatever the system alternative is.
blasdir=$(dpkg -L libopenblas0-openmp 2>/dev/null | grep '/openblas-openmp/libblas.so.3$' | head -n 1 || true)
[ -n "$blasdir" ] || die "OpenBLAS (OpenMP) not installed: apt-get install libopenblas0-openmp"
blasdir=$(dirname "$blasdir")
torch_env="LD_LIBRARY_PATH=$blasdir OMP_NUM_THREADS=$threads"

# value of key in a "k=v k=v" line
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

tmp=$(mktemp -d)
monitor=
trap '[ -n "$monitor" ] && kill "$monitor" 2>/dev/null; rm -rf "$tmp"' EXIT

# Other processes over 30 % CPU in top's log $1, except the pids in $2.
others_in() {
    awk -v ours=" $2 " '$1 ~ /^[0-9]+$/ && $9 + 0 > 30 && index(ours, " " $1 " ") == 0 {
        print $1 "(" $12 ")" }' "$1" | sort -u | tr '\n' ' '
}

# Waits until no other process is busy (two quiet seconds), at most wait_max s.
wait_quiet() {
    waited=0
    while :; do
        top -b -n 2 -d 1 >"$tmp/q" 2>/dev/null || return 0
        [ -z "$(others_in "$tmp/q" "")" ] && return 0
        [ "$waited" -ge "$wait_max" ] && { echo "  (machine still busy after ${wait_max}s; measuring anyway)"; return 0; }
        sleep 8
        waited=$((waited + 10))
    done
}

# Runs "$@" in the background under top's eye; its output goes to $tmp/out
# and its pid is added to ours.
watched() {
    "$@" >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    ours="$ours $pid"
    wait "$pid" || return 1
}

echo "mscnn vs PyTorch, $threads threads, $rounds alternating rounds per case ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "mscnn: $mscnn; PyTorch $(env $torch_env "$python" -c 'import torch; print(torch.__version__)') on $blasdir"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs skew single rounds)"
echo

echo "sgemm 2048^3, $threads threads (PyTorch on OpenBLAS, median of 10):"
cat >"$tmp/sgemm.py" <<'EOF'
import statistics, sys, time, torch
torch.set_num_threads(int(sys.argv[1]))
n = 2048
a, b = torch.randn(n, n), torch.randn(n, n)
for _ in range(3):
    a @ b
t = []
for _ in range(10):
    t0 = time.perf_counter()
    a @ b
    t.append(time.perf_counter() - t0)
print(f"{2 * n ** 3 / statistics.median(t) / 1e9:.1f}")
EOF
tries=0
while :; do
    tries=$((tries + 1))
    wait_quiet
    ours=""
    top -b -d 1 >"$tmp/top" 2>/dev/null &
    monitor=$!
    watched env $torch_env "$python" "$tmp/sgemm.py" "$threads" ||
        die "the sgemm measure failed: $(tail -n 2 "$tmp/err")"
    sgemm=$(tail -n 1 "$tmp/out")
    kill "$monitor" 2>/dev/null
    wait "$monitor" 2>/dev/null || true
    monitor=
    busy=$(others_in "$tmp/top" "$ours $$")
    if [ -z "$busy" ] || [ $tries -ge 5 ]; then
        break
    fi
    echo "  (sgemm disturbed by $busy- repeating; it gave $sgemm)"
done
echo "  $sgemm GFLOP/s"
echo

printf '%-12s %12s %12s %9s  %s\n' case "mscnn img/s" "torch img/s" ratio "(per round: mscnn / torch img/s)"
summary=""
for c in $(echo "$cases" | tr ',' ' '); do
    arch=${c%%:*}
    batch=${c#*:}
    prec=$precision
    case $batch in *:*) prec=${batch#*:}; batch=${batch%%:*} ;; esac
    case $prec in fp32|bf16) ;; *) die "case '$c': expected arch:batch[:fp32|bf16]" ;; esac
    : >"$tmp/m"
    : >"$tmp/t"
    : >"$tmp/g"
    : >"$tmp/r"
    rounds_txt=""
    i=0
    tries=0
    while [ $i -lt "$rounds" ]; do
        tries=$((tries + 1))
        [ $tries -gt $((3 * rounds + 2)) ] && die "$arch/$batch: too many disturbed rounds; try when the machine is quieter"
        wait_quiet
        ours=""
        top -b -d 1 >"$tmp/top" 2>/dev/null &
        monitor=$!
        watched "$mscnn" bench --arch "$arch" --batch_size "$batch" --threads "$threads" \
            --precision "$prec" ||
            die "mscnn bench failed ($arch batch $batch): $(tail -n 2 "$tmp/err")"
        mline=$(tail -n 1 "$tmp/out")
        watched env $torch_env "$python" "$here/pytorch_twin.py" --arch "$arch" \
            --batch_size "$batch" --threads "$threads" --precision "$prec" ||
            die "pytorch_twin.py failed ($arch batch $batch): $(tail -n 2 "$tmp/err")"
        tline=$(tail -n 1 "$tmp/out")
        kill "$monitor" 2>/dev/null
        wait "$monitor" 2>/dev/null || true
        monitor=
        m=$(field "$mline" train_img_s)
        t=$(field "$tline" train_img_s)
        [ -n "$m" ] && [ -n "$t" ] || die "a benchmark failed ($arch batch $batch): '$mline' / '$tline'"
        busy=$(others_in "$tmp/top" "$ours $$")
        if [ -n "$busy" ]; then
            echo "  ($arch/$batch: round disturbed by $busy- repeating; it gave $m / $t)"
            continue
        fi
        i=$((i + 1))
        echo "$m" >>"$tmp/m"
        echo "$t" >>"$tmp/t"
        field "$mline" train_gflops >>"$tmp/g"
        awk -v a="$m" -v b="$t" 'BEGIN { print a / b }' >>"$tmp/r"
        rounds_txt="$rounds_txt $m/$t"
    done
    mm=$(median <"$tmp/m")
    tm=$(median <"$tmp/t")
    gm=$(median <"$tmp/g")
    ratio=$(median <"$tmp/r" | awk '{ printf "%.2f", $1 }')
    label=$arch/$batch
    [ "$prec" = fp32 ] || label=$label/$prec
    printf '%-12s %12.1f %12.1f %8sx  %s\n' "$label" "$mm" "$tm" "$ratio" "$rounds_txt"
    share=$(awk -v g="$gm" -v s="$sgemm" 'BEGIN { printf "%.0f", 100 * g / s }')
    summary="$summary$label: mscnn trains at $gm GFLOP/s = $share% of sgemm
"
done
echo "(ratio: median over rounds of mscnn/torch; img/s: medians over rounds)"
echo
echo "sustained training FLOP rate (3 x forward FLOPs x img/s) against sgemm ($sgemm GFLOP/s):"
printf '%s' "$summary" | sed 's/^/  /'
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
