"""A study CSV's layout: what its columns mean, and which cell is BASE. A bninit CSV (from
`bninit collect`) has bninit's layout: blocks of dataset/arch/..., rows bn/gamma/c, columns lr,
pairs by seed. Any other per-seed CSV is read with the user's metric, pair and cell columns
(`ToolLayout`) and mapped onto the same frame at this edge: the pair column becomes `seed`, the
metric `METRIC`, every run is `done`, and the cell columns keep their names and values (they are
the rows of the table).
"""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bninit.errors import UserError
from bninit.store.collect import HARDWARE_COLUMNS, RESULT_COLUMNS

METRIC = "test_acc_at_best_val"
PAIR = "seed"
ROW_KEYS = ("bn", "gamma", "c")  # a row of the paper's layout; its columns are the lr values
REQUIRED = ("dataset", "arch", "bn", "gamma", "c", "lr", "seed", METRIC, "status")  # a bninit CSV
# Names the report gives its own columns (in the cells and in stats.csv): no user column may have one.
OUTCOME = tuple(col for col in RESULT_COLUMNS if col not in HARDWARE_COLUMNS)
RESERVED = (*OUTCOME, "block", "label", "n", "mean", "std", "seeds", "seed_acc", "run_dirs")
BASE = "base"
# BASE is standard BN at its standard init: gamma 1, c 1. Standard BN at another gamma or c (a
# multirun such as `bn=base,ours gamma=0.05,0.1` makes them) is an arm like any other.
BASE_CELL = {"bn": BASE, "gamma": "1", "c": "1"}


def is_base_cell(cell) -> bool:
    """True for the cell (a row with bn, gamma, c) that is BASE: bn=base, gamma 1, c 1."""
    try:
        return cell["bn"] == BASE and float(cell["gamma"]) == 1 and float(cell["c"]) == 1
    except (TypeError, ValueError):
        return False


def fmt_value(value) -> str:
    """A config value as the report writes it: a float by %g (0.1, 100), anything else as text."""
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class BninitLayout:
    """A CSV `bninit collect` wrote: blocks of dataset/arch/..., rows method/gamma/c in the paper's
    order, a column per lr, pairs by seed; plots, --paper and --preset apply."""

    metric: str = METRIC
    pair: str = PAIR
    place: tuple[str, ...] = ("lr",)  # the keys that split a block into the table's columns
    result: str = "test accuracy"  # what a run without a result lacks, in the warnings
    own: bool = True  # plots, --paper and --preset: drawn and read over bninit's columns
    same_column: str = " of the same learning rate"  # where a cell's reference is, in the caption
    pairing: str = "pairs = runs with the same seed"

    @property
    def unit(self) -> str:
        """What a pair is called in the words: a seed."""
        return self.pair

    def describe(self, seeds: str, extra_keys: list[str]) -> str:
        """The caption's first sentence: what the numbers are and what the rows and columns are."""
        extra = "".join(f", {key}" for key in extra_keys)
        return (
            f"Test accuracy (%) at the best-validation epoch, mean ± std over n = {seeds} seeds "
            f"(n in parentheses; std: the sample std, ddof=1, as the paper does not say which it "
            f"reports); rows: method and BN-scale init γ (c: BN-scale lr divisor){extra}, columns: "
            f"learning rate. "
        )

    def row_keys(self, asked: list[str]) -> list[str]:
        """method, gamma, c, then the keys a comparison names (e.g. input_norm)."""
        return list(dict.fromkeys([*ROW_KEYS, *asked]))

    def block_title(self, values: dict, varying: list[str]) -> str:
        title = f"{values['dataset']} / {values['arch']}"
        extra = [f"{col}={fmt_value(values[col])}" for col in varying if col not in ("dataset", "arch")]
        return " / ".join([title, *extra])

    def cell_label(self, cell, row_keys) -> str:
        extras = "".join(f" {key}={fmt_value(cell[key])}" for key in row_keys[len(ROW_KEYS) :])
        if is_base_cell(cell):
            return "BASE" + extras
        return f"{cell['bn']} gamma={cell['gamma']:g} c={cell['c']:g}" + extras

    def cell_name(self, title: str, label: str, cell) -> str:
        return f"{title} {label} lr={cell['lr']:g}"

    def sort(self, cells: pd.DataFrame, row_keys: list[str]) -> pd.DataFrame:
        """Blocks in the CSV's order; inside, the paper's row order, then lr largest first."""
        blocks = list(dict.fromkeys(cells["block"]))
        extra_order = [
            (key, {v: i for i, v in enumerate(dict.fromkeys(cells[key]))})
            for key in row_keys[len(ROW_KEYS) :]
        ]
        order = sorted(
            range(len(cells)),
            key=lambda i: (
                blocks.index(cells.iloc[i]["block"]),
                _row_order(cells.iloc[i], extra_order),
                -cells.iloc[i]["lr"],
            ),
        )
        return cells.iloc[order].reset_index(drop=True)

    def key_head(self, extra_keys: list[str]) -> list[str]:
        return ["method", "γ", "c", *extra_keys]

    def row_head(self, bn, gamma, c, *extras) -> list[str]:
        return [_method({"bn": bn, "gamma": gamma, "c": c}), f"{gamma:g}", f"{c:g}", *map(fmt_value, extras)]

    def short_label(self, cell, keys: list[str]) -> str:
        """A cell named by `keys` (those that differ among the cells shown; none: its method)."""
        return " ".join(_method(cell) if k == "bn" else f"{k}={fmt_value(cell[k])}" for k in keys or ["bn"])

    def stats_columns(self, table: pd.DataFrame) -> pd.DataFrame:
        return table


