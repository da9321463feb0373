#!/usr/bin/env bash
# Builds and runs bench/transcription_speed.cpp (libtorch Basic Pitch vs the npm reference).
#   bench/transcription_speed.sh [--seconds 180] [--threads 2] [--runs 2] [--ref-seconds S | --no-ref]
#   bench/transcription_speed.sh --parity AUDIO_FILE     (parity with the reference on any file)
# BUILD_DIR defaults to ./build. Needs scripts/setup (FluidSynth, sox, models/node_modules).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCADENZA_BUILD_WEB=OFF >/dev/null
fi
ninja -C "$BUILD_DIR" cadenza_transcribe cadenza_ml cadenza_audio cadenza_core >/dev/null
${CXX:-c++} -std=c++20 -O2 -Wall -Wextra -Iinclude -Ibench bench/transcription_speed.cpp \
  "$BUILD_DIR/libcadenza_transcribe.a" "$BUILD_DIR/libcadenza_ml.a" "$BUILD_DIR/libcadenza_audio.a" \
  "$BUILD_DIR/libcadenza_core.a" -ltorch -ltorch_cpu -lc10 -lsndfile -lsoxr -lspdlog -lfmt -lsodium -pthread \
  -o "$BUILD_DIR/transcription_speed"
exec "$BUILD_DIR/transcription_speed" "$@"
