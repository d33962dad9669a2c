#!/usr/bin/env bash
# An offline bundle of `bninit gpu-check` for a GPU machine without network that has python3 with
# torch, torchvision and the common scientific packages but not bninit's Hydra stack:
#     scripts/gpu_bundle.sh [DIR]        # here (default DIR: gpu-bundle, git-ignored)
#     bash DIR/run.sh [gpu-check args]   # there
# DIR/wheels holds the wheels of bninit (built from this tree) and of each pure-Python package
# such a machine lacks, at the versions installed in .venv (the ones bninit is tested with);
# DIR/run.sh installs them into a temporary folder (pip --no-index --no-deps), runs
# `bninit gpu-check` and copies its JSON and Markdown to $OUT when that is set.
set -euo pipefail
dir=$(realpath -m "${1:-gpu-bundle}")
cd "$(dirname "$0")/.."
python=.venv/bin/python
if [ ! -x "$python" ]; then
    echo "gpu_bundle: error: no .venv here: run scripts/setup.sh first (the bundle pins its versions)" >&2
    exit 1
fi
# What the GPU machine lacks (everything else bninit needs is there): Hydra and its launchers.
LACKING=(hydra-core omegaconf antlr4-python3-runtime submitit hydra-joblib-launcher hydra-submitit-launcher)
pip() {
    "$python" -m pip --disable-pip-version-check -q "$@" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}
rm -rf "$dir/wheels" "$dir/run.sh" "$dir/MANIFEST"
mkdir -p "$dir/wheels"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# bninit's wheel, from a copy of the tracked and not-ignored files (no stale build/ can leak in)
mkdir "$work/source"
git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi; done |
    tar --null -T - -cf - | tar -C "$work/source" -xf -
pip wheel --no-deps --no-build-isolation -w "$dir/wheels" "$work/source"
version=$("$python" -c "import importlib.metadata as m; print(m.version('bninit'))")
echo "bninit==$version (built from $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ', with changes'))" \
    >"$dir/MANIFEST"

for name in "${LACKING[@]}"; do
    if ! version=$("$python" -c "import importlib.metadata as m; print(m.version('$name'))" 2>/dev/null); then
        echo "gpu_bundle: error: $name is not installed in .venv: run scripts/setup.sh first" >&2
        exit 1
    fi
    # a py3-none-any wheel from the index; a package published only as a source archive (such as
    # antlr4-python3-runtime 4.9.3, which Hydra 1.3 pins) is built into one here: pure Python
    if ! pip download --no-deps --only-binary=:all: -d "$dir/wheels" "$name==$version" 2>/dev/null; then
        if ! pip wheel --no-deps -w "$dir/wheels" "$name==$version"; then
            echo "gpu_bundle: error: cannot get $name==$version (no wheel or source from the package index)" >&2
            exit 1
        fi
    fi
    echo "$name==$version" >>"$dir/MANIFEST"
done
if ls "$dir"/wheels/*.whl | grep -v -- "-py3-none-any.whl$" | grep -v -- "-py2.py3-none-any.whl$"; then
    echo "gpu_bundle: error: the wheels above are not pure Python (py3-none-any)" >&2
    exit 1
fi

cp scripts/gpu_bundle_run.sh "$dir/run.sh"
chmod +x "$dir/run.sh"
size=$(du -sb "$dir" | cut -f1)
if [ "$size" -gt $((16 * 1024 * 1024)) ]; then
    echo "gpu_bundle: error: $dir is $size bytes, over 16 MiB" >&2
    exit 1
fi
echo "gpu_bundle: wrote $dir ($(ls "$dir/wheels" | wc -l) wheels, $((size / 1024)) KiB): there, run: bash $dir/run.sh"
