#!/bin/sh
# What `make install` adds besides the binary and the man page, installed
# into a DESTDIR: the bash completion (generated from the settings table:
# it offers every option --help lists, a choice setting's values, file
# names for paths, the subcommands and each one's own flags), the data
# fetch scripts as mscnn-fetch-cifar10 and mscnn-fetch-cifar100 (the second
# runs the first from the same folder) and python/mscnn_torch.py. The
# harness exports MSCNN_BUILDDIR and MSCNN_MAKE (Makefile.am).
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"
: "${MSCNN_BUILDDIR:?run through make check}"

root="$T/root"
# the environment's make flags dropped, so that it runs on its own rather
# than inside the test harness's make (as tests/man_page.sh)
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "${MSCNN_MAKE:-make}" -s -C "$MSCNN_BUILDDIR" \
        install DESTDIR="$root" >"$T/inst.log" 2>&1; then
    fail "make install DESTDIR=$root: $(tail -n 5 "$T/inst.log")"
    done_tests
    exit 1
fi
ok
find_one() { find "$root" -path "*$1" -type f | head -n 1; }
comp=$(find_one /share/bash-completion/completions/mscnn)
f10=$(find_one /bin/mscnn-fetch-cifar10)
f100=$(find_one /bin/mscnn-fetch-cifar100)
mod=$(find_one /share/mscnn/python/mscnn_torch.py)
expect "the completion is installed in share/bash-completion/completions: $(find "$root" -type f | head -n 20)" [ -n "$comp" ]
expect "mscnn-fetch-cifar10 is installed executable" [ -n "$f10" ] && [ -x "$f10" ]
expect "mscnn-fetch-cifar100 is installed executable" [ -n "$f100" ] && [ -x "$f100" ]
expect "mscnn_torch.py is installed in share/mscnn/python" [ -n "$mod" ]
expect "the installed module is the source's" cmp -s "$mod" "$MSCNN_SRCDIR/python/mscnn_torch.py"

# ---- the fetch scripts, offline ------------------------------------------
"$f100" --help >"$T/h100" 2>&1
expect "mscnn-fetch-cifar100 --help runs mscnn-fetch-cifar10 and names itself: $(cat "$T/h100")" \
    sh -c "grep -q '^usage: mscnn-fetch-cifar100 ' '$T/h100' && grep -q 'CIFAR-100' '$T/h100'"
d="$T/cache/cifar-10-batches-bin"
mkdir -p "$d"
for f in data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin \
    test_batch.bin batches.meta.txt; do
    echo x >"$d/$f"
done
"$f10" "$T/cache" >"$T/f10" 2>&1
expect "mscnn-fetch-cifar10 finds data already there, without the network: $(cat "$T/f10")" \
    grep -qF "use: --data_dir $d" "$T/f10"
"$f10" --bogus >"$T/f10b" 2>&1
expect "mscnn-fetch-cifar10 --bogus: an error naming itself" grep -q '^mscnn-fetch-cifar10: error: unknown option' "$T/f10b"

# ---- the completion, in bash ---------------------------------------------
if ! command -v bash >/dev/null 2>&1; then
    echo "no bash: the completion's behaviour is not checked"
    done_tests
    exit $?
fi
expect "the completion is valid bash" bash -n "$comp"
# complete WORDS...: what the completion offers for the last word
cat >"$T/complete.bash" <<'SH'
. "$1"
shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMPREPLY=()
_mscnn
printf '%s\n' "${COMPREPLY[@]}"
SH
complete_words() { bash "$T/complete.bash" "$comp" "$@" 2>&1; }
has() { # WORD WORDS...: COMPREPLY for WORDS includes WORD
    w=$1
    shift
    complete_words "$@" | grep -qxF -- "$w"
}
# every option that mscnn --help lists is offered after "-"
complete_words mscnn - >"$T/all"
missing=
for o in $("$MSCNN_BIN" --help | sed -n 's/^ \{1,6\}\(-[a-zA-Z], \)\{0,1\}\(--[a-z0-9_-]*\).*/\2/p'); do
    grep -qxF -- "$o" "$T/all" || missing="$missing $o"
done
expect "every option of mscnn --help is completed (missing:$missing)" [ -z "$missing" ]
expect "-c is completed" grep -qxF -- "-c" "$T/all"
expect "the subcommands complete: $(complete_words mscnn '')" \
    sh -c "[ \"\$(bash '$T/complete.bash' '$comp' mscnn '' | tr '\n' ' ')\" = 'predict eval compare bench ' ]"
expect "'mscnn pr' completes to predict" has predict mscnn pr
expect "--dataset offers synth" has synth mscnn --dataset ''
expect "--dataset offers exactly its choices" \
    sh -c "[ \"\$(bash '$T/complete.bash' '$comp' mscnn --dataset '' | tr '\n' ' ')\" = 'auto cifar10 cifar100 folder synth ' ]"
expect "--arch=b offers basic" has basic mscnn --arch = b
expect "--batch-size (the alias) takes a value: nothing offered after it" \
    sh -c "[ -z \"\$(bash '$T/complete.bash' '$comp' mscnn --batch-size '')\" ]"
mkdir -p "$T/models/m1"
expect "--load_model completes file names" has "$T/models" mscnn --load_model "$T/mod"
expect "predict offers its own --format" has --format mscnn predict --f
expect "predict offers the settings too (--tta)" has --tta mscnn predict --tt
expect "predict -m completes file names" has "$T/models/m1" mscnn predict -m "$T/models/m"
expect "bench offers --profile" has --profile mscnn bench --pro
expect "bench does not offer the training settings (--epochs)" \
    sh -c "! bash '$T/complete.bash' '$comp' mscnn bench --ep | grep -q epochs"
expect "a subcommand is only the first word: 'mscnn --batch predict' is not one" \
    sh -c "! bash '$T/complete.bash' '$comp' mscnn --batch predict --for | grep -q format"
done_tests