@dataclass(frozen=True)
class ToolLayout:
    """Another tool's CSV, read with the user's columns: `metric` (the number compared), `pair`
    (rows with the same value in two cells are a pair), `cells` (what defines a cell). One block
    named after the metric, a row per cell in the CSV's order, no column keys; no plots, no
    --paper or --preset."""

    metric: str
    pair: str
    cells: tuple[str, ...]
    place: tuple[str, ...] = ()
    own: bool = False
    same_column: str = ""

    @property
    def unit(self) -> str:
        """What a pair is called in the words: the user's pair column."""
        return self.pair

    @property
    def pairing(self) -> str:
        return f"pairs = rows with the same {self.pair}"

    def describe(self, seeds: str, extra_keys: list[str]) -> str:
        return (
            f"{self.metric}: mean ± std over n = {seeds} {self.unit} values (n in parentheses; std: the "
            f"sample std, ddof=1); rows: the cells ({', '.join(self.cells)}). "
        )

    @property
    def result(self) -> str:
        return self.metric

    def row_keys(self, asked: list[str]) -> list[str]:
        return list(self.cells)

    def block_title(self, values: dict, varying: list[str]) -> str:
        return self.metric

    def cell_label(self, cell, row_keys) -> str:
        return " ".join(f"{key}={fmt_value(cell[key])}" for key in row_keys)

    def cell_name(self, title: str, label: str, cell) -> str:
        return label

    def sort(self, cells: pd.DataFrame, row_keys: list[str]) -> pd.DataFrame:
        return cells

    def key_head(self, extra_keys: list[str]) -> list[str]:
        return list(self.cells)

    def row_head(self, *key) -> list[str]:
        return list(map(fmt_value, key))

    def short_label(self, cell, keys: list[str]) -> str:
        return " ".join(f"{k}={fmt_value(cell[k])}" for k in keys or self.cells)

    def stats_columns(self, table: pd.DataFrame) -> pd.DataFrame:
        """One block, so no block column; the pairs under the user's name."""
        return table.drop(columns="block").rename(columns={"seeds": self.pair})


Layout = BninitLayout | ToolLayout


def _row_order(cell: pd.Series, extra_order: list) -> tuple:
    method = cell["bn"]
    extras = tuple(order[cell[key]] for key, order in extra_order)
    return (not is_base_cell(cell), method != "ours", method, cell["gamma"], cell["c"], *extras)


def _method(cell) -> str:
    """BASE for standard BN at gamma 1 and c 1; else the method's name (its gamma and c beside)."""
    return "BASE" if is_base_cell(cell) else str(cell["bn"])


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


def choose_layout(table: pd.DataFrame, path: Path, metric=None, pair=None, cells=None) -> ToolLayout:
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
    return ToolLayout(metric, pair, cells)


def map_runs(table: pd.DataFrame, path: Path, layout: ToolLayout) -> pd.DataFrame:
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
        shown = ", ".join(f"{key}={fmt_value(table[key].iloc[i])}" for key in keys)
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
