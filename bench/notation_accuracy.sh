#!/usr/bin/env bash
# Builds and runs bench/notation_accuracy.cpp against the notation library.
#   bench/notation_accuracy.sh [--limit N] [--verbose] [--audio N]   (BUILD_DIR defaults to ./build)
# --audio N adds the audio path (FluidSynth -> cadenza transcribe -> notation) for N pieces per set;
# it uses $BUILD_DIR/cadenza, built here when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCADENZA_BUILD_WEB=OFF >/dev/null
fi
ninja -C "$BUILD_DIR" cadenza_notation cadenza_core >/dev/null
${CXX:-c++} -std=c++20 -O2 -Wall -Wextra -Iinclude bench/notation_accuracy.cpp \
  "$BUILD_DIR/libcadenza_notation.a" "$BUILD_DIR/libcadenza_core.a" -lfmt -o "$BUILD_DIR/notation_accuracy"
case " $* " in
  *" --audio "*) ninja -C "$BUILD_DIR" cadenza >/dev/null; set -- --cadenza "$BUILD_DIR/cadenza" "$@" ;;
esac
exec "$BUILD_DIR/notation_accuracy" "$@"
