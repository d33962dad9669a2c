"""`bninit report`: read a study's CSV (from `bninit collect`), compare cells by seed (with BASE,
with any reference cell, pairwise: `bninit.report.compare`, `bninit.report.defaults`), and write the
paper-style tables (Markdown, LaTeX), a stats CSV and plots.

The numbers come from `bninit.report.stats`; the text from `bninit.report.render`; the figures
from `bninit.report.plots`; `bninit.report.write` puts them in files.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from bninit.errors import UserError
from bninit.report import power, stats
from bninit.report.compare import check_comparison, compare, fmt_value
from bninit.report.defaults import AGAINST_BASE, BASE, PRESET_COMPARISONS, Comparison, detect_preset
from bninit.report.layout import METRIC, REQUIRED, Layout, choose_layout, is_bninit_layout, map_runs, read_csv
from bninit.report.paper import add_paper
from bninit.store.collect import RESULT_COLUMNS

# RESULT_COLUMNS (from collect): a run's outcome; every other column is a config column.
ROW_KEYS = ("bn", "gamma", "c")  # a row of the paper's layout; its columns are the lr values
FORMATS = ("markdown", "latex", "all")


def read_study(
    csv_path: str | Path, metric: str | None = None, pair_by: str | None = None, cells=None
) -> tuple[pd.DataFrame, Layout]:
    """(runs, layout) of any per-seed CSV: a bninit CSV as `read_runs` reads it when none of
    `metric`, `pair_by`, `cells` asks otherwise; else mapped onto bninit's frame (`layout`)."""
    if is_bninit_layout(metric, pair_by, cells):
        return read_runs(csv_path), Layout()
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


@dataclass
class Compared:
    """One comparison's pairs: a row per (cell, reference) with the numbers of `stats.compare_paired`,
    `p_holm` (Holm across this comparison's pairs), `significant` and `better`."""

    spec: Comparison
    alternative: str
    rows: pd.DataFrame


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
    layout: Layout = field(default_factory=Layout)  # the user's columns, for a CSV of another tool

    @property
    def primary(self) -> Compared | None:
        """The comparison of the bold marks: the first one against a reference cell."""
        return next((c for c in self.comparisons if not c.spec.pairwise), None)

    @property
    def extra_keys(self) -> list[str]:
        """Row keys beyond the paper's (method, gamma, c), e.g. input_norm when it is compared."""
        return self.row_keys[len(ROW_KEYS) :]

    def blocks(self) -> list[tuple[str, pd.DataFrame]]:
        """(block title, that block's cells in the paper's row order), in the CSV's order."""
        return list(self.cells.groupby("block", sort=False))


def _row_order(cell: pd.Series, extra_order: list[dict]) -> tuple:
    method = cell["bn"]
    extras = tuple(order[cell[key]] for key, order in extra_order)
    return (method != BASE, method != "ours", method, cell["gamma"], cell["c"], *extras)


def _block_title(values: dict, varying: list[str]) -> str:
    title = f"{values['dataset']} / {values['arch']}"
    extra = [f"{col}={fmt_value(values[col])}" for col in varying if col not in ("dataset", "arch")]
    return " / ".join([title, *extra])


def _cell_seeds(name: str, group: pd.DataFrame, expected: set, layout: Layout) -> tuple[dict, list[str]]:
    """{seed: accuracy} of a cell's finished runs, and what is wrong with its seeds (named as
    `layout` names them: seed and test accuracy, or another tool's pair and metric columns)."""
    unit = layout.unit
    result = layout.metric if layout.foreign else "test accuracy"
    notes = []
    done = group[(group["status"] == "done") & group[METRIC].notna()]
    unfinished = group[~group.index.isin(done.index)]
    for status, rows in unfinished.groupby("status", sort=True):
        what = {"done": f"have no {result}", "": "have no status"}.get(status, status)
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


