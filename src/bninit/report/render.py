"""The report as text: paper-style tables in Markdown and LaTeX (booktabs), from an analysed Report.

Layout per block (one dataset/arch/... combination): rows = method and gamma (BASE first), columns =
learning rate. Bold: better than BASE (one-sided paired t-test, p <= alpha); underlined: the highest
mean of the column.
"""

import math

import pandas as pd

from bninit.report.analysis import BASE, Report


def fmt_p(p: float) -> str:
    if math.isnan(p):
        return "-"
    return f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"


def fmt_num(x: float, digits: int = 2) -> str:
    return "-" if math.isnan(x) else f"{x:.{digits}f}"


def method_label(cell) -> str:
    return "BASE" if cell["bn"] == BASE else str(cell["bn"])


def verdict(cell, alpha: float, holm: bool = False) -> str:
    if cell["bn"] == BASE:
        return "reference"
    if not cell["n_pairs"] >= 2:
        return "no test"
    return f"better ({'Holm ' if holm else ''}p <= {alpha:g})" if cell["significant"] else "n.s."


def _rows(cells: pd.DataFrame):
    """The rows of a block in paper order: (method, gamma, c) -> {lr: cell}."""
    rows: dict[tuple, dict] = {}
    for _, cell in cells.iterrows():
        rows.setdefault((cell["bn"], cell["gamma"], cell["c"]), {})[cell["lr"]] = cell
    return rows


def _lrs(cells: pd.DataFrame) -> list[float]:
    return sorted(cells["lr"].unique(), reverse=True)


def caption(report: Report, n_comparisons: int, latex: bool = False) -> str:
    """What the table shows and how it was tested: test, alpha, n, pairing, correction."""
    n = report.cells["n"]
    seeds = f"{n.min()}" if n.min() == n.max() else f"{n.min()}-{n.max()}"
    correction = (f", Holm-corrected across the {n_comparisons} comparisons of this report"
                  if report.holm else "")
    settings = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                         for k, v in report.settings.items() if k not in ("dataset", "arch"))
    text = (f"Test accuracy (%) at the best-validation epoch, mean ± std (ddof=1) over n = {seeds} "
            f"seeds (n in parentheses); rows: method and BN-scale init γ (c: BN-scale lr divisor), "
            f"columns: learning rate. BOLD: better than BASE of the same learning rate by a "
            f"one-sided paired t-test (H1: cell > BASE; pairs = runs with the same seed) at "
            f"α = {report.alpha:g}{correction}. UNDER: highest mean of the column. "
            f"† no test (fewer than 2 seeds paired with BASE).")
    if report.paper:
        text += (f" paper: Table {report.paper} of Davis & Frank (2022), mean ± std over 15 seeds; "
                 f"Δ/σ: (ours - paper) / paper std.")
    text += f" Settings: {settings}." if settings else ""
    if not latex:
        return text.replace("BOLD", "**bold**").replace("UNDER", "<ins>underlined</ins>")
    text = tex_escape(text).replace("±", "$\\pm$").replace("α", "$\\alpha$").replace("†", "$^\\dagger$")
    return text.replace("BOLD", "\\textbf{bold}").replace("UNDER", "\\underline{underlined}")


def _n_comparisons(report: Report) -> int:
    return int((report.cells["n_pairs"] >= 2).sum())


def _cell_text(cell, bold: str, under: str) -> str:
    text = f"{fmt_num(cell['mean'])} ± {fmt_num(cell['std'])}"
    if cell["significant"]:
        text = bold.format(text)
    if cell["best_in_column"]:
        text = under.format(text)
    mark = " †" if cell["bn"] != BASE and not cell["n_pairs"] >= 2 else ""
    return f"{text} ({cell['n']}){mark}"


def markdown_block(report: Report, cells: pd.DataFrame) -> list[str]:
    lrs = _lrs(cells)
    head = ["method", "γ", "c"]
    for lr in lrs:
        head += [f"lr {lr:g}"] + (["paper", "Δ/σ"] if report.paper else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 3 + "---:|" * (len(head) - 3)]
    for (bn, gamma, c), by_lr in _rows(cells).items():
        row = [method_label({"bn": bn}), f"{gamma:g}", f"{c:g}"]
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


def comparison_rows(report: Report, cells: pd.DataFrame) -> list[list[str]]:
    rows = []
    for _, cell in cells[cells["bn"] != BASE].iterrows():
        ci = (f"{cell['mean_diff']:+.2f} [{cell['ci_low']:+.2f}, {cell['ci_high']:+.2f}]"
              if cell["n_pairs"] >= 2 else fmt_num(cell["mean_diff"]))
        rows.append([method_label(cell), f"{cell['gamma']:g}", f"{cell['c']:g}", f"{cell['lr']:g}",
                     str(int(cell["n_pairs"])), ci, fmt_num(cell["t"]), fmt_p(cell["p"]),
                     fmt_p(cell["p_holm"]), fmt_num(cell["d_z"]),
                     f"{int(cell['wins'])}/{int(cell['n_pairs'])}", fmt_p(cell["wilcoxon_p"]),
                     verdict(cell, report.alpha, report.holm)])
    return rows


