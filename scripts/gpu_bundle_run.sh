#!/usr/bin/env bash
# `bninit gpu-check` from this bundle (made by bninit's scripts/gpu_bundle.sh), with no network:
#     bash run.sh [gpu-check args]       # e.g. --gpu 1; results in results/ beside this script
# Needs python3 (or $PYTHON) with pip, torch, torchvision and bninit's other dependencies but
# Hydra's; installs wheels/ into a temporary folder (pip --no-index --no-deps) for this run only.
# Copies the JSON and Markdown it writes to $OUT when that is set. Exit status: gpu-check's.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
site=$(mktemp -d "${TMPDIR:-/tmp}/bninit-gpu-bundle.XXXXXX")
trap 'rm -rf "$site"' EXIT
if ! "$python" -m pip install -q --no-index --no-deps --no-compile --disable-pip-version-check \
    --target "$site" "$here"/wheels/*.whl; then
    echo "run.sh: error: $python -m pip could not install $here/wheels into $site" >&2
    exit 1
fi
export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"

# Every package gpu-check imports, before it starts: one line naming the first one missing.
"$python" - <<'EOF' || exit 1
import importlib
import sys

PACKAGES = {  # module -> the package that provides it
    "torch": "torch",
    "torchvision": "torchvision",
    "numpy": "numpy",
    "scipy": "scipy",
    "pandas": "pandas",
    "matplotlib": "matplotlib",
    "sklearn": "scikit-learn",
    "yaml": "pyyaml",
    "rich": "rich",
    "timm": "timm",
    "joblib": "joblib",
    "cloudpickle": "cloudpickle",
    "antlr4": "antlr4-python3-runtime",
    "omegaconf": "omegaconf",
    "hydra": "hydra-core",
    "submitit": "submitit",
    "hydra_plugins.hydra_joblib_launcher": "hydra-joblib-launcher",
    "hydra_plugins.hydra_submitit_launcher": "hydra-submitit-launcher",
    "bninit": "bninit",
    "bninit.cli.main": "bninit",
    "bninit.bench.gpu.check": "bninit",
}
for module, package in PACKAGES.items():
    try:
        importlib.import_module(module)
    except ImportError as err:
        missing = err.name or module
        name = PACKAGES.get(missing) or PACKAGES.get(missing.split(".")[0]) or missing.split(".")[0]
        print(
            f"run.sh: error: missing package {name}: 'import {module}' failed ({err}); "
            f"neither this Python ({sys.executable}) nor the bundle's wheels have it",
            file=sys.stderr,
        )
        sys.exit(1)
EOF

args=("$@")
results="$here/results"
for arg in "$@"; do
    case "$arg" in --out | --out=*) results="" ;; esac  # the caller's --out wins
done
if [ -n "$results" ]; then
    args+=(--out "$results")
fi
stamp="$site/started"
touch "$stamp"
"$python" -m bninit.cli.main gpu-check "${args[@]}"
status=$?
if [ -n "${OUT:-}" ]; then
    out_dir=$results
    for ((i = 0; i < ${#args[@]}; i++)); do
        case "${args[i]}" in
            --out) out_dir=${args[i + 1]:-} ;;
            --out=*) out_dir=${args[i]#--out=} ;;
        esac
    done
    mkdir -p "$OUT"
    find "$out_dir" -maxdepth 1 -name 'gpu-check-*' -newer "$stamp" \( -name '*.json' -o -name '*.md' \) \
        -exec cp {} "$OUT"/ \;
    echo "run.sh: copied $(find "$out_dir" -maxdepth 1 -name 'gpu-check-*' -newer "$stamp" | wc -l) file(s) to $OUT"
fi
exit $status
