"""The report as text: paper-style tables in Markdown and LaTeX (booktabs), from an analysed Report.

Layout per block (one dataset/arch/... combination): rows = method and gamma (BASE first), columns =
learning rate. Bold: better than the reference, BASE by default (one-sided paired t-test, p <= alpha);
underlined: the highest mean of the column. Then per block: a table per comparison with a reference
cell, and a matrix per learning rate for a pairwise comparison.
"""

import math

import pandas as pd

from bninit.report.analysis import BASE, POWER_TARGET, Compared, Report


def fmt_p(p: float) -> str:
    if math.isnan(p):
        return "-"
    return f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"


def fmt_num(x: float, digits: int = 2) -> str:
    return "-" if math.isnan(x) else f"{x:.{digits}f}"


def method_label(cell) -> str:
    return "BASE" if cell["bn"] == BASE else str(cell["bn"])


def verdict(pair, alpha: float, holm: bool = False) -> str:
    if not pair["n_pairs"] >= 2:
        return "no test"
    if not pair["significant"]:
        return "n.s."
    return f"{'better' if pair['mean_diff'] > 0 else 'worse'} ({'Holm ' if holm else ''}p <= {alpha:g})"


def equivalence_verdict(pair, alpha: float) -> str:
    """The TOST's answer: "equivalent within ±m" when its p <= alpha."""
    if not pair["n_pairs"] >= 2:
        return "no test"
    return f"equivalent within ±{pair['margin']:g}" if pair["equivalent"] else "not shown equivalent"


def fmt_power(x: float) -> str:
    return "-" if math.isnan(x) else f"{100 * x:.0f}%"


def power_note(report: Report, rows: pd.DataFrame, labels: dict) -> str:
    """One line under a table with non-significant pairs: could this study have seen a true
    difference the size of the one observed (power >= 80 %)? `labels`: row index -> pair name.
    Always shown where a pair is not significant (--power adds the columns to every table)."""
    parts = []
    for index, pair in rows.iterrows():
        if pair["significant"] or not pair["n_pairs"] >= 2:
            continue
        if math.isnan(pair["power_observed"]):
            parts.append(f"{labels[index]}: no power figure (the differences have no spread)")
            continue
        seen = "yes" if pair["power_observed"] >= POWER_TARGET else "no"
        parts.append(
            f"{labels[index]}: |Δ| {abs(pair['mean_diff']):.2f}, power {fmt_power(pair['power_observed'])}, "
            f"80% power needs Δ >= {pair['mde']:.2f}: {seen}"
        )
    if not parts:
        return ""
    return (
        f"Could this study have seen the non-significant differences? (power of the same paired t-test "
        f"at α = {report.alpha:g} against a true difference the size of the observed |Δ|; yes when "
        f">= 80%): " + "; ".join(parts) + "."
    )


def _key_text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _rows(report: Report, cells: pd.DataFrame):
    """The rows of a block in paper order: (method, gamma, c, extra keys) -> {lr: cell}."""
    rows: dict[tuple, dict] = {}
    for _, cell in cells.iterrows():
        rows.setdefault(tuple(cell[k] for k in report.row_keys), {})[cell["lr"]] = cell
    return rows


def reference_name(compared: Compared | None) -> str:
    if compared is None or compared.spec.is_base:
        return "BASE"
    return f"the reference ({' '.join(f'{k}={v}' for k, v in compared.spec.against.items())})"


def _sided(alternative: str) -> str:
    return "one-sided" if alternative == "greater" else "two-sided"


def _lrs(cells: pd.DataFrame) -> list[float]:
    return sorted(cells["lr"].unique(), reverse=True)


