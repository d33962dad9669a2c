"""What a report's CSV is made of. A bninit CSV (from `bninit collect`) has bninit's layout: blocks
of dataset/arch/..., rows bn/gamma/c, columns lr, pairs by seed. Any other per-seed CSV is read
with the user's metric, pair and cell columns (`Layout`) and mapped onto the same frame at this
edge: the pair column becomes `seed`, the metric `METRIC`, every run is `done`, and the cell
columns keep their names and values (they are the rows of the table).
"""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bninit.errors import UserError
from bninit.store.collect import HARDWARE_COLUMNS, RESULT_COLUMNS

METRIC = "test_acc_at_best_val"
PAIR = "seed"
REQUIRED = ("dataset", "arch", "bn", "gamma", "c", "lr", "seed", METRIC, "status")  # a bninit CSV
# Names the report gives its own columns (in the cells and in stats.csv): no user column may have one.
OUTCOME = tuple(col for col in RESULT_COLUMNS if col not in HARDWARE_COLUMNS)
RESERVED = (*OUTCOME, "block", "label", "n", "mean", "std", "seeds", "seed_acc", "run_dirs")


@dataclass(frozen=True)
class Layout:
    """The user's columns: `metric` (the number compared), `pair` (rows with the same value in two
    cells are a pair), `cells` (what defines a cell). `cells` empty: bninit's own layout."""

    metric: str = METRIC
    pair: str = PAIR
    cells: tuple[str, ...] = ()

    @property
    def foreign(self) -> bool:
        return bool(self.cells)

    @property
    def place(self) -> tuple[str, ...]:
        """The keys that split a block into the table's columns: lr for bninit, none otherwise."""
        return () if self.foreign else ("lr",)

    @property
    def unit(self) -> str:
        """What a pair is called in the warnings: a seed, or the user's pair column."""
        return self.pair


def read_csv(path: Path, only_empty_missing: bool = False) -> pd.DataFrame:
    """A CSV file as a frame; one-line UserError when it is missing, empty or unreadable.
    `only_empty_missing`: only an empty field is a missing value ("n/a", "NA" stay text)."""
    options = {"keep_default_na": False, "na_values": [""]} if only_empty_missing else {}
    if not path.is_file():
        raise UserError(f"{path}: no such file (make one with `bninit collect <runs dir> -o {path}`)")
    try:
        return pd.read_csv(path, **options)
    except pd.errors.EmptyDataError:
        raise UserError(f"{path}: the file is empty (no header, no runs)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: not a readable CSV ({str(err).splitlines()[0]})") from None


def is_bninit_layout(metric: str | None, pair: str | None, cells) -> bool:
    """Read as a CSV `bninit collect` wrote: nothing about its columns was asked."""
    return metric is None and pair is None and not cells


def choose_layout(table: pd.DataFrame, path: Path, metric=None, pair=None, cells=None) -> Layout:
    """The user's --metric / --pair-by / --cells, checked against the CSV's columns (default
    cells: every column but the metric and the pair)."""
    metric, pair = metric or METRIC, pair or PAIR
    columns = [str(col) for col in table.columns]
    for flag, names in (("--metric", [metric]), ("--pair-by", [pair]), ("--cells", list(cells or []))):
        unknown = [name for name in names if name not in columns]
        if unknown:
            raise UserError(
                f"{path}: {flag} {','.join(unknown)}: no such column; the CSV's columns: {', '.join(columns)}"
            )
    if not cells:  # every other column; of a bninit CSV, its config columns
        outcome = RESULT_COLUMNS if all(col in columns for col in REQUIRED) else ()
        cells = [col for col in columns if col not in (metric, pair, *outcome)]
    cells = tuple(cells)
    if metric == pair or metric in cells or pair in cells:
        raise UserError(f"{path}: --metric, --pair-by and --cells must name different columns")
    if not cells:
        raise UserError(f"{path}: no column left to define the cells (--cells COL[,COL...])")
    if len(set(cells)) < len(cells):
        raise UserError(f"{path}: --cells {','.join(cells)}: a column is named twice")
    reserved = [col for col in (pair, *cells) if col in RESERVED and col != PAIR]
    if reserved:
        raise UserError(
            f"{path}: column(s) {', '.join(reserved)} have names the report uses for its own "
            "columns; rename them in the CSV"
        )
    return Layout(metric, pair, cells)


def map_runs(table: pd.DataFrame, path: Path, layout: Layout) -> pd.DataFrame:
    """The CSV's runs in bninit's frame: the cell columns, `seed` (the pair), METRIC and status
    `done`. Refused in one line naming the first bad row (the header is row 1): a duplicate
    (cell, pair) or a metric that is not a number. An empty metric is a run without a result."""
    if table.empty:
        raise UserError(f"{path}: no runs in it (only a header)")
    keys = [*layout.cells, layout.pair]
    values = pd.to_numeric(table[layout.metric], errors="coerce")
    not_number = values.isna() & table[layout.metric].notna()
    duplicate = table.duplicated(keys, keep="first")
    problems = []
    if not_number.any():
        i = int(not_number.to_numpy().argmax())
        problems.append((i, f"{layout.metric} {table[layout.metric].iloc[i]!r} is not a number"))
    if duplicate.any():
        i = int(duplicate.to_numpy().argmax())
        shown = ", ".join(f"{key}={_text(table[key].iloc[i])}" for key in keys)
        problems.append((i, f"duplicate ({shown})"))
    if problems:
        i, what = min(problems)
        raise UserError(f"{path}: row {i + 2}: {what}")
    pairs = table[layout.pair]
    if pairs.isna().any():
        i = int(pairs.isna().to_numpy().argmax())
        raise UserError(f"{path}: row {i + 2}: no {layout.pair}")
    runs = table[list(layout.cells)].copy()
    for col in layout.cells:
        if runs[col].isna().any():
            runs[col] = runs[col].astype(object).where(runs[col].notna(), "-")
    numeric = pd.to_numeric(pairs, errors="coerce")
    whole = numeric.notna().all() and (numeric == numeric.round()).all()
    runs["seed"] = numeric.astype(int) if whole else pairs.astype(str)
    runs[METRIC] = values
    runs["status"] = "done"
    return runs


def _text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
