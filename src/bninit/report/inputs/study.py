"""Reading a study: a bninit CSV checked column by column, or any tool's per-seed CSV mapped
onto bninit's frame (`layout`); several CSVs are read as one study."""

from pathlib import Path

import pandas as pd

from bninit.errors import UserError
from bninit.report.inputs.layout import (
    METRIC,
    REQUIRED,
    ROW_KEYS,
    BninitLayout,
    Layout,
    choose_layout,
    is_bninit_layout,
    map_runs,
    read_csv,
)
from bninit.store.collect import RESULT_COLUMNS


def read_study(
    csv_path: str | Path, metric: str | None = None, pair_by: str | None = None, cells=None
) -> tuple[pd.DataFrame, Layout]:
    """(runs, layout) of any per-seed CSV: a bninit CSV as `read_runs` reads it when none of
    `metric`, `pair_by`, `cells` asks otherwise; else mapped onto bninit's frame (`layout`)."""
    if is_bninit_layout(metric, pair_by, cells):
        return read_runs(csv_path), BninitLayout()
    path = Path(csv_path)
    table = read_csv(path, only_empty_missing=True)
    layout = choose_layout(table, path, metric, pair_by, cells)
    return map_runs(table, path, layout), layout


def read_runs(csv_path: str | Path) -> pd.DataFrame:
    """The runs of a study, checked: one-line UserError for anything that is not a bninit CSV."""
    path = Path(csv_path)
    return _checked_runs(read_csv(path), path)


def _checked_runs(runs: pd.DataFrame, path: Path) -> pd.DataFrame:
    missing = [col for col in REQUIRED if col not in runs.columns]
    if missing:
        raise UserError(
            f"{path}: not a bninit results CSV: missing column(s) {', '.join(missing)} "
            f"(expected the columns `bninit collect` writes; for another tool's CSV: --metric COL "
            f"--pair-by COL --cells COL[,COL...])"
        )
    if runs.empty:
        raise UserError(f"{path}: no runs in it (only a header)")
    for col in ("gamma", "c", "lr", "seed", METRIC):
        values = pd.to_numeric(runs[col], errors="coerce")
        bad = runs[col][values.isna() & runs[col].notna()]
        if len(bad) or (col != METRIC and values.isna().any()):
            shown = bad.iloc[0] if len(bad) else "an empty value"
            raise UserError(f"{path}: column {col} must be numeric; found {shown!r}")
        runs[col] = values
    runs["seed"] = runs["seed"].astype(int)
    runs["status"] = runs["status"].fillna("").astype(str)
    for col in config_columns(runs):
        if runs[col].isna().any():  # a key added later: older runs have no value
            runs[col] = runs[col].astype(object).where(runs[col].notna(), "-")
    return runs


def config_columns(runs: pd.DataFrame) -> list[str]:
    return [col for col in runs.columns if col not in RESULT_COLUMNS]


def block_columns(runs: pd.DataFrame, row_keys=ROW_KEYS) -> list[str]:
    """What a block (one paper table) shares: the config minus the row keys and the lr."""
    return [col for col in config_columns(runs) if col not in (*row_keys, "lr")]


def read_studies(csv_paths, metric: str | None = None, pair_by: str | None = None, cells=None):
    """(runs, layout) of one or several CSVs read as one study (e.g. Table 2a's and Table 1a's
    CSVs for a claim that spans both); a key one CSV lacks is "-" in its rows."""
    paths = [csv_paths] if isinstance(csv_paths, str | Path) else list(csv_paths)
    read = [read_study(path, metric, pair_by, cells) for path in paths]
    if len(read) == 1:
        return read[0]
    runs = pd.concat([r for r, _ in read], ignore_index=True)
    for col in config_columns(runs):
        if runs[col].isna().any():
            runs[col] = runs[col].astype(object).where(runs[col].notna(), "-")
    return runs, read[0][1]
