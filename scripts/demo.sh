#!/usr/bin/env bash
# Set up .venv from scratch if needed, then run the offline demo study on scikit-learn's digits
# (CPU, 60 runs, one worker per core): results/demo.csv and the report in results/demo/.
# Extra arguments pass to `bninit demo` (e.g. seeds=5 epochs=10 for a quicker look).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/bninit demo "$@"
