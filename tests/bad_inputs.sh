#!/bin/sh
# Every row of the README's table of bad inputs (between the bad-inputs
# markers), run through the binary: the exit status and a key phrase of the
# message must be what the table says. The names in the table are files
# this script makes in a scratch directory (see the README's note above
# the table).
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"
readme="$MSCNN_SRCDIR/README.md"

# ---- the fixtures --------------------------------------------------------
cd "$T" || exit 1
: >a_file
mkdir a_dir
mkfifo a_fifo
printf '[train]\nlr = 0.1\nlr = 0.2\n' >dup.ini
printf '[model]\nx = 1\n' >badsec.ini
printf '[train]\nepoch = 3\n' >badkey.ini
printf '[data]\nval_fraction = 0.95\n' >badval.ini
printf '[data]\ndataset = synth\nsynth_train = 300\nsynth_test = 100\n[train]\narch = basic\nbatch_size = 32\n' >tiny.ini
"$MSCNN_BIN" --batch -c tiny.ini --threads 1 --epochs 1 --save_model model --output_dir out \
    >/dev/null 2>"$T/train.err" || { echo "training the fixture model failed: $(tail -n 3 "$T/train.err")" >&2; exit 1; }
for m in m_inidir m_zero m_dup m_huge m_trunc m_shape; do cp -r model $m; done
rm m_inidir/model.ini && mkdir m_inidir/model.ini
rm m_zero/model.ini && ln -s /dev/zero m_zero/model.ini
sed -i 's/^arch = \(.*\)$/arch = \1\narch = \1/' m_dup/model.ini
truncate -s 1000 m_trunc/model.safetensors
# a valid header claiming a 30 GiB tensor, in a sparse file of that length
hdr='{"stage1.fc2.weight":{"dtype":"F32","shape":[8053063680],"data_offsets":[0,32212254720]}}'
pad=$(( (8 - ${#hdr} % 8) % 8 ))
hdr="$hdr$(printf '%*s' "$pad" '')"
len=${#hdr}
printf "$(printf '\\%03o\\%03o\\%03o' $((len & 255)) $((len >> 8 & 255)) 0)\\000\\000\\000\\000\\000%s" "$hdr" >m_huge/model.safetensors
truncate -s $((8 + len + 32212254720)) m_huge/model.safetensors
hdr='{"judge.0.fc.weight":{"dtype":"F32","shape":[3,3],"data_offsets":[0,36]}}'
pad=$(( (8 - ${#hdr} % 8) % 8 ))
hdr="$hdr$(printf '%*s' "$pad" '')"
len=${#hdr}
printf "$(printf '\\%03o\\%03o' $((len & 255)) $((len >> 8 & 255)))\\000\\000\\000\\000\\000\\000%s" "$hdr" >m_shape/model.safetensors
truncate -s $((8 + len + 36)) m_shape/model.safetensors
mkdir -p png/a png/b && : >png/a/x.png && : >png/b/y.png

# ---- the table -----------------------------------------------------------
awk '/<!-- bad-inputs -->/ { on = 1; next } /<!-- \/bad-inputs -->/ { on = 0 }
     on && /^\| `/ { n = split($0, f, " \\| ");
         a = f[1]; sub(/^\| `/, "", a); sub(/`$/, "", a);
         p = f[3]; sub(/^`/, "", p); sub(/` \|$/, "", p);
         printf "%s\t%s\t%s\n", a, f[2], p }' "$readme" >rows
expect "the README table has at least 35 rows ($(wc -l <rows))" [ "$(wc -l <rows)" -ge 35 ]
tab=$(printf '\t')
while IFS="$tab" read -r args want phrase; do
    # shellcheck disable=SC2086
    timeout 60 "$MSCNN_BIN" --batch --threads 1 $args >out.txt 2>err.txt </dev/null
    rc=$?
    expect "'$args' exits $want (got $rc): $(tail -n 1 err.txt)" [ "$rc" -eq "$want" ]
    expect "'$args' says '$phrase': $(tail -n 1 err.txt)" grep_in err.txt "$phrase"
done <rows
cd / && done_tests
