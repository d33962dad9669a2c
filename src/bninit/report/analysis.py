"""`bninit report`: read a study's CSV (from `bninit collect`), compare every cell with its BASE by
seed, and write the paper-style tables (Markdown, LaTeX), a stats CSV and plots.

The numbers come from `bninit.report.stats`; the text from `bninit.report.render`; the figures from `bninit.report.plots`.
"""

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from bninit.errors import UserError
from bninit.report import stats
from bninit.report.paper import PAPER_TABLES, add_paper
from bninit.store.collect import RESULT_COLUMNS

# RESULT_COLUMNS (from collect): a run's outcome; every other column is a config column.
REQUIRED = ("dataset", "arch", "bn", "gamma", "c", "lr", "seed", "test_acc_at_best_val", "status")
METRIC = "test_acc_at_best_val"
ROW_KEYS = ("bn", "gamma", "c")  # a row of the paper's layout; its columns are the lr values
BASE = "base"
FORMATS = ("markdown", "latex", "all")


def read_runs(csv_path: str | Path) -> pd.DataFrame:
    """The runs of a study, checked: one-line UserError for anything that is not a bninit CSV."""
    path = Path(csv_path)
    if not path.is_file():
        raise UserError(f"{path}: no such file (make one with `bninit collect <runs dir> -o {path}`)")
    try:
        runs = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise UserError(f"{path}: the file is empty (no header, no runs)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: not a readable CSV ({str(err).splitlines()[0]})") from None
    missing = [col for col in REQUIRED if col not in runs.columns]
    if missing:
        raise UserError(f"{path}: not a bninit results CSV: missing column(s) {', '.join(missing)} "
                        f"(expected the columns `bninit collect` writes)")
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


def block_columns(runs: pd.DataFrame) -> list[str]:
    """What a block (one paper table) shares: the config minus the row keys and the lr."""
    return [col for col in config_columns(runs) if col not in (*ROW_KEYS, "lr")]


@dataclass
class Report:
    """The analysed study: one row per cell in `cells` (config, numbers, comparison, paper)."""

    cells: pd.DataFrame
    block_cols: list[str]
    alpha: float
    holm: bool
    paper: str | None
    warnings: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)  # config values shared by every run

    def blocks(self) -> list[tuple[str, pd.DataFrame]]:
        """(block title, that block's cells in the paper's row order), in the CSV's order."""
        return list(self.cells.groupby("block", sort=False))


def _row_order(cell: pd.Series) -> tuple:
    method = cell["bn"]
    return (method != BASE, method != "ours", method, cell["gamma"], cell["c"])


