"""Gather run dirs into one table: a row per run, finished or not, with its status.

Status of a run dir: `done` (result.json), `running` (a live lock), `failed` (error.json),
`interrupted` (started, with a config or a checkpoint, but nobody runs it now), `damaged` (one of
those files cannot be read: one warning line names it, and the run is trained again).
"""

import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import yaml

from bninit.atomic import write_text
from bninit.config import PLACEMENT_KEYS, RunConfig, described
from bninit.errors import UserError
from bninit.seeds import md5_seed
from bninit.store.damage import Damaged, warn
from bninit.store.lock import LOCK, is_live, read_lock
from bninit.store.rundir import CHECKPOINT, CONFIG, ERROR, RESULT, load_checkpoint, read_record, read_result

# A run's hardware fingerprint (bninit.run.fingerprint), one column per field; empty for runs
# made before it was recorded; "A + B" for a run resumed on another machine.
HARDWARE_COLUMNS = (
    "cpu",
    "cpu_capability",
    "gpu",
    "cuda",
    "cudnn",
    "tf32_matmul",
    "tf32_cudnn",
    "cudnn_deterministic",
)
STATUSES = ("done", "running", "failed", "interrupted", "damaged")
# Optional keys that every run has (left out of a run's name at their default): in a study where
# some runs set one, the others' rows show the default they ran with, not an empty cell. (A
# timm_model or folder_* key names nothing for other datasets and architectures: it stays empty.)
EVERY_RUN_KEYS = ("stream",)
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
    *HARDWARE_COLUMNS,
    "cell",
    "run_dir",
)


def hardware_columns(seen: list[dict]) -> dict:
    """A run's hardware columns: each field's values over the machines it ran on (oldest first),
    joined by " + "; empty where it recorded none."""
    values = {key: dict.fromkeys(str(record.get(key, "")) for record in seen) for key in HARDWARE_COLUMNS}
    return {key: " + ".join(found) for key, found in values.items()}


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
    """done / running / failed / interrupted / damaged, or None for a dir with nothing of a run."""
    try:
        return _status(Path(directory))
    except Damaged:
        return "damaged"


def _status(directory: Path) -> str | None:
    if (directory / RESULT).exists():
        read_result(directory)
        return "done"
    info = read_lock(directory)
    if info is not None and info.get("damaged"):
        raise Damaged(directory / LOCK, info["damaged"])
    if is_live(info):
        return "running"
    if (directory / ERROR).exists():
        read_record(directory / ERROR)
        return "failed"
    if (directory / CONFIG).exists() or (directory / CHECKPOINT).exists():
        return "interrupted"
    return None


def read_progress(directory: Path) -> dict | None:
    """The best-so-far part of a checkpoint (no weights are read: the file is memory-mapped)."""
    state = load_checkpoint(directory, mmap=True)
    if state is None:
        return None
    keys = ("epoch", "best_epoch", "best_val_acc", "test_acc_at_best_val", "elapsed", "history", "hardware")
    return {k: state.get(k) for k in keys}


def run_row(directory: Path) -> dict | None:
    """The CSV row of one run dir, or None when the dir holds no run (yet). A run with a file
    that cannot be read is a `damaged` row, with one warning line naming the file."""
    directory = Path(directory)
    try:
        return _row(directory)
    except Damaged as err:
        warn(err)
        return _damaged_row(directory)


def _row(directory: Path) -> dict | None:
    status = _status(directory)
    if status is None:
        return None
    if status == "done":
        record = read_result(directory)
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
            **hardware_columns(record.get("hardware", [])),
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
                **hardware_columns(progress["hardware"] or []),
            )
        else:
            numbers.update(epochs_done=0)
    return _with_config(directory, config, {**numbers, "status": status})


def _with_config(directory: Path, config: dict, numbers: dict) -> dict:
    row = {k: v for k, v in described(config).items() if k not in PLACEMENT_KEYS and k != "seed"}
    row["seed"] = config["seed"]
    row.update(numbers)
    row.update(cell=directory.parent.name, run_dir=str(directory.resolve()))
    return row


def _unfinished_config(directory: Path) -> dict | None:
    config = read_record(directory / CONFIG, parse=yaml.safe_load, needs=("seed",))
    if config is None:
        error = read_record(directory / ERROR, needs=("config",))
        config = error and error["config"]
    return config


def _damaged_row(directory: Path) -> dict:
    """A damaged run's row: its config from whichever file still reads, else from its path."""
    config = None
    for path, parse, key in (
        (CONFIG, yaml.safe_load, None),
        (ERROR, None, "config"),
        (RESULT, None, "config"),
    ):
        try:
            record = read_record(directory / path, **({"parse": parse} if parse else {}))
        except Damaged:
            continue
        if record is not None:
            config = record.get(key) if key else record
        if isinstance(config, dict) and "seed" in config:
            break
        config = None
    if config is None:  # runs_dir/<dataset>/<arch>/<cell>/seed=<n>
        seed = directory.name.removeprefix("seed=")
        config = {
            "dataset": directory.parent.parent.parent.name,
            "arch": directory.parent.parent.name,
            "seed": int(seed) if seed.isdigit() else seed,
        }
    seed = config["seed"]
    numbers = {"md5_seed": md5_seed(int(seed)) if str(seed).isdigit() else None, "epochs_done": 0}
    return _with_config(directory, config, {**numbers, "status": "damaged"})


def collect(run_dirs: Iterable[Path]) -> pd.DataFrame:
    """One row per run dir that holds a run; config columns first, then RESULT_COLUMNS."""
    rows = [row for d in run_dirs if (row := run_row(d)) is not None]
    frame = pd.DataFrame(rows)
    for key in EVERY_RUN_KEYS:
        if key in frame.columns:  # a damaged run's config is unknown: its cell stays empty
            ran_at_default = frame[key].isna() & (frame["status"] != "damaged")
            frame.loc[ran_at_default, key] = getattr(RunConfig, key)
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
