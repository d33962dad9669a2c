"""A stand-in for the air-gapped GPU machine the offline bundle is for: a venv whose Python sees
only the packages that machine has (torch, torchvision and the scientific stack, no Hydra,
OmegaConf, submitit or bninit), taken from this test's own site-packages through symlinks, so
nothing is downloaded or copied."""

import importlib.metadata as metadata
import re
import subprocess
import sys
from pathlib import Path

# What the GPU machine has installed (and pip, which run.sh installs with), by distribution name.
BOX_HAS = (
    "torch",
    "torchvision",
    "numpy",
    "scipy",
    "pandas",
    "matplotlib",
    "scikit-learn",
    "joblib",
    "pyyaml",
    "rich",
    "tqdm",
    "timm",
    "tensorboard",
    "filelock",
    "cloudpickle",
    "pip",
)
BOX_LACKS = ("hydra-core", "omegaconf", "antlr4-python3-runtime", "submitit", "bninit")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(names: tuple[str, ...]) -> dict[str, metadata.Distribution]:
    """The distributions `names` need to import, their own requirements included (no extras)."""
    found: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        name = canonical(todo.pop())
        if name in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional or platform-specific requirement this Python lacks
        found[name] = dist
        for req in dist.requires or []:
            if "extra ==" not in req:
                todo.append(re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0])
    return found


def top_level_entries(dist: metadata.Distribution) -> set[Path]:
    """The files and folders a distribution puts at the top of its site-packages."""
    base = Path(dist.locate_file(""))
    entries = set()
    for file in dist.files or []:
        parts = Path(file).parts
        if parts and parts[0] != ".." and not parts[0].endswith(".pth"):
            entries.add(base / parts[0])
    return entries


def make_box(folder: Path) -> Path:
    """A venv in `folder` seeing BOX_HAS alone; its python. AssertionError if one of BOX_LACKS
    would be visible in it."""
    dists = closure(BOX_HAS)
    leaked = sorted(set(dists) & {canonical(n) for n in BOX_LACKS})
    assert not leaked, f"the GPU machine's packages would bring {leaked}"
    venv, site = folder / "venv", folder / "site"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site.mkdir()
    for dist in dists.values():
        for entry in top_level_entries(dist):
            link = site / entry.name
            if entry.exists() and not link.exists():
                link.symlink_to(entry)
    [packages] = list(venv.glob("lib/python*/site-packages"))
    (packages / "gpu_box.pth").write_text(f"{site}\n")
    return venv / "bin" / "python3"
