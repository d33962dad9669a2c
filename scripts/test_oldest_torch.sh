#!/usr/bin/env bash
# The fast tier again on the oldest torch bninit supports (pyproject.toml: torch>=2.11), in a
# throwaway venv that is removed afterwards. Needs .venv (scripts/setup.sh) for its NVIDIA
# libraries. Usage: scripts/test_oldest_torch.sh [pytest args]   (PYTHON=python3.12 for another Python)
set -euo pipefail
cd "$(dirname "$0")/.."
torch=2.11.0 torchvision=0.26.0  # the oldest supported pair: keep in step with pyproject.toml
python=${PYTHON:-python3}
venv=$(mktemp -d "${TMPDIR:-/tmp}/bninit-torch-$torch.XXXXXX")
trap 'rm -rf "$venv"' EXIT
pip() {
    "$venv/bin/python" -m pip --disable-pip-version-check -q "$@" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}
echo "oldest torch: a venv with $($python --version), torch $torch, torchvision $torchvision"
"$python" -m venv "$venv"
# The registry's torch is the CUDA build; on a CPU it only loads the NVIDIA libraries at import.
# They are the ones .venv has (same CUDA major version, linked, not installed a second time):
# the leg installs torch without its 3 GB of CUDA wheels. Everything that needs torch is
# installed without dependencies, so that pip neither upgrades torch nor fetches those wheels
# (pip then reports them as missing: expected).
pip install --no-deps "torch==$torch" "torchvision==$torchvision" "timm>=1.0,<2"
site=$("$venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
mkdir "$venv/cuda"
ln -s "$(.venv/bin/python -c "import nvidia, os; print(os.path.dirname(nvidia.__path__[0]))")/nvidia" "$venv/cuda/nvidia"
echo "$venv/cuda" > "$site/bninit-cuda-libs.pth"
deps=$("$venv/bin/python" - <<'PY'
import re, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
wanted = project["dependencies"] + project["optional-dependencies"]["test"]
print(" ".join(d for d in wanted if re.split(r"[<>=!~;\[ ]", d)[0] not in ("torch", "torchvision", "timm")))
PY
)
# torch's and timm's own (pure Python) dependencies, then bninit's
pip install filelock typing-extensions sympy networkx jinja2 fsspec pillow huggingface_hub safetensors $deps
pip install --no-deps -e .
"$venv/bin/python" -c "import torch, torchvision; print('oldest torch:', torch.__version__, torchvision.__version__, 'on', torch.backends.cpu.get_cpu_capability())"
"$venv/bin/python" -m pytest -n "${BNINIT_TEST_WORKERS:-auto}" --dist loadfile -m "not slow and not slurm" "$@"
