#!/usr/bin/env bash
# Set up .venv from scratch if needed and run the whole test suite (pytest arguments pass through).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
# Tests run on pytest-xdist workers (BNINIT_TEST_WORKERS, default: one per CPU core; 0 runs them in
# this process). Tests sharing a module- or session-wide fixture (the SLURM cluster, the built
# wheel, ...) form one group that one worker runs (--dist loadgroup), longest groups first
# (tests/conftest.py orders them). A plain `pytest tests/test_x.py` runs in one process.
exec .venv/bin/python -m pytest -n "${BNINIT_TEST_WORKERS:-auto}" --dist loadgroup --no-loadscope-reorder "$@"