def analyse(
    runs: pd.DataFrame,
    alpha: float = 0.05,
    holm: bool = False,
    paper: str | None = None,
    comparisons: list[Comparison] | None = None,
    alternative: str = "greater",
    strict: bool = True,
    preset: str | None = None,
    preset_source: str = "",
    show_power: bool = False,
    layout: Layout | None = None,
) -> Report:
    """Group runs into cells, pair each cell with its reference(s) by seed, test, correct, mark.

    `comparisons` None: each cell against the BASE of its block and lr. A block/lr without a
    reference is skipped with a warning, except for a first comparison with BASE when `strict`
    (the report nobody asked anything of): then it is an error.
    """
    if not 0 < alpha < 1:
        raise UserError(f"--alpha {alpha}: must be between 0 and 1 (e.g. 0.05)")
    if alternative not in stats.ALTERNATIVES:
        raise UserError(f"--alternative {alternative!r}: allowed: {', '.join(stats.ALTERNATIVES)}")
    layout = layout or Layout()
    specs = list(comparisons) if comparisons is not None else [AGAINST_BASE]
    if layout.foreign:  # another tool's CSV: its cell columns are the rows, in the CSV's order
        row_keys = list(layout.cells)
    else:
        row_keys = list(dict.fromkeys([*ROW_KEYS, *(k for spec in specs for k in spec.keys())]))
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
            label = _cell_name(first, row_keys, layout)
            title = layout.metric if layout.foreign else _block_title(values, varying)
            name = label if layout.foreign else f"{title} {label} lr={first['lr']:g}"
            accs, notes = _cell_seeds(name, group, expected, layout)
            warnings += notes
            mean, std = stats.mean_std(list(accs.values()))
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
    cells = cells if layout.foreign else _sorted_cells(cells, row_keys)
    cells["best_in_column"] = _column_best(cells, place)
    if paper:
        cells = add_paper(cells, paper)
        if cells["paper_mean"].isna().all():
            warnings.append(
                f"--paper {paper}: no cell of this study is in the paper's Table {paper} "
                "(same dataset, arch, method, gamma, c, lr)"
            )
    compared = []
    for i, spec in enumerate(specs):
        strict_here = strict and i == 0 and spec.is_base
        rows = compare(cells, spec, row_keys, alternative, warnings, strict_here, place, layout.unit)
        if paper and len(rows):  # the paper's difference of the same two cells
            paper_mean = cells["paper_mean"]
            rows["paper_ref_mean"] = paper_mean.loc[rows["ref_index"]].to_numpy()
            rows["paper_diff"] = paper_mean.loc[rows["cell_index"]].to_numpy() - rows["paper_ref_mean"]
        sided = spec.alternative or alternative
        compared.append(Compared(spec, sided, _with_power(_mark(rows, alpha, holm), alpha, sided)))
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
        preset,
        preset_source,
        show_power,
        layout,
    )
    report.cells = _with_primary(cells, report.primary)
    return report


# A comparison's test figures and power figures, in the order both tables list them.
TEST_COLUMNS = (
    "n_pairs",
    "mean_diff",
    "ci_low",
    "ci_high",
    "t",
    "p",
    "p_holm",
    "d_z",
    "wins",
    "wilcoxon_p",
    "wilcoxon_method",
    "significant",
    "better",
)
POWER_COLUMNS = (
    "sd_diff",
    "mde",
    "power_observed",
)
PAIR_COLUMNS = (
    "reference",
    "ref_label",
    "ref_mean",
    *TEST_COLUMNS,
    "pairs",
    "diffs",
    *POWER_COLUMNS,
)
PAPER_PAIR_COLUMNS = ("paper_ref_mean", "paper_diff")
TOST_COLUMNS = ("margin", "tost_p", "equivalent")
POWER_TARGET = 0.8


def _with_power(rows: pd.DataFrame, alpha: float, alternative: str) -> pd.DataFrame:
    """Per pair: sd_diff (std of the paired differences, ddof 1), mde (the smallest true difference
    the test detects with 80 % power at these n and alpha, given sd_diff) and power_observed (the
    power against a true difference of the observed size |mean_diff|, in the tested direction);
    with a margin, `equivalent`: TOST p <= alpha. NaN where undefined (n < 2, sd 0)."""
    rows = rows.copy()
    if rows.empty:
        return rows
    sds = [float(np.std(d, ddof=1)) if len(d) > 1 else np.nan for d in rows["diffs"]]
    rows["sd_diff"] = sds
    rows["mde"] = [
        power.min_detectable(sd, n, alpha, POWER_TARGET, alternative)
        for sd, n in zip(sds, rows["n_pairs"], strict=True)
    ]
    rows["power_observed"] = [
        power.power(abs(m), sd, n, alpha, alternative)
        for m, sd, n in zip(rows["mean_diff"], sds, rows["n_pairs"], strict=True)
    ]
    if "tost_p" in rows:
        rows["equivalent"] = np.nan_to_num(rows["tost_p"].to_numpy(dtype=float), nan=np.inf) <= alpha
    return rows


def _mark(rows: pd.DataFrame, alpha: float, holm: bool) -> pd.DataFrame:
    """Holm across the comparison's pairs; significant: p (Holm p with --holm) <= alpha; better:
    significant with the cell's mean above the reference's."""
    rows = rows.copy()
    rows["p_holm"] = stats.holm(rows["p"]) if len(rows) else []
    p_used = rows["p_holm"] if holm else rows["p"]
    rows["significant"] = np.nan_to_num(p_used.to_numpy(dtype=float), nan=np.inf) <= alpha
    rows["better"] = rows["significant"] & (rows.get("mean_diff", pd.Series(dtype=float)) > 0)
    return rows