def caption(report: Report, n_comparisons: int, latex: bool = False) -> str:
    """What the table shows and how it was tested: test, alpha, n, pairing, correction."""
    n = report.cells["n"]
    seeds = f"{n.min()}" if n.min() == n.max() else f"{n.min()}-{n.max()}"
    primary = report.primary
    ref = reference_name(primary)
    correction = ""
    if report.holm:
        family = "this report" if len(report.comparisons) == 1 else f"the comparison with {ref}"
        correction = f", Holm-corrected across the {n_comparisons} comparisons of {family}"
    settings = ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
        for k, v in report.settings.items()
        if k not in ("dataset", "arch")
    )
    extra = "".join(f", {key}" for key in report.extra_keys)
    layout, unit = report.layout, report.layout.unit
    if layout.foreign:
        text = (
            f"{layout.metric}: mean ± std over n = {seeds} {unit} values (n in parentheses; std: the "
            f"sample std, ddof=1); rows: the cells ({', '.join(layout.cells)}). "
        )
        same, pairs = "", f"pairs = rows with the same {unit}"
    else:
        text = (
            f"Test accuracy (%) at the best-validation epoch, mean ± std over n = {seeds} seeds "
            f"(n in parentheses; std: the sample std, ddof=1, as the paper does not say which it "
            f"reports); rows: method and BN-scale init γ (c: BN-scale lr divisor){extra}, columns: "
            f"learning rate. "
        )
        same, pairs = " of the same learning rate", "pairs = runs with the same seed"
    if primary is None:
        text += "No bold: this report compares cells pairwise only (below). "
    elif primary.alternative == "greater":
        text += (
            f"BOLD: better than {ref}{same} by a one-sided paired t-test "
            f"(H1: cell > {ref}; {pairs}) at α = {report.alpha:g}"
            f"{correction}. "
        )
    else:
        text += (
            f"BOLD: better than {ref}{same} by a two-sided paired t-test "
            f"(H1: cell ≠ {ref}, bold where the cell's mean is the higher; {pairs}) "
            f"at α = {report.alpha:g}{correction}. "
        )
    text += "UNDER: highest mean of the column."
    if primary is not None:
        text += f" † no test (fewer than 2 {unit}s paired with {ref})."
    if report.paper:
        text += (
            f" paper: Table {report.paper} of Davis & Frank (2022), mean ± std over 15 seeds; "
            f"Δ/σ: (ours - paper) / paper std."
        )
    if report.preset:
        how = "given" if report.preset_source == "given" else "found from the CSV's cells"
        text += f" Study: preset {report.preset} ({how})."
    text += f" Settings: {settings}." if settings else ""
    if not latex:
        return text.replace("BOLD", "**bold**").replace("UNDER", "<ins>underlined</ins>")
    text = tex_escape(text).replace("±", "$\\pm$").replace("α", "$\\alpha$").replace("†", "$^\\dagger$")
    return text.replace("BOLD", "\\textbf{bold}").replace("UNDER", "\\underline{underlined}")


def _n_comparisons(report: Report) -> int:
    return int((report.cells["n_pairs"] >= 2).sum())


def _cell_text(cell, bold: str, under: str) -> str:
    text = f"{fmt_num(cell['mean'])} ± {fmt_num(cell['std'])}"
    if cell["better"]:
        text = bold.format(text)
    if cell["best_in_column"]:
        text = under.format(text)
    mark = " †" if isinstance(cell["reference"], str) and not cell["n_pairs"] >= 2 else ""
    return f"{text} ({cell['n']}){mark}"


def _row_head(report: Report, *key) -> list[str]:
    if report.layout.foreign:
        return list(map(_key_text, key))
    bn, gamma, c, *extras = key
    return [method_label({"bn": bn}), f"{gamma:g}", f"{c:g}", *map(_key_text, extras)]


def _key_head(report: Report) -> list[str]:
    """The headers of a row's keys: the user's cell columns, or method, γ, c (and extra keys)."""
    if report.layout.foreign:
        return list(report.layout.cells)
    return ["method", "γ", "c", *report.extra_keys]


def _foreign_block(report: Report, cells: pd.DataFrame, bold: str, under: str) -> tuple[list, list]:
    """(head, rows) of another tool's table: a row per cell, its keys, then the metric."""
    rows = [
        [*_row_head(report, *(cell[k] for k in report.row_keys)), _cell_text(cell, bold, under)]
        for _, cell in cells.iterrows()
    ]
    return [*report.layout.cells, report.layout.metric], rows


def markdown_block(report: Report, cells: pd.DataFrame) -> list[str]:
    if report.layout.foreign:
        head, rows = _foreign_block(report, cells, "**{}**", "<ins>{}</ins>")
        return _markdown_table(head, rows, "l" * len(report.row_keys) + "r")
    lrs = _lrs(cells)
    head = ["method", "γ", "c", *report.extra_keys]
    keys = len(head)
    for lr in lrs:
        head += [f"lr {lr:g}"] + (["paper", "Δ/σ"] if report.paper else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * keys + "---:|" * (len(head) - keys)]
    for key, by_lr in _rows(report, cells).items():
        row = _row_head(report, *key)
        for lr in lrs:
            cell = by_lr.get(lr)
            row.append("-" if cell is None else _cell_text(cell, "**{}**", "<ins>{}</ins>"))
            if report.paper:
                row += _paper_text(cell, "±")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _paper_text(cell, pm: str) -> list[str]:
    if cell is None or math.isnan(cell["paper_mean"]):
        return ["-", "-"]
    return [f"{cell['paper_mean']:.2f} {pm} {cell['paper_std']:.2f}", f"{cell['paper_delta_sd']:+.1f}"]


