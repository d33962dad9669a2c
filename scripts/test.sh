#!/usr/bin/env bash
# Set up .venv from scratch if needed and run the whole test suite (pytest arguments pass through).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
# Tests run on pytest-xdist workers (BNINIT_TEST_WORKERS, default: one per CPU core; 0 runs them in
# this process), a test file to one worker (--dist loadfile): its module- and session-wide fixtures
# (the SLURM cluster, the built wheel, ...) are built once. tests/conftest.py hands out the SLURM
# and slow files first. A plain `pytest tests/test_x.py` runs in one process.
exec .venv/bin/python -m pytest -n "${BNINIT_TEST_WORKERS:-auto}" --dist loadfile --no-loadscope-reorder "$@"
