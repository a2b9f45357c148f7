#!/usr/bin/env bash
# Quickstart, command 1: set up and serve the playground on http://127.0.0.1:7860
# Extra arguments go to `python -m playground serve` (e.g. --port 8000, --host 0.0.0.0).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m playground serve "$@"
