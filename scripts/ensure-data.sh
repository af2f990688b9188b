#!/usr/bin/env bash
# Makes sure the Fashion-MNIST IDX files are where the demo and the tests look for them: $GENSOFTMAX_FASHION_MNIST
# when set, else /usr/share/datasets/fashion-mnist, which Debian's and Ubuntu's dataset-fashion-mnist package fills.
set -euo pipefail
dir="${GENSOFTMAX_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}"
have() { ls "$dir"/$1* >/dev/null 2>&1; }
if have train-images-idx3-ubyte && have train-labels-idx1-ubyte && have t10k-images-idx3-ubyte && have t10k-labels-idx1-ubyte; then
  exit 0
fi
if [ -n "${GENSOFTMAX_FASHION_MNIST:-}" ]; then
  echo "error: GENSOFTMAX_FASHION_MNIST=$dir does not hold the four Fashion-MNIST IDX files (train-images-idx3-ubyte.gz, ...)." >&2
  echo "       Unset it to use the Debian package, or point it at a directory with the files." >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: Fashion-MNIST is not in $dir and this system has no apt-get." >&2
  echo "       Download the four IDX files and set GENSOFTMAX_FASHION_MNIST to their directory." >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing Fashion-MNIST (apt package dataset-fashion-mnist) into $dir ..."
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dataset-fashion-mnist
