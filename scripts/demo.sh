#!/usr/bin/env bash
# Set up .venv from scratch if needed, then run the offline demo study on scikit-learn's digits
# (CPU, 60 runs, one worker per core): outputs/demo.csv and the report in outputs/demo/ (git
# ignores outputs/; results/demo-reference/ is the committed copy of a finished study to compare).
# Extra arguments pass to `bninit demo` (e.g. seeds=5 epochs=10 for a quicker look).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/bninit demo "$@"
