#!/usr/bin/env bash
# Builds and runs bench/generate.cpp from the repository root, so ../shared/datasets/{nottingham,jsb-chorales}
# resolve: held-out NLL per note of the n-gram baseline (orders 0..4) and Yang & Lerch 2018 feature
# overlaps of its samples and of train pieces against the test split, and the same for the transformer
# (models/generator.bin, or --generator FILE). Options as in its header, e.g.
#   bench/generate.sh [--max-order 4] [--seed 1] [--no-augment]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BUILD_DIR=$BUILD_DIR scripts/build --target generate >/dev/null
exec "$BUILD_DIR/bench/generate" "$@"
