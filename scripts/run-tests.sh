#!/usr/bin/env bash
# Quickstart, command 2: set up and run the whole test suite (unit, app-level, browser).
# Extra arguments go to pytest (e.g. -k tokens, -m "not browser").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
exec .venv/bin/python -m pytest "$@"
