#!/bin/sh
# layers.sh - the layering of src/README.md, enforced: each folder includes
# only its own headers and those of the layers it may use, so every arrow
# points down. Also checks that no code outside the registry and the
# backends names a backend.
. "$(dirname "$0")/lib.sh"
cd "$MSCNN_SRCDIR" || exit 1

# folder: the folders it may include besides itself
allowed() {
    case "$1" in
    src/base) echo "" ;;
    src/engine) echo "base" ;;
    src/cpu) echo "engine base" ;;
    gpu) echo "engine base" ;;
    src/backends) echo "cpu gpu engine base" ;;
    data) echo "base" ;;
    src/eval) echo "base" ;;
    src/model) echo "engine data base" ;;
    src/train) echo "model eval data backends engine base" ;;
    src/report) echo "train model eval data engine base" ;;
    src/settings) echo "backends data engine base" ;;
    src/setup) echo "settings report train eval model data backends engine base" ;;
    ui) echo "setup settings report train eval model data backends engine base" ;;
    src/cli) echo "ui setup settings report train eval model data backends engine base" ;;
    *) echo "?" ;;
    esac
}

for dir in src/base src/engine src/cpu src/backends data src/eval src/model src/train \
    src/report src/settings src/setup ui src/cli gpu; do
    [ -d "$dir" ] || continue
    self=$(basename "$dir")
    ok="$self $(allowed "$dir")"
    for f in "$dir"/*.c "$dir"/*.h "$dir"/*.cu "$dir"/*.cuh; do
        [ -f "$f" ] || continue
        for inc in $(sed -n 's/^#include "\([a-z_]*\)\/[^"]*".*/\1/p' "$f" | sort -u); do
            case " $ok " in
            *" $inc "*) ;;
            *) fail "$f includes $inc/, which $dir may not (src/README.md)" ;;
            esac
        done
        n=$(grep '^#include "[^/"]*"' "$f" | grep -vc '"config.h"')
        expect "$f writes every include with its folder" [ "$n" -eq 0 ]
    done
done

# Backend names appear only in the registry and the backends themselves.
names=$(grep -rnE '"(ref|cpu|gpu)"' src ui data --include='*.c' |
    grep -vE '^(src/backends|src/cpu|src/engine/backend_ref\.c)/?')
expect "no backend named outside the registry and the backends: $names" [ -z "$names" ]
done_tests
