"""The run store: a directory per run derived from its config, atomic files, checkpoints."""

import hashlib
import json
from pathlib import Path
from typing import Any

import torch
import yaml

from bninit.atomic import atomic_write, write_text
from bninit.config import RunConfig

RESULT = "result.json"
CHECKPOINT = "checkpoint.pt"
CONFIG = "config.yaml"
ERROR = "error.json"  # a failed run: the error, its traceback and the config
RUNS_LIST = "runs.txt"  # in a sweep's dir: every run dir the sweep planned, one per line


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


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2) + "\n")


def write_yaml(path: Path, data: Any) -> None:
    write_text(path, yaml.safe_dump(data, sort_keys=False))


def read_result(directory: Path) -> dict | None:
    path = directory / RESULT
    return json.loads(path.read_text()) if path.exists() else None


def save_checkpoint(directory: Path, state: dict) -> None:
    atomic_write(directory / CHECKPOINT, lambda f: torch.save(state, f))


def load_checkpoint(directory: Path) -> dict | None:
    path = directory / CHECKPOINT
    if not path.exists():
        return None
    return torch.load(path, map_location="cpu", weights_only=True)
