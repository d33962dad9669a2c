#!/usr/bin/env bash
# Everything a GPU must show, in one command (at most 8 minutes on one GPU): set up .venv if
# needed, then run `bninit gpu-check` (arguments pass through, e.g. --gpu 1, --out DIR).
# Writes results/gpu/gpu-check-<device>-<date>.json and .md. Without CUDA: a tiny CPU run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/bninit gpu-check "$@"
