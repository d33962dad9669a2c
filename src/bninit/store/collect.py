"""Gather run dirs into one table: a row per run, finished or not, with its status.

Status of a run dir: `done` (result.json), `running` (a live lock), `failed` (error.json),
`interrupted` (started, with a config or a checkpoint, but nobody runs it now).
"""

import json
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import yaml

from bninit.atomic import write_text
from bninit.config import PLACEMENT_KEYS, described
from bninit.errors import UserError
from bninit.seeds import md5_seed
from bninit.store.lock import is_live, read_lock
from bninit.store.rundir import CHECKPOINT, CONFIG, ERROR, RESULT

STATUSES = ("done", "running", "failed", "interrupted")
RESULT_COLUMNS = (
    "seed",
    "md5_seed",
    "best_epoch",
    "best_val_acc",
    "test_acc_at_best_val",
    "final_test_acc",
    "epochs_done",
    "wall_time_s",
    "status",
    "bninit_version",
    "torch_version",
    "device",
    "cell",
    "run_dir",
)


def find_run_dirs(root: Path) -> list[Path]:
    """Every `seed=<n>` directory under `root` (hidden dirs such as .hydra are skipped)."""
    root = Path(root)
    if root.name.startswith("seed="):
        return [root]
    found = []
    for current, dirs, _ in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(current) / d for d in dirs if d.startswith("seed=")]
        dirs[:] = [d for d in dirs if not d.startswith("seed=")]
    return sorted(found)


def run_status(directory: Path) -> str | None:
    """done / running / failed / interrupted, or None for a dir with nothing of a run in it."""
    directory = Path(directory)
    if (directory / RESULT).exists():
        return "done"
    if is_live(read_lock(directory)):
        return "running"
    if (directory / ERROR).exists():
        return "failed"
    if (directory / CONFIG).exists() or (directory / CHECKPOINT).exists():
        return "interrupted"
    return None


def read_progress(directory: Path) -> dict | None:
    """The best-so-far part of a checkpoint (no weights are read: the file is memory-mapped)."""
    import torch

    path = Path(directory) / CHECKPOINT
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except (FileNotFoundError, RuntimeError, EOFError):
        return None
    keys = ("epoch", "best_epoch", "best_val_acc", "test_acc_at_best_val", "elapsed", "history")
    return {k: state.get(k) for k in keys}


def run_row(directory: Path) -> dict | None:
    """The CSV row of one run dir, or None when the dir holds no run (yet)."""
    directory = Path(directory)
    status = run_status(directory)
    if status is None:
        return None
    if status == "done":
        record = json.loads((directory / RESULT).read_text())
        config = record["config"]
        versions = record.get("versions", {})
        numbers = {
            k: record.get(k)
            for k in ("md5_seed", "best_epoch", "best_val_acc", "test_acc_at_best_val", "final_test_acc")
        }
        numbers.update(
            epochs_done=len(record.get("history", [])),
            wall_time_s=record.get("wall_time_s"),
            bninit_version=versions.get("bninit"),
            torch_version=versions.get("torch"),
            device=record.get("device"),
        )
    else:
        config = _unfinished_config(directory)
        if config is None:
            return None
        numbers = {"md5_seed": md5_seed(int(config["seed"]))}
        progress = read_progress(directory)
        if progress and progress["epoch"]:
            numbers.update(
                best_epoch=progress["best_epoch"],
                best_val_acc=progress["best_val_acc"],
                test_acc_at_best_val=progress["test_acc_at_best_val"],
                final_test_acc=progress["history"][-1]["test_acc"],
                epochs_done=progress["epoch"],
                wall_time_s=progress["elapsed"],
            )
        else:
            numbers.update(epochs_done=0)
    row = {k: v for k, v in described(config).items() if k not in PLACEMENT_KEYS and k != "seed"}
    row["seed"] = config["seed"]
    row.update(numbers)
    row.update(status=status, cell=directory.parent.name, run_dir=str(directory.resolve()))
    return row


def _unfinished_config(directory: Path) -> dict | None:
    if (directory / CONFIG).exists():
        return yaml.safe_load((directory / CONFIG).read_text())
    if (directory / ERROR).exists():
        return json.loads((directory / ERROR).read_text()).get("config")
    return None


def collect(run_dirs: Iterable[Path]) -> pd.DataFrame:
    """One row per run dir that holds a run; config columns first, then RESULT_COLUMNS."""
    rows = [row for d in run_dirs if (row := run_row(d)) is not None]
    frame = pd.DataFrame(rows)
    config_columns = [c for c in frame.columns if c not in RESULT_COLUMNS]
    return frame.reindex(columns=config_columns + list(RESULT_COLUMNS))


def collect_dir(root: Path) -> pd.DataFrame:
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"runs dir '{root}' does not exist or is not a directory")
    return collect(find_run_dirs(root))


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write the table atomically (temp file in the same dir, then rename)."""
    try:
        write_text(Path(path), frame.to_csv(index=False))
    except OSError as err:
        raise UserError(f"cannot write '{path}': {err.strerror}") from None


def counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many runs have each status."""
    found = frame["status"].value_counts() if len(frame) else {}
    return {s: int(found.get(s, 0)) for s in STATUSES}
