"""The analysed study (`Report`): the runs grouped into cells (their seeds, mean ± std, the
paper's numbers beside them) and every comparison's seed pairs tested and marked
(`bninit.report.judge.pairs`). The writers and figures read it; nothing in it is text yet."""

from dataclasses import dataclass, field

import pandas as pd

from bninit.errors import UserError
from bninit.report.inputs.layout import METRIC, BninitLayout, Layout
from bninit.report.inputs.options import ReportOptions
from bninit.report.inputs.paper import add_paper
from bninit.report.inputs.study import ROW_KEYS, block_columns, config_columns
from bninit.report.judge.comparisons import AGAINST_BASE, Choice
from bninit.report.judge.pairs import Compared, compare_all, with_primary
from bninit.report.stats.paired import ALTERNATIVES, mean_std


@dataclass
class Report:
    """The analysed study: one row per cell in `cells` (config, numbers, the first comparison that
    has a reference cell, paper), and every comparison's pairs in `comparisons`."""

    cells: pd.DataFrame
    block_cols: list[str]
    alpha: float
    holm: bool
    paper: str | None
    warnings: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)  # config values shared by every run
    row_keys: list[str] = field(default_factory=lambda: list(ROW_KEYS))
    comparisons: list[Compared] = field(default_factory=list)
    preset: str | None = None
    preset_source: str = ""  # "given" (--preset) or "detected" (from the CSV's cells)
    power: bool = False  # show the power columns and notes (--power); stats.csv always has them
    layout: Layout = field(default_factory=BninitLayout)  # bninit's columns, or another tool's
    reproductions: list = field(default_factory=list)  # judgements against the paper / a reference
    claims: pd.DataFrame | None = None  # the paper's claims judged on this study (with --paper)

    @property
    def primary(self) -> Compared | None:
        """The comparison of the bold marks: the first one against a reference cell."""
        return next((c for c in self.comparisons if not c.spec.pairwise), None)

    @property
    def extra_keys(self) -> list[str]:
        """Row keys beyond the paper's (method, gamma, c), e.g. input_norm when it is compared."""
        return self.row_keys[len(ROW_KEYS) :]

    @property
    def n_tested(self) -> int:
        """How many cells have a test against their reference in the primary comparison (the
        family Holm corrects across)."""
        return int((self.cells["n_pairs"] >= 2).sum())

    def blocks(self) -> list[tuple[str, pd.DataFrame]]:
        """(block title, that block's cells in the paper's row order), in the CSV's order."""
        return list(self.cells.groupby("block", sort=False))


def _cell_seeds(name: str, group: pd.DataFrame, expected: set, layout: Layout) -> tuple[dict, list[str]]:
    """{seed: accuracy} of a cell's finished runs, and what is wrong with its seeds (named as
    `layout` names them: seed and test accuracy, or another tool's pair and metric columns)."""
    unit = layout.unit
    notes = []
    done = group[(group["status"] == "done") & group[METRIC].notna()]
    unfinished = group[~group.index.isin(done.index)]
    for status, rows in unfinished.groupby("status", sort=True):
        what = {"done": f"have no {layout.result}", "": "have no status"}.get(status, status)
        notes.append(f"{name}: {unit}(s) {_seed_list(rows['seed'])} {what}, left out")
    counts = done["seed"].value_counts()
    duplicated = sorted(counts[counts > 1].index)
    if duplicated:
        notes.append(
            f"{name}: {unit}(s) {_seed_list(duplicated)} appear more than once; the first row of each is used"
        )
    missing = sorted(expected - set(group["seed"]))
    if missing:
        notes.append(f"{name}: {unit}(s) {_seed_list(missing)} missing (present in other cells)")
    accs = done.drop_duplicates("seed", keep="first").set_index("seed")[METRIC]
    return {_pair_key(s): float(a) for s, a in sorted(accs.items())}, notes


def _pair_key(seed):
    """A seed as a plain int; another tool's pair value (e.g. "run-a") as it is."""
    return seed if isinstance(seed, str) else int(seed)


