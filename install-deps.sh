#!/bin/sh
# Installs what mscnn needs to build and test on Debian (12 or later);
# clang, its libFuzzer runtime and libomp are for `make fuzz` and the clang build;
# python3-torch for tests/torch_interop.sh (python/mscnn_torch.py reads
# safetensors with json and struct: Debian 12 has no python3-safetensors).
# Run as root (or through sudo).
set -eu
packages="build-essential autoconf automake autoconf-archive pkg-config
  libncurses-dev libpng-dev libjpeg62-turbo-dev libinih-dev libcsv-dev libjansson-dev libcairo2-dev libdnnl-dev
  tmux clang libclang-rt-dev libomp-dev python3-torch"
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: run as root, e.g. sudo ./install-deps.sh" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $packages
