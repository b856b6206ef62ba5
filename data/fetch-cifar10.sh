#!/bin/sh
# fetch-cifar10.sh - download and unpack the CIFAR-10 binary version.
#
# usage: data/fetch-cifar10.sh [TARGET]
#
# Downloads cifar-10-binary.tar.gz from the dataset's home page (with curl
# or wget), checks its MD5 sum and unpacks it into TARGET (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/mscnn), so that the batches end up in
# TARGET/cifar-10-batches-bin/. Prints the --data_dir to pass to mscnn.
# The default location is one that mscnn searches by itself.
# fetch-cifar100.sh runs this script with FETCH_* set for CIFAR-100.
set -eu

NAME=${FETCH_NAME:-CIFAR-10}
SIZE=${FETCH_SIZE:-170 MB}
URL=${FETCH_URL:-https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz}
MD5=${FETCH_MD5:-c32a1d4ab5d03f1284b67883e8d87530}
SUBDIR=${FETCH_SUBDIR:-cifar-10-batches-bin}
FILES=${FETCH_FILES:-data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin test_batch.bin batches.meta.txt}

prog=${FETCH_PROG:-${0##*/}}

die() {
    printf '%s: error: %s\n' "$prog" "$*" >&2
    exit 1
}

usage() {
    cat <<EOF
usage: $prog [TARGET]

Downloads $NAME (binary version, about $SIZE) from
  $URL
checks its MD5 sum and unpacks it into TARGET/$SUBDIR/.
TARGET defaults to \${XDG_CACHE_HOME:-\$HOME/.cache}/mscnn, where mscnn
looks for the data without being told.
EOF
}

case "${1-}" in
-h | --help)
    usage
    exit 0
    ;;
-*)
    usage >&2
    die "unknown option '$1'"
    ;;
esac
[ $# -le 1 ] || {
    usage >&2
    die "too many arguments"
}

if [ $# -eq 1 ]; then
    [ -n "$1" ] || die "empty TARGET directory name"
    target=$1
elif [ -n "${XDG_CACHE_HOME-}" ]; then
    target=$XDG_CACHE_HOME/mscnn
elif [ -n "${HOME-}" ]; then
    target=$HOME/.cache/mscnn
else
    die "neither XDG_CACHE_HOME nor HOME is set; give the TARGET directory as argument"
fi
dest=$target/$SUBDIR

have_all() {
    for f in $FILES; do
        [ -s "$1/$f" ] || return 1
    done
    return 0
}

if have_all "$dest"; then
    printf '%s is already in %s\n' "$NAME" "$dest"
    printf 'use: --data_dir %s\n' "$dest"
    exit 0
fi

mkdir -p "$target" || die "cannot create directory '$target'"
[ -w "$target" ] || die "directory '$target' is not writable"

tarball=$target/${URL##*/}
part=$tarball.part
cleanup() {
    rm -f "$part"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if command -v md5sum >/dev/null 2>&1; then
    md5_of() { md5sum "$1" | cut -d ' ' -f 1; }
elif command -v md5 >/dev/null 2>&1; then
    md5_of() { md5 -q "$1"; }
elif command -v openssl >/dev/null 2>&1; then
    md5_of() { openssl md5 "$1" | sed 's/.*= *//'; }
else
    die "no md5sum, md5 or openssl found to check the download"
fi

# reuse a complete earlier download when its checksum is right
if [ -f "$tarball" ] && [ "$(md5_of "$tarball")" = "$MD5" ]; then
    printf 'using the earlier download %s\n' "$tarball"
else
    rm -f "$tarball"
    printf 'downloading %s\n' "$URL"
    if command -v curl >/dev/null 2>&1; then
        curl -fL --retry 3 -o "$part" "$URL" ||
            die "download of $URL failed (curl); check the network or fetch the file by hand into $tarball"
    elif command -v wget >/dev/null 2>&1; then
        wget -O "$part" "$URL" ||
            die "download of $URL failed (wget); check the network or fetch the file by hand into $tarball"
    else
        die "neither curl nor wget is installed; install one or fetch $URL by hand into $tarball"
    fi
    sum=$(md5_of "$part")
    [ "$sum" = "$MD5" ] ||
        die "MD5 of the download is $sum, expected $MD5 (corrupt or incomplete download; run again)"
    mv "$part" "$tarball"
fi

printf 'unpacking into %s\n' "$target"
tar -xzf "$tarball" -C "$target" || die "cannot unpack $tarball into $target"
have_all "$dest" || die "unpacked archive lacks the expected files in $dest"
rm -f "$tarball"

printf '%s is in %s\n' "$NAME" "$dest"
printf 'use: --data_dir %s\n' "$dest"