def _seed_list(seeds) -> str:
    return ", ".join(str(_pair_key(s)) for s in seeds)


def analyse(runs: pd.DataFrame, options: ReportOptions | None = None, choice: Choice | None = None) -> Report:
    """Group runs into cells, pair each cell with its reference(s) by seed, test, correct, mark.

    `choice.comparisons` None: each cell against the BASE of its block and lr. A block/lr without
    a reference is skipped with a warning, except for a first comparison with BASE when
    `choice.strict` (the report nobody asked anything of): then it is an error.
    """
    options, choice = options or ReportOptions(), choice or Choice()
    alpha, holm, paper, layout = options.alpha, options.holm, options.paper, choice.layout
    alternative, strict, comparisons = options.alternative or "greater", choice.strict, choice.comparisons
    if not 0 < alpha < 1:
        raise UserError(f"--alpha {alpha}: must be between 0 and 1 (e.g. 0.05)")
    if alternative not in ALTERNATIVES:
        raise UserError(f"--alternative {alternative!r}: allowed: {', '.join(ALTERNATIVES)}")
    specs = list(comparisons) if comparisons is not None else [AGAINST_BASE]
    row_keys = layout.row_keys([k for spec in specs for k in spec.keys()])
    place = list(layout.place)
    cfg_cols, blk_cols = config_columns(runs), block_columns(runs, row_keys)
    varying = [col for col in blk_cols if runs[col].nunique() > 1]
    settings = {col: runs[col].iloc[0] for col in blk_cols if col not in varying}
    records, warnings = [], []
    blocks = runs.groupby(blk_cols, sort=False, dropna=False) if blk_cols else [((), runs)]
    for _, block in blocks:
        expected = set(block["seed"])
        for _, group in block.groupby(row_keys + place, sort=False, dropna=False):
            first = group.iloc[0]
            values = {col: first[col] for col in cfg_cols}
            label = layout.cell_label(first, row_keys)
            title = layout.block_title(values, varying)
            name = layout.cell_name(title, label, first)
            accs, notes = _cell_seeds(name, group, expected, layout)
            warnings += notes
            mean, std = mean_std(list(accs.values()))
            records.append(
                {
                    **values,
                    "block": title,
                    "cell": name,
                    "label": label,
                    "n": len(accs),
                    "mean": mean,
                    "std": std,
                    "seed_acc": accs,
                    "run_dirs": _run_dirs(group),
                }
            )
    cells = pd.DataFrame(records)
    cells = layout.sort(cells, row_keys)
    cells["best_in_column"] = _column_best(cells, place)
    if paper:
        cells = add_paper(cells, paper)
        if cells["paper_mean"].isna().all():
            warnings.append(
                f"--paper {paper}: no cell of this study is in the paper's Table {paper} "
                "(same dataset, arch, method, gamma, c, lr)"
            )
    compared = compare_all(
        cells, specs, row_keys, alpha, holm, alternative, warnings, strict, layout, bool(paper)
    )
    report = Report(
        cells,
        blk_cols,
        alpha,
        holm,
        paper,
        list(dict.fromkeys(warnings)),
        settings,
        row_keys,
        compared,
        choice.preset,
        choice.preset_source,
        options.show_power,
        layout,
    )
    report.cells = with_primary(cells, report.primary)
    return report


def _run_dirs(group: pd.DataFrame) -> list[str]:
    if "run_dir" not in group:
        return []
    done = group[group["status"] == "done"].drop_duplicates("seed")
    return [str(d) for d in done["run_dir"].dropna()]


def _column_best(cells: pd.DataFrame, place=("lr",)) -> pd.Series:
    """True for the highest mean of each column (block, lr) at the shown precision; ties all win."""
    shown = cells["mean"].round(2)
    best = shown.groupby([cells[key] for key in ("block", *place)]).transform("max")
    return (shown == best) & shown.notna()
