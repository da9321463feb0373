#!/usr/bin/env bash
# Builds the server and bench/generate_adherence, then runs bench/generate_stream.mjs from the repository root:
# first-chunk latency (p50/p99 over 20 prompts), generation speed, 4 simultaneous streams and control
# adherence over 100 prompts against the real server on 127.0.0.1. Options as in its header, e.g.
#   bench/generate_stream.sh [--prompts 20] [--concurrent 4] [--adherence 100] [--skip-adherence]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BUILD_DIR=$BUILD_DIR CADENZA_BUILD_WEB=${CADENZA_BUILD_WEB:-OFF} scripts/build --target cadenza generate_adherence >/dev/null
CADENZA_BINARY=$BUILD_DIR/cadenza CADENZA_ADHERENCE=$BUILD_DIR/bench/generate_adherence exec node bench/generate_stream.mjs "$@"
