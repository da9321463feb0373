#!/usr/bin/env bash
# Builds and runs bench/notation_accuracy.cpp against the notation library.
#   bench/notation_accuracy.sh [--limit N] [--verbose] [--audio N]   (BUILD_DIR defaults to ./build)
# --audio N adds the audio path (FluidSynth -> cadenza transcribe -> notation) for N pieces per set;
# it uses $BUILD_DIR/cadenza, built here when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BUILD_DIR=$BUILD_DIR scripts/build --target notation_accuracy >/dev/null
case " $* " in
  *" --audio "*) BUILD_DIR=$BUILD_DIR scripts/build --target cadenza >/dev/null; set -- --cadenza "$BUILD_DIR/cadenza" "$@" ;;
esac
exec "$BUILD_DIR/bench/notation_accuracy" "$@"
