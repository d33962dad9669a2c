"""The tables of a study's cells and pairs, as neutral tables (`neutral_table`): a block's
paper-style table (rows: method and gamma, BASE first; columns: learning rate), a table per
comparison with a reference cell, and a matrix per learning rate for a pairwise comparison. Bold:
better than the reference (BASE by default); underlined: the highest mean of the column; dagger:
no test."""

import math

import pandas as pd

from bninit.report.judge.analysis import Compared, Report
from bninit.report.write import words
from bninit.report.write.neutral_table import DIAGONAL, MISSING, Cell, Table, cells
from bninit.report.write.words import (
    equivalence_verdict,
    fmt_num,
    fmt_p,
    fmt_power,
    lrs,
    power_note,
    reference_name,
    verdict,
)


def _rows(report: Report, block: pd.DataFrame) -> dict:
    """The rows of a block in paper order: (method, gamma, c, extra keys) -> {lr: cell}."""
    rows: dict[tuple, dict] = {}
    for _, cell in block.iterrows():
        rows.setdefault(tuple(cell[k] for k in report.row_keys), {})[cell["lr"]] = cell
    return rows


def value_cell(cell) -> Cell:
    """mean ± std (n), bold when better than the reference, underlined when best of its column,
    a dagger when it has a reference but no test."""
    return Cell(
        f"{fmt_num(cell['mean'])} ± {fmt_num(cell['std'])}",
        bold=bool(cell["better"]),
        under=bool(cell["best_in_column"]),
        dagger=isinstance(cell["reference"], str) and not cell["n_pairs"] >= 2,
        suffix=f" ({cell['n']})",
    )


def key_head(report: Report) -> list[str]:
    """The headers of a row's keys: the user's cell columns, or method, γ, c (and extra keys)."""
    return report.layout.key_head(report.extra_keys)


def _paper_cells(cell) -> list[Cell]:
    if cell is None or math.isnan(cell["paper_mean"]):
        return cells(["-", "-"])
    if math.isnan(cell["paper_std"]):  # a mean published without a std
        return cells([f"{cell['paper_mean']:.2f}", "-"])
    return cells([f"{cell['paper_mean']:.2f} ± {cell['paper_std']:.2f}", f"{cell['paper_delta_sd']:+.1f}"])


def block_table(report: Report, block: pd.DataFrame) -> Table:
    """A block's main table: without column keys (another tool's CSV), one row per cell with the
    metric; with them (bninit's lr), the paper's layout, with the paper's numbers beside each lr
    when asked."""
    layout = report.layout
    if not layout.place:
        body = [
            [*cells(layout.row_head(*(c[k] for k in report.row_keys))), value_cell(c)]
            for _, c in block.iterrows()
        ]
        return Table(cells([*key_head(report), layout.metric]), body, "l" * len(report.row_keys) + "r")
    columns = lrs(block)
    head = [Cell("method", tex="Method"), Cell("γ"), Cell("c", tex="$c$"), *cells(report.extra_keys)]
    keys = len(head)
    for lr in columns:
        head.append(Cell(f"lr {lr:g}", tex=f"$\\eta = {lr:g}$"))
        head += [Cell("paper"), Cell("Δ/σ", tex="$\\Delta/\\sigma$")] if report.paper else []
    body = []
    for key, by_lr in _rows(report, block).items():
        row = cells(layout.row_head(*key))
        for lr in columns:
            cell = by_lr.get(lr)
            row.append(Cell(empty=MISSING) if cell is None else value_cell(cell))
            row += _paper_cells(cell) if report.paper else []
        body.append(row)
    rest = len(head) - keys
    return Table(head, body, "l" * keys + "r" * rest, tex_align="lrr" + "l" * (keys - 3) + "r" * rest)


