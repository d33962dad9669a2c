"""A study as two pandas tables, for a notebook: `load_study(path) -> (runs, epochs)`.

`runs`: one row per run, the columns `bninit collect` writes (config, seed, results, status,
run_dir). `epochs`: one row per run and finished epoch: the run's config columns, seed and
run_dir, then its history (epoch, epoch_lr, train_loss, train_acc, val_acc, test_acc,
bn_scale_mean, bn_scale_std, seconds). `epoch_lr` is the learning rate that epoch trained at
(the schedule's); `lr` stays the cell's base learning rate.

Histories live in the run directories (result.json, or the checkpoint of an unfinished run): a
runs directory always has them; a collected CSV has them while the directories its run_dir
column names are still there, else `epochs` is empty and a warning says so.
"""

import warnings
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from bninit.errors import UserError
from bninit.store.collect import RESULT_COLUMNS, collect_dir, read_progress
from bninit.store.damage import Damaged
from bninit.store.rundir import read_result

HISTORY_COLUMNS = (
    "epoch",
    "epoch_lr",
    "train_loss",
    "train_acc",
    "val_acc",
    "test_acc",
    "bn_scale_mean",
    "bn_scale_std",
    "seconds",
)


def read_history(run_dir: str | Path) -> list[dict]:
    """The run's per-epoch history: from result.json, else from its checkpoint (an unfinished
    run), else [] (no run here, or a file that cannot be read)."""
    try:
        record = read_result(run_dir)
        if record is None:
            record = read_progress(Path(run_dir))
    except (Damaged, OSError):
        return []
    history = (record or {}).get("history") or []
    return [{("epoch_lr" if key == "lr" else key): value for key, value in e.items()} for e in history]


def epochs_table(runs: pd.DataFrame, run_dirs: Iterable[str] | None = None) -> pd.DataFrame:
    """One row per epoch of each run of `runs` (its config columns, seed and run_dir first) whose
    directory still holds a history; only the runs in `run_dirs` when given."""
    keep = None if run_dirs is None else set(map(str, run_dirs))
    config = [c for c in runs.columns if c not in RESULT_COLUMNS]
    parts = []
    for _, run in runs.iterrows():
        directory = run.get("run_dir")
        if not isinstance(directory, str) or (keep is not None and directory not in keep):
            continue
        history = read_history(directory)
        if history:
            part = pd.DataFrame(history).reindex(columns=HISTORY_COLUMNS)
            for col in (*config, "seed", "run_dir")[::-1]:
                part.insert(0, col, run[col])
            parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*config, "seed", "run_dir", *HISTORY_COLUMNS])
    return pd.concat(parts, ignore_index=True)


def load_study(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(runs, epochs) of a runs directory or of a CSV written by `bninit collect` / a sweep.

    A CSV whose run directories are gone gives an empty `epochs` and one warning saying that the
    histories need the runs directory."""
    path = Path(path)
    if path.is_dir():
        runs = collect_dir(path)
        if runs.empty:
            raise UserError(f"{path}: no runs in it (no seed=<n> directory holding a run)")
    elif path.is_file():
        runs = _read_csv(path)
    else:
        raise UserError(f"{path}: no such runs directory or CSV file")
    epochs = epochs_table(runs)
    if epochs.empty and path.is_file():
        warnings.warn(
            f"{path}: no per-epoch histories (the run directories its run_dir column names are "
            "not here); load_study(RUNS_DIR) reads them from a runs directory",
            stacklevel=2,
        )
    return runs, epochs


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        runs = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: not a CSV ({str(err).strip().splitlines()[0]})") from None
    missing = [col for col in ("seed", "status", "run_dir") if col not in runs.columns]
    if missing:
        raise UserError(
            f"{path}: not a study CSV: missing column(s) {', '.join(missing)} "
            "(expected the columns `bninit collect` writes)"
        )
    return runs
