#!/usr/bin/env bash
# Builds and runs bench/notation_accuracy.cpp against the notation library.
#   bench/notation_accuracy.sh [--limit N]      (BUILD_DIR defaults to ./build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCADENZA_BUILD_WEB=OFF >/dev/null
fi
ninja -C "$BUILD_DIR" cadenza_notation cadenza_core >/dev/null
${CXX:-c++} -std=c++20 -O2 -Wall -Wextra -Iinclude bench/notation_accuracy.cpp \
  "$BUILD_DIR/libcadenza_notation.a" "$BUILD_DIR/libcadenza_core.a" -lfmt -o "$BUILD_DIR/notation_accuracy"
exec "$BUILD_DIR/notation_accuracy" "$@"
