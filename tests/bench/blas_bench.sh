#!/usr/bin/env bash
# How much OpenBLAS matters: training speed of the default model with the BLAS that
# libblas.so.3 points to (OpenBLAS after .ci/setup) and with Debian's reference BLAS, which
# LibTorch falls back to without it. Needs the libblas3 package (the reference BLAS) and a build.
#
#   tests/bench/blas_bench.sh [STEPS]     (default 30)
set -euo pipefail
steps=${1:-30}
repo=$(cd "$(dirname "$0")/../.." && pwd)
reference=/usr/lib/x86_64-linux-gnu/blas
[[ -e $reference/libblas.so.3 ]] || { echo "no reference BLAS in $reference: apt-get install libblas3" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rate() {  # chars/s at the last step of a short run
  env "$@" "$repo/build/bin/poet" -c "train --steps $steps --out $work/m.ckpt" 2>&1 \
    | sed -n "s/^step $steps\/$steps .*  \([0-9]*\) chars\/s .*/\1/p"
}
for round in 1 2; do
  fast=$(rate)
  slow=$(rate LD_LIBRARY_PATH=$reference)
  echo "round $round: default BLAS $fast chars/s, reference BLAS $slow chars/s: $(awk -v a="$fast" -v b="$slow" 'BEGIN { printf "%.1f", a / b }')x"
done
