"""The run store: a directory per run derived from its config, atomic files, checkpoints."""

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
import yaml

from bninit.config import RunConfig

RESULT = "result.json"
CHECKPOINT = "checkpoint.pt"
CONFIG = "config.yaml"


def method_tag(cfg: RunConfig) -> str:
    """A readable name for the cell: BN variant, gamma, c, lr and input normalization."""
    return f"{cfg.bn}-g{cfg.gamma:g}-c{cfg.c:g}-lr{cfg.lr:g}-in_{cfg.input_norm}"


def cell_hash(cfg: RunConfig) -> str:
    """Short hash of everything the run computes except the seed (so the dir name is unique)."""
    text = json.dumps(cfg.identity(), sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def run_dir(cfg: RunConfig) -> Path:
    """runs_dir/<dataset>/<arch>/<method tag>-<hash>/seed=<n>: the same config, the same place."""
    cell = f"{method_tag(cfg)}-{cell_hash(cfg)}"
    return Path(cfg.runs_dir) / cfg.dataset / cfg.arch / cell / f"seed={cfg.seed}"


def _atomic_write(path: Path, write) -> None:
    """Write through a temp file in the same directory, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    _atomic_write(path, lambda f: f.write((json.dumps(data, indent=2) + "\n").encode()))


def write_yaml(path: Path, data: Any) -> None:
    _atomic_write(path, lambda f: f.write(yaml.safe_dump(data, sort_keys=False).encode()))


def read_result(directory: Path) -> dict | None:
    path = directory / RESULT
    return json.loads(path.read_text()) if path.exists() else None


def save_checkpoint(directory: Path, state: dict) -> None:
    _atomic_write(directory / CHECKPOINT, lambda f: torch.save(state, f))


def load_checkpoint(directory: Path) -> dict | None:
    path = directory / CHECKPOINT
    if not path.exists():
        return None
    return torch.load(path, map_location="cpu", weights_only=True)
