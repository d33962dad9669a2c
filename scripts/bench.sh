#!/usr/bin/env bash
# The speed benchmark from a fresh clone: set up .venv if needed, then run `bninit bench`
# (arguments pass through, e.g. scripts/bench.sh --threads 1 --concurrent 2).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/bninit bench "$@"
