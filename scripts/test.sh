#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite: type check and lint, unit
# tests, then integration tests against real GStreamer, nginx-rtmp, stunnel4
# and ffprobe on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run lint --silent
npm run test:unit --silent
npm run test:integration --silent