def _plain(text: str) -> str:
    return text


def _markdown_bold(text: str) -> str:
    return f"**{text}**"


def _latex_bold(text: str) -> str:
    return f"\\textbf{{{text}}}"


def against_table(
    report: Report, compared: Compared, rows: pd.DataFrame, esc=_plain
) -> tuple[str, list[str], list[list[str]], str]:
    """(intro, head, rows, column alignment) of one block's pairs of a comparison with a reference."""
    show_ref = not compared.spec.is_base
    ref, short = reference_name(compared), "BASE" if compared.spec.is_base else "reference"
    sided, unit, place = _sided(compared.alternative), report.layout.unit, report.layout.place
    head = [
        *_key_head(report),
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
            *_row_head(report, *(cell[k] for k in report.row_keys)),
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
        body.append([esc(v) for v in line])
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
    return esc(intro), [esc(h) for h in head], body, align, esc(power_note(report, rows, labels))


def _short_labels(cells: pd.DataFrame, keys: list[str], foreign: bool = False) -> list[str]:
    """Cell names from the row keys that differ among `cells` (e.g. input_norm=fixed)."""
    varying = [k for k in keys if cells[k].nunique() > 1] or (keys if foreign else ["bn"])
    return [
        " ".join(
            method_label(cell) if k == "bn" and not foreign else f"{k}={_key_text(cell[k])}" for k in varying
        )
        for _, cell in cells.iterrows()
    ]


def pairwise_matrix(
    report: Report, compared: Compared, rows: pd.DataFrame, esc=_plain, bold=_markdown_bold
) -> tuple[str, list[str], list[list[str]], str]:
    """(intro, head, rows, alignment) of one block and lr's pairwise comparison: entry (row, column)
    = mean paired difference row - column and its p (H1: row > column when one-sided)."""
    members = sorted(set(rows["cell_index"]) | set(rows["ref_index"]))
    labels = _short_labels(report.cells.loc[members], report.row_keys, report.layout.foreign)
    margin = compared.spec.equivalence
    found = {}
    for _, pair in rows.iterrows():
        found[(pair["cell_index"], pair["ref_index"])] = (pair, 1)
        found.setdefault((pair["ref_index"], pair["cell_index"]), (pair, -1))  # two-sided: symmetric
    body = []
    for a, label in zip(members, labels, strict=True):
        line = [esc(label)]
        for b in members:
            if a == b:
                line.append("·" if esc is _plain else "--")
                continue
            pair, sign = found[(a, b)]
            p = pair["p_holm"] if report.holm else pair["p"]
            text = f"{sign * pair['mean_diff']:+.2f} (p {fmt_p(p)})" if pair["n_pairs"] >= 2 else "no test"
            if report.paper and not math.isnan(pair["paper_diff"]):
                text += f", paper {sign * pair['paper_diff']:+.2f}"
            if margin is not None and pair["n_pairs"] >= 2:
                text += f", TOST {fmt_p(pair['tost_p'])}{' ≈' if pair['equivalent'] else ''}"
            line.append(bold(esc(text)) if pair["significant"] else esc(text))
        body.append(line)
    methods = rows["wilcoxon_method"].value_counts()
    sided = _sided(compared.alternative)
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
    note = esc(power_note(report, rows, pair_names))
    return esc(intro), [esc("Δ row - column"), *map(esc, labels)], body, "l" + "r" * len(members), note


def comparison_tables(report: Report, title: str, esc=_plain, bold=_markdown_bold) -> list[tuple]:
    """Every comparison table of one block: a table per comparison with a reference, then a matrix
    per learning rate for a pairwise comparison."""
    tables = []
    for compared in report.comparisons:
        rows = compared.rows[compared.rows["block"] == title] if len(compared.rows) else compared.rows
        if rows.empty:
            continue
        if not compared.spec.pairwise:
            tables.append(against_table(report, compared, rows, esc))
            continue
        if report.layout.foreign:  # one matrix: no learning rates
            tables.append(pairwise_matrix(report, compared, rows, esc, bold))
            continue
        for lr in sorted(rows["lr"].unique(), reverse=True):
            tables.append(pairwise_matrix(report, compared, rows[rows["lr"] == lr], esc, bold))
    return tables


def _markdown_table(head: list[str], rows: list[list[str]], align: str) -> list[str]:
    rule = "|" + "".join("---:|" if a == "r" else "---|" for a in align)
    return ["| " + " | ".join(head) + " |", rule, *("| " + " | ".join(r) + " |" for r in rows)]


def render_markdown(report: Report) -> str:
    lines = ["# bninit report", "", caption(report, _n_comparisons(report)), ""]
    for title, cells in report.blocks():
        lines += [f"## {title}", "", *markdown_block(report, cells), ""]
        for intro, head, rows, align, note in comparison_tables(report, title):
            lines += [intro, "", *_markdown_table(head, rows, align), ""]
            lines += [note, ""] if note else []
    lines += ["## Warnings", ""]
    primary = report.primary
    ref = (
        "the cells it is compared with"
        if primary is None
        else "its " + ("BASE" if primary.spec.is_base else "reference")
    )
    lines += [f"- {w}" for w in report.warnings] or [
        f"- none: every cell has the same finished {report.layout.unit}s as {ref}; no failed, missing or "
        "duplicated runs."
    ]
    return "\n".join(lines) + "\n"


def tex_escape(text: str) -> str:
    for char, escaped in (
        ("&", "\\&"),
        ("%", "\\%"),
        ("$", "\\$"),
        ("#", "\\#"),
        ("_", "\\_"),
        ("{", "\\{"),
        ("}", "\\}"),
    ):
        text = text.replace(char, escaped)
    text = text.replace("<=", "$\\le$").replace(">=", "$\\ge$").replace(">", "$>$")
    text = text.replace("±", "$\\pm$").replace("α", "$\\alpha$").replace("≈", "$\\approx$")
    text = text.replace("γ", "$\\gamma$").replace("Δ", "$\\Delta$").replace("σ", "$\\sigma$")
    return text.replace("≠", "$\\neq$")


def _tex_table(
    caption_text: str, spec: str, head: list[str], rows: list[list[str]], note: str = ""
) -> list[str]:
    return [
        "\\begin{table}[htbp]",
        "\\centering",
        "\\small",
        f"\\caption{{{caption_text}}}",
        f"\\begin{{tabular}}{{{spec}}}",
        "\\toprule",
        " & ".join(head) + " \\\\",
        "\\midrule",
        *(" & ".join(r) + " \\\\" for r in rows),
        "\\bottomrule",
        "\\end{tabular}",
        *([f"\\par\\smallskip{{\\footnotesize {note}}}"] if note else []),
        "\\end{table}",
        "",
    ]


def latex_block(report: Report, title: str, cells: pd.DataFrame, caption_text: str) -> list[str]:
    if report.layout.foreign:
        head, rows = _foreign_block(report, cells, "\\textbf{{{}}}", "\\underline{{{}}}")
        rows = [[*map(tex_escape, row[:-1]), _tex_cell(row[-1])] for row in rows]
        spec = "l" * len(report.row_keys) + "r"
        return _tex_table(f"{tex_escape(title)}. {caption_text}", spec, [*map(tex_escape, head)], rows)
    lrs = _lrs(cells)
    head = ["Method", "$\\gamma$", "$c$", *map(tex_escape, report.extra_keys)]
    keys = len(head)
    for lr in lrs:
        head += [f"$\\eta = {lr:g}$"] + (["paper", "$\\Delta/\\sigma$"] if report.paper else [])
    rows = []
    for key, by_lr in _rows(report, cells).items():
        row = [tex_escape(v) for v in _row_head(report, *key)]
        for lr in lrs:
            cell = by_lr.get(lr)
            text = "--" if cell is None else _cell_text(cell, "\\textbf{{{}}}", "\\underline{{{}}}")
            row.append(_tex_cell(text))
            if report.paper:
                row += [t.replace("±", "$\\pm$") for t in _paper_text(cell, "±")]
        rows.append(row)
    spec = "lrr" + "l" * (keys - 3) + "r" * (len(head) - keys)
    return _tex_table(f"{tex_escape(title)}. {caption_text}", spec, head, rows)


def _tex_cell(text: str) -> str:
    return text.replace("±", "$\\pm$").replace("†", "$^\\dagger$")


def render_latex(report: Report) -> str:
    """Paper-style tables for `\\input{}`; the preamble needs `\\usepackage{booktabs}`."""
    cap = caption(report, _n_comparisons(report), latex=True)
    lines = ["% Written by `bninit report`; needs \\usepackage{booktabs} in the preamble.", ""]
    for title, cells in report.blocks():
        lines += latex_block(report, title, cells, cap)
        for intro, head, rows, align, note in comparison_tables(report, title, tex_escape, _latex_bold):
            lines += _tex_table(f"{tex_escape(title)}: {intro}", align, head, rows, note)
    return "\n".join(lines)
