#!/usr/bin/env bash
# Set up .venv from scratch if needed and run the offline demo on scikit-learn's digits (CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/bninit train dataset=digits arch=resnet20 "$@"
