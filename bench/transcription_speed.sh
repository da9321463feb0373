#!/usr/bin/env bash
# Builds and runs bench/transcription_speed.cpp (libtorch Basic Pitch vs the npm reference).
#   bench/transcription_speed.sh [--seconds 180] [--threads 2] [--runs 2] [--ref-seconds S | --no-ref]
#   bench/transcription_speed.sh --parity AUDIO_FILE     (parity with the reference on any file)
# BUILD_DIR defaults to ./build. Needs scripts/setup (FluidSynth, sox, models/node_modules).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BUILD_DIR=$BUILD_DIR scripts/build --target transcription_speed >/dev/null
exec "$BUILD_DIR/bench/transcription_speed" "$@"