def against_table(report: Report, compared: Compared, rows: pd.DataFrame) -> Table:
    """One block's pairs of a comparison with a reference: a row per pair, every test figure."""
    show_ref = not compared.spec.is_base
    ref, short = reference_name(compared), "BASE" if compared.spec.is_base else "reference"
    sided, unit, place = words.sided(compared.alternative), report.layout.unit, report.layout.place
    head = [
        *key_head(report),
        *place,
        *(["vs"] if show_ref else []),
        "pairs",
        "Δ mean [95% CI]",
        "t",
        "p",
        "p Holm",
        "d_z",
        "wins",
        "Wilcoxon p",
        "Wilcoxon",
        "verdict",
        *(["paper Δ"] if report.paper else []),
    ]
    margin = compared.spec.equivalence
    if margin is not None:
        head += [f"TOST p (±{margin:g})", "equivalence"]
    if report.power:
        head += ["MDE (80%)", "power vs obs. Δ"]
    align = "l" * (len(report.row_keys) + len(place) + show_ref) + "r" * 8 + "ll" + "r" * bool(report.paper)
    align += "rl" * (margin is not None) + "rr" * report.power
    body = []
    for _, pair in rows.iterrows():
        cell = report.cells.loc[pair["cell_index"]]
        testable = pair["n_pairs"] >= 2
        ci = (
            f"{pair['mean_diff']:+.2f} [{pair['ci_low']:+.2f}, {pair['ci_high']:+.2f}]"
            if testable
            else fmt_num(pair["mean_diff"])
        )
        line = [
            *report.layout.row_head(*(cell[k] for k in report.row_keys)),
            *(f"{cell[key]:g}" for key in place),
            *([pair["ref_label"]] if show_ref else []),
            str(int(pair["n_pairs"])),
            ci,
            fmt_num(pair["t"]),
            fmt_p(pair["p"]),
            fmt_p(pair["p_holm"]),
            fmt_num(pair["d_z"]),
            f"{int(pair['wins'])}/{int(pair['n_pairs'])}",
            fmt_p(pair["wilcoxon_p"]),
            pair["wilcoxon_method"],
            verdict(pair, report.alpha, report.holm),
        ]
        if report.paper:
            line.append("-" if math.isnan(pair["paper_diff"]) else f"{pair['paper_diff']:+.2f}")
        if margin is not None:
            line += [fmt_p(pair["tost_p"]), equivalence_verdict(pair, report.alpha)]
        if report.power:
            line += [fmt_num(pair["mde"]), fmt_power(pair["power_observed"])]
        body.append(cells(line))
    chosen = " ".join(f"{k}={v}" for k, v in compared.spec.cells.items())
    intro = (
        f"Paired comparison{f' of the cells with {chosen}' if chosen else ''} with {ref} "
        f"(Δ = cell - {short} per {unit}; p: {sided} paired t; d_z = mean Δ / std Δ; wins: {unit}s "
        f"where the cell beat {ref}; Wilcoxon: {sided} signed-rank p and how scipy computed "
        f"it: exact, permutation or normal approx."
    )
    intro += "; paper Δ: the same difference in the paper's table" if report.paper else ""
    if margin is not None:
        intro += (
            f"; TOST p: the larger p of two one-sided paired t-tests, H1: Δ > -{margin:g} and "
            f"H1: Δ < +{margin:g}; equivalent when it is <= {report.alpha:g}"
        )
    if report.power:
        intro += (
            f"; MDE: the true mean difference this test detects with 80% power at these n and "
            f"α = {report.alpha:g}, from the std of Δ; power vs obs. Δ: against a true difference the "
            f"size of the observed one"
        )
    intro += "):"
    labels = {
        i: " ".join(
            [
                report.cells.loc[pair["cell_index"], "label"].replace("gamma=", "γ="),
                *(f"lr {pair[k]:g}" for k in place),
            ]
        )
        for i, pair in rows.iterrows()
    }
    return Table(cells(head), body, align, intro, power_note(report, rows, labels))


