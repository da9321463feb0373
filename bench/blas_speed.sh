#!/usr/bin/env bash
# Builds and runs bench/blas_speed.cpp twice in one run: on the reference BLAS/LAPACK (Debian's
# libblas3/liblapack3, forced through LD_LIBRARY_PATH) and on the system's choice (OpenBLAS once
# scripts/setup installed libopenblas0-pthread), then prints the speed-ups.
#   bench/blas_speed.sh [--runs 5]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BUILD_DIR=$BUILD_DIR scripts/build --target blas_speed >/dev/null
bin="$BUILD_DIR/bench/blas_speed"
lib=/usr/lib/x86_64-linux-gnu
echo "== reference BLAS/LAPACK"
ref=$(LD_LIBRARY_PATH=$lib/blas:$lib/lapack "$bin" "$@" | tee /dev/stderr)
echo "== system BLAS"
sys=$("$bin" "$@" | tee /dev/stderr)
# "threads 1: matmul ... F ms (...)  inverse ... G ms": speed-up per row.
paste <(grep '^threads' <<<"$ref") <(grep '^threads' <<<"$sys") | awk '{
  split($0, h, "\t"); n = split(h[1], a, " "); split(h[2], b, " ");
  sub(":", "", a[2]); printf "speed-up (%s %s): matmul x%.1f, inverse x%.1f\n", a[1], a[2], a[6] / b[6], a[13] / b[13] }'
