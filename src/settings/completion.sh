#!/bin/sh
# completion.sh MSCNN GEN_COMPLETION - writes mscnn's bash completion to
# stdout: GEN_COMPLETION (src/settings/gen_completion.c) writes the table's
# options, and this reads the subcommands from `MSCNN --help` (its
# "  mscnn CMD ..." lines) and each one's own flags from `MSCNN CMD --help`
# (lines "  -m, --model DIR    text": a flag followed by an upper-case word
# takes a value). A subcommand whose help says the settings "of mscnn
# --help" apply also completes those. Run by make for completion/mscnn.
set -eu
mscnn=$1
gen=$2
cmds=$("$mscnn" --help | sed -n 's/^  mscnn \([a-z][a-z]*\) .*/\1/p')
[ -n "$cmds" ] || { echo "completion.sh: no subcommands in '$mscnn --help'" >&2; exit 1; }
set --
for c in $cmds; do
    "$mscnn" "$c" --help >"${TMPDIR:-/tmp}/mscnn-completion.$$" ||
        { echo "completion.sh: '$mscnn $c --help' failed" >&2; exit 1; }
    lines=$(sed -n 's/^ \{1,6\}\(-[a-zA-Z], \)\{0,1\}\(--[a-z0-9_-]*\)\( [A-Z][A-Z]*\)\{0,1\}  .*/\1\2\3/p' \
        "${TMPDIR:-/tmp}/mscnn-completion.$$")
    flags=$(printf '%s\n' "$lines" | sed 's/ [A-Z]*$//; s/,//' | tr '\n' ' ' | sed 's/ *$//')
    values=$(printf '%s\n' "$lines" | sed -n 's/ [A-Z][A-Z]*$//p' | sed 's/,//' | tr '\n' ' ' | sed 's/ *$//')
    more=
    grep -q 'setting.* of mscnn --help' "${TMPDIR:-/tmp}/mscnn-completion.$$" && more=+
    rm -f "${TMPDIR:-/tmp}/mscnn-completion.$$"
    set -- "$@" "$c=$flags:$values$more"
done
exec "$gen" "$@"
