"""The run store: a directory per run derived from its config, atomic files, checkpoints."""

import json
import os
from pathlib import Path
from typing import Any

import yaml

from bninit.atomic import atomic_write, write_text
from bninit.config import RunConfig
from bninit.errors import UserError
from bninit.store.damage import Damaged, reason_of
from bninit.store.identity import IDENTITY_FILE, identity_record, method_tag, run_dir  # noqa: F401 (re-exported)

RESULT = "result.json"
CHECKPOINT = "checkpoint.pt"
CONFIG = "config.yaml"
ERROR = "error.json"  # a failed run: the error, its traceback and the config
RUNS_LIST = "runs.txt"  # in a sweep's dir: every run dir the sweep planned, one per line


def write_run_config(directory: Path, cfg: RunConfig) -> None:
    """A new run's config.yaml and identity.json (its identity version, cell name and record)."""
    write_yaml(Path(directory) / CONFIG, cfg.to_dict())
    write_json(Path(directory) / IDENTITY_FILE, identity_record(cfg))


def check_dir(path: str | Path, key: str) -> None:
    """`key`'s directory exists or can be made: UserError (one line) when it, or the first of its
    parents that exists, is not a directory or cannot be written."""
    path = Path(path)
    existing = next(p for p in (path, *path.parents) if p.exists() or p == Path(p.anchor or "."))
    if not existing.is_dir():
        raise UserError(f"{key} '{path}' is impossible: {existing} is not a directory")
    if existing != path and not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"{key} '{path}' cannot be created: {existing} is not writable")


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2) + "\n")


def write_yaml(path: Path, data: Any) -> None:
    write_text(path, yaml.safe_dump(data, sort_keys=False))


def read_record(path: Path, parse=json.loads, needs: tuple[str, ...] = ()) -> dict | None:
    """A JSON (or YAML, with parse=yaml.safe_load) mapping, None if the file is absent; Damaged
    when it exists but cannot be read, parsed, or lacks a key of `needs`."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise Damaged(path, reason_of(err)) from None
    try:
        record = parse(text)
    except (ValueError, yaml.YAMLError) as err:
        raise Damaged(path, reason_of(err)) from None
    if not isinstance(record, dict):
        raise Damaged(path, "not a mapping")
    missing = [key for key in needs if key not in record]
    if missing:
        raise Damaged(path, f"no {missing[0]!r}")
    return record


def read_result(directory: Path) -> dict | None:
    """The finished run's record, None if there is none; Damaged if it cannot be read."""
    return read_record(Path(directory) / RESULT, needs=("config", "test_acc_at_best_val"))


def is_done(directory: Path) -> bool:
    """Whether the run dir holds a readable result (a damaged one does not count)."""
    try:
        return read_result(directory) is not None
    except Damaged:
        return False


def save_checkpoint(directory: Path, state: dict) -> None:
    import torch  # here, not at the top: reading results (bninit report, collect) needs no torch

    atomic_write(directory / CHECKPOINT, lambda f: torch.save(state, f))


def load_checkpoint(directory: Path, mmap: bool = False) -> dict | None:
    """The checkpoint, None if there is none; Damaged if it cannot be read (mmap: weights are
    mapped, not read, for a quick look at the progress). torch is imported only when there is one:
    reading a study's finished runs (report, load_study) needs no torch."""
    path = Path(directory) / CHECKPOINT
    if not path.exists():
        return None
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except FileNotFoundError:
        return None
    except Exception as err:  # truncated, zeroed, not a checkpoint: torch raises many kinds
        raise Damaged(path, reason_of(err)) from None
    if not isinstance(state, dict) or "epoch" not in state:
        raise Damaged(path, "not a bninit checkpoint")
    return state
