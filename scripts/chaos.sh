#!/usr/bin/env bash
# Chaos test: a joblib sweep of digits whose workers are SIGKILLed at random and restarted, checked
# against the same sweep run without interruption. Usage: scripts/chaos.sh [--seeds N] [--epochs N]
# [--kills N] [--jobs N] [--out DIR] [KEY=VALUE ...]   (see scripts/chaos.py; default out: outputs/chaos)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/bninit ] || scripts/setup.sh >&2
exec .venv/bin/python scripts/chaos.py "$@"
