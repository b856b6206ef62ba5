#!/bin/sh
# fetch-cifar100.sh - download and unpack the CIFAR-100 binary version.
#
# usage: data/fetch-cifar100.sh [TARGET]
#
# The same as fetch-cifar10.sh (which does the work), for
# cifar-100-binary.tar.gz: the files end up in TARGET/cifar-100-binary/.
set -eu
FETCH_PROG=fetch-cifar100.sh \
FETCH_NAME=CIFAR-100 \
FETCH_SIZE="160 MB" \
FETCH_URL=https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz \
FETCH_MD5=03b5dce01913d631647c71ecec9e9cb8 \
FETCH_SUBDIR=cifar-100-binary \
FETCH_FILES="train.bin test.bin fine_label_names.txt coarse_label_names.txt" \
    exec sh "$(dirname "$0")/fetch-cifar10.sh" "$@"