def short_labels(report: Report, cells: pd.DataFrame) -> list[str]:
    """Cell names from the row keys that differ among `cells` (e.g. input_norm=fixed)."""
    varying = [k for k in report.row_keys if cells[k].nunique() > 1]
    return [report.layout.short_label(cell, varying) for _, cell in cells.iterrows()]


def pairwise_matrix(report: Report, compared: Compared, rows: pd.DataFrame) -> Table:
    """One block and lr's pairwise comparison: entry (row, column) = mean paired difference
    row - column and its p (H1: row > column when one-sided)."""
    members = sorted(set(rows["cell_index"]) | set(rows["ref_index"]))
    labels = short_labels(report, report.cells.loc[members])
    margin = compared.spec.equivalence
    found = {}
    for _, pair in rows.iterrows():
        found[(pair["cell_index"], pair["ref_index"])] = (pair, 1)
        found.setdefault((pair["ref_index"], pair["cell_index"]), (pair, -1))  # two-sided: symmetric
    body = []
    for a, label in zip(members, labels, strict=True):
        line = [Cell(label)]
        for b in members:
            if a == b:
                line.append(Cell(empty=DIAGONAL))
                continue
            pair, sign = found[(a, b)]
            p = pair["p_holm"] if report.holm else pair["p"]
            text = f"{sign * pair['mean_diff']:+.2f} (p {fmt_p(p)})" if pair["n_pairs"] >= 2 else "no test"
            if report.paper and not math.isnan(pair["paper_diff"]):
                text += f", paper {sign * pair['paper_diff']:+.2f}"
            if margin is not None and pair["n_pairs"] >= 2:
                text += f", TOST {fmt_p(pair['tost_p'])}{' ≈' if pair['equivalent'] else ''}"
            line.append(Cell(text, bold=bool(pair["significant"])))
        body.append(line)
    methods = rows["wilcoxon_method"].value_counts()
    sided = words.sided(compared.alternative)
    h1 = "row > column" if compared.alternative == "greater" else "row ≠ column"
    where = "".join(f", lr {rows[key].iloc[0]:g}" for key in report.layout.place)
    intro = (
        f"Pairwise comparison{where} (entry: Δ = row - column, the mean difference over paired "
        f"{report.layout.unit}s, and the {sided} paired-t p{' (Holm)' if report.holm else ''}"
        f", H1: {h1}; bold: p <= {report.alpha:g}; the {sided} Wilcoxon signed-rank p of each pair "
        f"is in stats.csv, computed here by: "
        + ", ".join(f"{method} ({count} pairs)" for method, count in methods.items())
    )
    if margin is not None:
        intro += (
            f"; TOST: the paired equivalence p for |Δ| < {margin:g} (two one-sided paired t-tests, "
            f"the larger p); ≈: equivalent within ±{margin:g} at α = {report.alpha:g}"
        )
    intro += "):"
    name = dict(zip(members, labels, strict=True))
    pair_names = {i: f"{name[p['cell_index']]} vs {name[p['ref_index']]}" for i, p in rows.iterrows()}
    note = power_note(report, rows, pair_names)
    return Table(cells(["Δ row - column", *labels]), body, "l" + "r" * len(members), intro, note)


def comparison_tables(report: Report, title: str) -> list[Table]:
    """Every comparison table of one block: a table per comparison with a reference, then a matrix
    per learning rate for a pairwise comparison."""
    tables = []
    for compared in report.comparisons:
        rows = compared.rows[compared.rows["block"] == title] if len(compared.rows) else compared.rows
        if rows.empty:
            continue
        if not compared.spec.pairwise:
            tables.append(against_table(report, compared, rows))
            continue
        for part in _by_place(rows, report.layout.place):
            tables.append(pairwise_matrix(report, compared, part))
    return tables


def _by_place(rows: pd.DataFrame, place: tuple[str, ...]) -> list[pd.DataFrame]:
    """The pairs of each column of the table (each lr, largest first); no column keys: all of them."""
    if not place:
        return [rows]
    groups = rows.groupby(list(place), sort=True)
    return [group for _, group in reversed(list(groups))]
