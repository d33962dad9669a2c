#!/usr/bin/env bash
# Create .venv (if needed) and install bninit into it, with PyTorch and the given extras.
# Usage: scripts/setup.sh [extras]      e.g. scripts/setup.sh test
set -euo pipefail
cd "$(dirname "$0")/.."
extras=${1:-}
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($python --version)"
    "$python" -m venv .venv
fi
# (this machine's pip config names local package folders that may be absent: drop those warnings)
pip() {
    .venv/bin/python -m pip --disable-pip-version-check -q "$@" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}
# The `tested` extra (pyproject.toml) pins the torch and torchvision the reference results were made with.
if ! .venv/bin/python -c "import torch, torchvision" 2>/dev/null; then
    echo "setup: installing torch + torchvision at the tested versions (pyproject.toml: tested; about a minute)"
fi
echo "setup: installing bninit[tested${extras:+,$extras}] (editable)"
pip install -e ".[tested${extras:+,$extras}]"