def _with_primary(cells: pd.DataFrame, primary: Compared | None) -> pd.DataFrame:
    """Each cell's numbers against its reference in the primary comparison (NaN where it has none:
    the reference cells themselves, cells without one)."""
    columns = [*PAIR_COLUMNS, *(PAPER_PAIR_COLUMNS if "paper_mean" in cells else ())]
    if primary is not None and "tost_p" in primary.rows:
        columns += TOST_COLUMNS
    extra = pd.DataFrame(index=cells.index, columns=columns, dtype=object)
    if primary is not None and len(primary.rows):
        rows = primary.rows.set_index("cell_index")
        extra.loc[rows.index, columns] = rows[columns].to_numpy()
        extra["against"] = pd.Series(primary.spec.label, index=rows.index)
        extra["alternative"] = pd.Series(primary.alternative, index=rows.index)
    for col in (
        "ref_mean",
        "n_pairs",
        "mean_diff",
        "ci_low",
        "ci_high",
        "t",
        "p",
        "p_holm",
        "d_z",
        "wins",
        "wilcoxon_p",
        "sd_diff",
        "mde",
        "power_observed",
        *(col for col in columns[len(PAIR_COLUMNS) :] if col != "equivalent"),
    ):
        extra[col] = pd.to_numeric(extra[col])
    extra["significant"] = extra["significant"].fillna(False).astype(bool)
    extra["better"] = extra["better"].fillna(False).astype(bool)
    return pd.concat([cells, extra], axis=1)


def _sorted_cells(cells: pd.DataFrame, row_keys: list[str]) -> pd.DataFrame:
    """Blocks in the CSV's order; inside, the paper's row order, then lr largest first."""
    blocks = list(dict.fromkeys(cells["block"]))
    extra_order = [
        (key, {v: i for i, v in enumerate(dict.fromkeys(cells[key]))}) for key in row_keys[len(ROW_KEYS) :]
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


def _cell_name(cell, row_keys=ROW_KEYS, layout: Layout | None = None) -> str:
    if layout is not None and layout.foreign:
        return " ".join(f"{key}={fmt_value(cell[key])}" for key in row_keys)
    extras = "".join(f" {key}={fmt_value(cell[key])}" for key in row_keys[len(ROW_KEYS) :])
    if cell["bn"] == BASE:
        return "BASE" + extras
    return f"{cell['bn']} gamma={cell['gamma']:g} c={cell['c']:g}" + extras


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


STATS_COLUMNS = (
    "block",
    "cell",
    "n",
    "seeds",
    "mean",
    "std",
    "against",
    "alternative",
    "reference",
    "ref_mean",
    *TEST_COLUMNS,
    "best_in_column",
    "paper_mean",
    "paper_std",
    "paper_delta_sd",
    "paper_ref_mean",
    "paper_diff",
    *POWER_COLUMNS,
    "margin",
    "tost_p",
    "equivalent",
)


def stats_table(report: Report) -> pd.DataFrame:
    """One row per cell: its config and every number the report shows, against its reference in
    the primary comparison; then one row per pair of each other comparison (`against` says which)."""
    cells = report.cells.copy()
    cells["seeds"] = [" ".join(map(str, accs)) for accs in cells["seed_acc"]]
    cfg = [col for col in cells.columns if col in report.block_cols or col in (*report.row_keys, "lr")]
    pair_cols = (*PAIR_COLUMNS, *PAPER_PAIR_COLUMNS, *TOST_COLUMNS)
    own = [col for col in cells.columns if col not in pair_cols]
    parts = [cells]
    for compared in report.comparisons:
        if compared is report.primary or compared.rows.empty:
            continue
        part = cells.loc[compared.rows["cell_index"], own].reset_index(drop=True)
        rows = compared.rows.reset_index(drop=True)
        part = pd.concat([part, rows[[c for c in rows.columns if c not in part.columns]]], axis=1)
        part["against"], part["alternative"] = compared.spec.label, compared.alternative
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    table = table[cfg + [col for col in STATS_COLUMNS if col in table.columns]]
    if report.layout.foreign:  # one block, named after the metric; the pairs by the user's name
        table = table.drop(columns="block").rename(columns={"seeds": report.layout.pair})
    return table


def choose_comparisons(
    runs: pd.DataFrame, against=(), pairwise=None, preset: str | None = None, layout: Layout | None = None
) -> tuple[list[Comparison] | None, str | None, str]:
    """(comparisons, preset, how it was found): the user's --against / --pairwise, else the
    preset's defaults (--preset, or detected from the CSV's cells), else None (each cell against
    BASE). `against`: KEY=VALUE dicts; `pairwise`: None, or the keys to compare across.
    Another tool's CSV (`layout.foreign`) has no preset: by default its cells are compared pairwise."""
    from bninit.presets import check_preset

    if layout is not None and layout.foreign:
        if preset is not None:
            raise UserError(f"--preset {preset}: only for a CSV `bninit collect` wrote")
        specs = [Comparison(against=dict(where)) for where in against]
        if pairwise is not None or not against:
            specs.append(Comparison(against=None, across=tuple(pairwise or ())))
        for spec in specs:
            check_comparison(runs, spec, list(layout.cells), fixed=())
        return specs, None, ""
    if preset is not None:
        check_preset(preset)
    found, how = (preset, "given") if preset else (detect_preset(runs), "detected")
    if against or pairwise is not None:
        specs = [Comparison(against=dict(where)) for where in against]
        if pairwise is not None:
            specs.append(Comparison(against=None, across=tuple(pairwise)))
        for spec in specs:
            check_comparison(runs, spec, config_columns(runs))
        return specs, found, how
    if found is None:
        return None, None, ""
    specs = PRESET_COMPARISONS.get(found)
    return (list(specs) if specs else None), found, how