def _fmt_value(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _block_title(values: dict, varying: list[str]) -> str:
    title = f"{values['dataset']} / {values['arch']}"
    extra = [f"{col}={_fmt_value(values[col])}" for col in varying if col not in ("dataset", "arch")]
    return " / ".join([title, *extra])


def _cell_seeds(name: str, group: pd.DataFrame, expected: set[int]) -> tuple[dict, list[str]]:
    """{seed: accuracy} of a cell's finished runs, and what is wrong with its seeds."""
    notes = []
    done = group[(group["status"] == "done") & group[METRIC].notna()]
    unfinished = group[~group.index.isin(done.index)]
    for status, rows in unfinished.groupby("status", sort=True):
        what = {"done": "have no test accuracy", "": "have no status"}.get(status, status)
        notes.append(f"{name}: seed(s) {_seed_list(rows['seed'])} {what}, left out")
    counts = done["seed"].value_counts()
    duplicated = sorted(counts[counts > 1].index)
    if duplicated:
        notes.append(f"{name}: seed(s) {_seed_list(duplicated)} appear more than once; "
                     "the first row of each is used")
    missing = sorted(expected - set(group["seed"]))
    if missing:
        notes.append(f"{name}: seed(s) {_seed_list(missing)} missing (present in other cells)")
    accs = done.drop_duplicates("seed", keep="first").set_index("seed")[METRIC]
    return {int(s): float(a) for s, a in sorted(accs.items())}, notes


def _seed_list(seeds) -> str:
    return ", ".join(str(int(s)) for s in seeds)


def analyse(runs: pd.DataFrame, alpha: float = 0.05, holm: bool = False,
            paper: str | None = None) -> Report:
    """Group runs into cells, pair each with its BASE by seed, test, correct, mark."""
    if not 0 < alpha < 1:
        raise UserError(f"--alpha {alpha}: must be between 0 and 1 (e.g. 0.05)")
    cfg_cols, blk_cols = config_columns(runs), block_columns(runs)
    varying = [col for col in blk_cols if runs[col].nunique() > 1]
    settings = {col: runs[col].iloc[0] for col in blk_cols if col not in varying}
    records, warnings = [], []
    for _, block in runs.groupby(blk_cols, sort=False, dropna=False):
        expected = set(block["seed"])
        for _, group in block.groupby(list(ROW_KEYS) + ["lr"], sort=False, dropna=False):
            first = group.iloc[0]
            values = {col: first[col] for col in cfg_cols}
            name = f"{_block_title(values, varying)} {_cell_name(first)} lr={first['lr']:g}"
            accs, notes = _cell_seeds(name, group, expected)
            warnings += notes
            mean, std = stats.mean_std(list(accs.values()))
            records.append({**values, "block": _block_title(values, varying), "cell": name,
                            "n": len(accs), "mean": mean, "std": std, "seed_acc": accs,
                            "run_dirs": _run_dirs(group)})
    cells = pd.DataFrame(records)
    cells = _compare_with_base(cells, warnings)
    p_used = stats.holm(cells["p"]) if holm else cells["p"].to_numpy()
    cells["p_holm"] = stats.holm(cells["p"])
    cells["significant"] = np.nan_to_num(p_used, nan=np.inf) <= alpha
    cells["best_in_column"] = _column_best(cells)
    if paper:
        cells = add_paper(cells, paper)
        if cells["paper_mean"].isna().all():
            warnings.append(f"--paper {paper}: no cell of this study is in the paper's Table {paper} "
                            "(same dataset, arch, method, gamma, c, lr)")
    order = sorted(range(len(cells)), key=lambda i: (_block_rank(cells, i), _row_order(cells.iloc[i]),
                                                     -cells.iloc[i]["lr"]))
    cells = cells.iloc[order].reset_index(drop=True)
    return Report(cells, blk_cols, alpha, holm, paper, warnings, settings)


def _cell_name(cell) -> str:
    if cell["bn"] == BASE:
        return "BASE"
    return f"{cell['bn']} gamma={cell['gamma']:g} c={cell['c']:g}"


def _block_rank(cells: pd.DataFrame, i: int) -> int:
    return list(dict.fromkeys(cells["block"])).index(cells.iloc[i]["block"])


def _run_dirs(group: pd.DataFrame) -> list[str]:
    if "run_dir" not in group:
        return []
    done = group[group["status"] == "done"].drop_duplicates("seed")
    return [str(d) for d in done["run_dir"].dropna()]


def _compare_with_base(cells: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    """Pair every non-BASE cell with the BASE of its block and lr, seed by seed."""
    base_of, orphans = {}, []
    for i, cell in cells.iterrows():
        if cell["bn"] == BASE:
            key = (cell["block"], cell["lr"])
            if key in base_of:
                raise UserError(f"two BASE cells for {cell['block']} lr={cell['lr']:g} "
                                f"({cells.loc[base_of[key], 'cell']}; {cell['cell']}); keep one")
            base_of[key] = i
    comparisons = []
    for _, cell in cells.iterrows():
        base_index = base_of.get((cell["block"], cell["lr"]))
        if cell["bn"] == BASE:
            comparisons.append({"base_n": cell["n"], "pairs": sorted(cell["seed_acc"])})
            continue
        if base_index is None:
            orphans.append(f"{cell['block']} lr={cell['lr']:g}")
            continue
        base = cells.loc[base_index]
        ours, theirs = cell["seed_acc"], base["seed_acc"]
        paired = sorted(set(ours) & set(theirs))
        unpaired = sorted(set(ours) - set(theirs))
        if unpaired:
            warnings.append(f"{cell['cell']}: seed(s) {_seed_list(unpaired)} have no BASE run "
                            "with the same seed; not paired")
        result = stats.compare_paired([ours[s] for s in paired], [theirs[s] for s in paired])
        if not result.testable:
            warnings.append(f"{cell['cell']}: {len(paired)} seed(s) paired with BASE; "
                            "no test (needs at least 2)")
        comparisons.append({"base_mean": base["mean"], "base_n": base["n"], "pairs": paired,
                            "diffs": [ours[s] - theirs[s] for s in paired], **result.to_dict()})
    if orphans:
        raise UserError("no BASE cell (bn=base) to compare with for: "
                        + "; ".join(dict.fromkeys(orphans)) + " (add BASE runs for these)")
    extra = pd.DataFrame(comparisons, index=cells.index)
    for col in ("n_pairs", "mean_diff", "ci_low", "ci_high", "t", "p", "d_z", "wins", "wilcoxon_p",
                "base_mean"):
        if col not in extra:
            extra[col] = np.nan
    return pd.concat([cells, extra.drop(columns=["base_n"])], axis=1)


def _column_best(cells: pd.DataFrame) -> pd.Series:
    """True for the highest mean of each column (block, lr) at the shown precision; ties all win."""
    shown = cells["mean"].round(2)
    best = shown.groupby([cells["block"], cells["lr"]]).transform("max")
    return (shown == best) & shown.notna()


STATS_COLUMNS = ("block", "cell", "n", "seeds", "mean", "std", "base_mean", "n_pairs", "mean_diff",
                 "ci_low", "ci_high", "t", "p", "p_holm", "d_z", "wins", "wilcoxon_p", "significant",
                 "best_in_column", "paper_mean", "paper_std", "paper_delta_sd")


def stats_table(report: Report) -> pd.DataFrame:
    """One row per cell: its config and every number the report shows."""
    cells = report.cells.copy()
    cells["seeds"] = [" ".join(map(str, accs)) for accs in cells["seed_acc"]]
    cfg = [col for col in cells.columns if col in report.block_cols or col in (*ROW_KEYS, "lr")]
    return cells[cfg + [col for col in STATS_COLUMNS if col in cells.columns]]


@dataclass(frozen=True)
class ReportPaths:
    """Where `write_report` put everything (None: that format was not asked for), and the analysis."""

    out_dir: Path
    markdown: Path | None
    latex: Path | None
    stats_csv: Path
    plots: list[Path]
    report: Report


def write_report(csv_path: str | Path, out_dir: str | Path | None = None, alpha: float = 0.05,
                 holm: bool = False, paper: str | None = None, fmt: str = "all",
                 plots: bool = True) -> ReportPaths:
    """Analyse `csv_path` and write report.md / report.tex / stats.csv / plots/*.png into `out_dir`
    (default: the CSV's path without its suffix, e.g. results/table1a/)."""
    from bninit.atomic import write_text
    from bninit.report.render import render_latex, render_markdown

    if fmt not in FORMATS:
        raise UserError(f"--format {fmt!r}: allowed: {', '.join(FORMATS)}")
    if paper is not None and paper not in PAPER_TABLES:
        raise UserError(f"--paper {paper!r}: unknown table; known: {', '.join(PAPER_TABLES)}")
    report = analyse(read_runs(csv_path), alpha=alpha, holm=holm, paper=paper)
    out = Path(out_dir) if out_dir is not None else Path(csv_path).with_suffix("")
    out.mkdir(parents=True, exist_ok=True)

    def save(name: str, text: str) -> Path:
        write_text(out / name, text)
        return out / name

    markdown = save("report.md", render_markdown(report)) if fmt in ("markdown", "all") else None
    latex = save("report.tex", render_latex(report)) if fmt in ("latex", "all") else None
    stats_csv = save("stats.csv", stats_table(report).to_csv(index=False))
    figures = []
    if plots:
        from bninit.report.plots import write_plots

        figures = write_plots(report, out / "plots")
    return ReportPaths(out, markdown, latex, stats_csv, figures, report)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, like every other bad input
        raise UserError(message)


def report_cli(args: list[str]) -> int:
    """`bninit report CSV [...]`: the table on stdout, the files under -o DIR."""
    parser = _Parser(prog="bninit report", description="Significance tables and plots of a study.")
    parser.add_argument("csv", help="results CSV written by `bninit collect`")
    parser.add_argument("--format", choices=FORMATS, default="all",
                        help="table files to write; markdown or all print Markdown, latex prints LaTeX")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    parser.add_argument("--holm", action="store_true",
                        help="Holm-correct the p-values across all comparisons of the report")
    parser.add_argument("--paper", choices=PAPER_TABLES, help="show the paper's numbers of this table")
    parser.add_argument("--no-plots", dest="plots", action="store_false", help="skip the PNG plots")
    parser.add_argument("-o", "--out", metavar="DIR",
                        help="output directory (default: the CSV path minus .csv)")
    opts = parser.parse_args(args)
    paths = write_report(opts.csv, opts.out, alpha=opts.alpha, holm=opts.holm,
                                 paper=opts.paper, fmt=opts.format, plots=opts.plots)
    shown = paths.latex if opts.format == "latex" else paths.markdown
    print(shown.read_text(), end="")
    written = [p for p in (paths.markdown, paths.latex, paths.stats_csv, *paths.plots) if p]
    print(f"wrote {len(written)} files to {paths.out_dir}/: "
          + ", ".join(str(p.relative_to(paths.out_dir)) for p in written), file=sys.stderr)
    return 0
