"""The study at a glance: the learning curves and the grid, each PNG beside its numbers' CSV (plots/):

* `<block>-curves.png` / `.csv`: learning curves per cell (`curves`), read from the
  runs' histories in the directories the CSV's run_dir column names;
* `<block>-grid.png` / `.csv`: the gamma x lr heatmap of the mean difference to the reference
  cell (`grid`), from the report's own numbers.

With --paper (or else --reference) each square also carries its cell's reproduction verdict
(consistent / higher / lower / inconclusive), in the PNG and the CSV; without either the grid shows
the numbers and significance only."""

from pathlib import Path

import pandas as pd

from bninit.atomic import write_text
from bninit.report.figures.block_plots import slug
from bninit.report.figures.curves import curve_table, plot_curves
from bninit.report.figures.grid import grid_table, plot_grid
from bninit.report.inputs.layout import fmt_value, is_base_cell
from bninit.report.judge.analysis import Report
from bninit.store.study import read_history

NO_RUNS = (
    "no learning curves: they need the runs' directories (the CSV's run_dir column names them), not here"
)


def _save_table(table: pd.DataFrame, path: Path) -> Path:
    write_text(path, table.to_csv(index=False))
    return path


def report_epochs(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per epoch of every run of `cells` (a report's cells, with their run_dirs) whose
    directory still holds a history: block, lr, label, run_dir and the history's columns."""
    parts = []
    for _, cell in cells.iterrows():
        for run_dir in cell["run_dirs"]:
            history = read_history(run_dir)
            if history:
                part = pd.DataFrame(history)
                part.insert(0, "run_dir", run_dir)
                part.insert(0, "label", cell["label"])
                part.insert(0, "lr", cell["lr"])
                part.insert(0, "block", cell["block"])
                parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def with_verdicts(cells: pd.DataFrame, reproductions: list) -> pd.DataFrame:
    """`cells` with a `verdict` column from the first judgement (the paper's, else the reference's),
    matched on the cell keys both share (values compared as numbers where they are numbers)."""
    if not reproductions or reproductions[0].rows.empty:
        return cells
    rows = reproductions[0].rows
    keys = [k for k in rows.columns[: list(rows.columns).index("n")] if k in cells.columns]

    def key(frame: pd.DataFrame) -> pd.Series:
        return frame[keys].apply(lambda row: "|".join(fmt_value(_number(v)) for v in row), axis=1)

    verdicts = dict(zip(key(rows), rows["verdict"], strict=True))
    return cells.assign(verdict=[verdicts.get(k, "") for k in key(cells)])


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _method(cell, extra_keys) -> str:
    """The heatmap a compared cell belongs to: its row name without gamma."""
    if is_base_cell(cell):
        return cell["label"]
    return f"{cell['bn']} c={cell['c']:g}" + "".join(f" {key}={fmt_value(cell[key])}" for key in extra_keys)


def write_pictures(report: Report, out_dir: Path) -> tuple[list[Path], list[str]]:
    """(files written, notes for the user): per block the curves and the grid, each PNG with its CSV.
    A block without histories or without compared cells gets no such figure."""
    if not report.layout.own:  # drawn over bninit's gamma and lr
        return [], []
    written, notes = [], []
    epochs = report_epochs(report.cells)
    references = set(report.cells["ref_label"].dropna())
    if epochs.empty:
        notes.append(NO_RUNS)
    for title, cells in report.blocks():
        name = slug(title)
        mine = epochs[epochs["block"] == title] if len(epochs) else epochs
        if len(mine):
            table = curve_table(mine)
            written.append(_save_table(table, out_dir / f"{name}-curves.csv"))
            written.append(plot_curves(table, title, out_dir / f"{name}-curves.png", references))
        compared = with_verdicts(cells, report.reproductions).assign(
            method=[_method(cell, report.extra_keys) for _, cell in cells.iterrows()]
        )
        grid = grid_table(compared)
        if len(grid):
            written.append(_save_table(grid, out_dir / f"{name}-grid.csv"))
            written.append(plot_grid(grid, title, out_dir / f"{name}-grid.png"))
    return written, notes
