#!/usr/bin/env bash
# Set up (if needed) and run the demo: a virtual box streaming a test pattern.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node dist/cli/main.js demo
