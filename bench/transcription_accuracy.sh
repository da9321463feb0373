#!/usr/bin/env bash
# Builds and runs bench/transcription_accuracy.cpp (note-level P/R/F1 against known scores).
#   bench/transcription_accuracy.sh [--limit N] [--threads N]
# BUILD_DIR defaults to ./build. Needs scripts/setup (FluidSynth, sox, fluid-soundfont-gm, models/node_modules).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BUILD_DIR=$BUILD_DIR scripts/build --target transcription_accuracy >/dev/null
exec "$BUILD_DIR/bench/transcription_accuracy" "$@"