COMPARISON_HEAD = ["method", "γ", "c", "lr", "pairs", "Δ mean [95% CI]", "t", "p", "p Holm", "d_z",
                   "wins", "Wilcoxon p", "verdict"]


def render_markdown(report: Report) -> str:
    lines = ["# bninit report", "", caption(report, _n_comparisons(report)), ""]
    for title, cells in report.blocks():
        lines += [f"## {title}", "", *markdown_block(report, cells), ""]
        rows = comparison_rows(report, cells)
        if rows:
            lines += ["Paired comparison with BASE (Δ = cell - BASE per seed; p: one-sided paired t; "
                      "d_z = mean Δ / std Δ; wins: seeds where the cell beat BASE; "
                      "Wilcoxon: one-sided signed-rank):", "",
                      "| " + " | ".join(COMPARISON_HEAD) + " |",
                      "|" + "---|" * 4 + "---:|" * (len(COMPARISON_HEAD) - 5) + "---|",
                      *("| " + " | ".join(r) + " |" for r in rows), ""]
    lines += ["## Warnings", ""]
    lines += [f"- {w}" for w in report.warnings] or [
        "- none: every cell has the same finished seeds as its BASE; no failed, missing or "
        "duplicated runs."]
    return "\n".join(lines) + "\n"


def tex_escape(text: str) -> str:
    for char, escaped in (("&", "\\&"), ("%", "\\%"), ("$", "\\$"),
                          ("#", "\\#"), ("_", "\\_"), ("{", "\\{"), ("}", "\\}")):
        text = text.replace(char, escaped)
    text = text.replace("<=", "$\\le$").replace(">", "$>$")
    return text.replace("γ", "$\\gamma$").replace("Δ", "$\\Delta$").replace("σ", "$\\sigma$")


def _tex_table(caption_text: str, spec: str, head: list[str], rows: list[list[str]]) -> list[str]:
    return ["\\begin{table}[htbp]", "\\centering", "\\small", f"\\caption{{{caption_text}}}",
            f"\\begin{{tabular}}{{{spec}}}", "\\toprule", " & ".join(head) + " \\\\", "\\midrule",
            *(" & ".join(r) + " \\\\" for r in rows), "\\bottomrule", "\\end{tabular}",
            "\\end{table}", ""]


def latex_block(report: Report, title: str, cells: pd.DataFrame, caption_text: str) -> list[str]:
    lrs = _lrs(cells)
    head = ["Method", "$\\gamma$", "$c$"]
    for lr in lrs:
        head += [f"$\\eta = {lr:g}$"] + (["paper", "$\\Delta/\\sigma$"] if report.paper else [])
    rows = []
    for (bn, gamma, c), by_lr in _rows(cells).items():
        row = [tex_escape(method_label({"bn": bn})), f"{gamma:g}", f"{c:g}"]
        for lr in lrs:
            cell = by_lr.get(lr)
            text = "--" if cell is None else _cell_text(cell, "\\textbf{{{}}}", "\\underline{{{}}}")
            row.append(text.replace("±", "$\\pm$").replace("†", "$^\\dagger$"))
            if report.paper:
                row += [t.replace("±", "$\\pm$") for t in _paper_text(cell, "±")]
        rows.append(row)
    spec = "lrr" + "r" * (len(head) - 3)
    return _tex_table(f"{tex_escape(title)}. {caption_text}", spec, head, rows)


def render_latex(report: Report) -> str:
    """Paper-style tables for `\\input{}`; the preamble needs `\\usepackage{booktabs}`."""
    cap = caption(report, _n_comparisons(report), latex=True)
    lines = ["% Written by `bninit report`; needs \\usepackage{booktabs} in the preamble.", ""]
    for title, cells in report.blocks():
        lines += latex_block(report, title, cells, cap)
        rows = comparison_rows(report, cells)
        if rows:
            head = [tex_escape(h) for h in COMPARISON_HEAD]
            body = [[tex_escape(v) for v in r] for r in rows]
            lines += _tex_table(f"{tex_escape(title)}: paired comparison with BASE "
                                "($\\Delta$ = cell $-$ BASE per seed, 95\\% t-interval; one-sided "
                                "paired t and Wilcoxon signed-rank p; $d_z$ = mean/std of $\\Delta$).",
                                "lrrrr" + "r" * 7 + "l", head, body)
    return "\n".join(lines)
