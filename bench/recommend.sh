#!/usr/bin/env bash
# Builds and runs bench/recommend.cpp: popularity, BPR-MF and EASE^R on Last.fm 2K (RecBole's 80/10/10
# protocol, full ranking), from the repository root so ../shared/datasets/lastfm-2k/ resolves. The grid
# lines go to stdout with the table; options as in bench/recommend.cpp's header, e.g.
#   bench/recommend.sh [--seed 2020] [--threads N] [--weightings binary] [--no-bpr]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BUILD_DIR=$BUILD_DIR scripts/build --target recommend >/dev/null
exec "$BUILD_DIR/bench/recommend" "$@"
