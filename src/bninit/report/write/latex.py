"""The report as LaTeX (booktabs) for `\\input{}`: the neutral tables (`cell_tables`, `verdict_tables`)
printed with \\textbf, \\underline and $^\\dagger$."""

from bninit.report.judge.analysis import Report
from bninit.report.write.cell_tables import block_table, comparison_tables
from bninit.report.write.neutral_table import Cell, Table
from bninit.report.write.verdict_tables import TITLE, sections
from bninit.report.write.words import caption

TEX = (
    ("&", "\\&"),
    ("%", "\\%"),
    ("$", "\\$"),
    ("#", "\\#"),
    ("_", "\\_"),
    ("{", "\\{"),
    ("}", "\\}"),
)
MATH = (
    ("<=", "$\\le$"),
    (">=", "$\\ge$"),
    (">", "$>$"),
    ("±", "$\\pm$"),
    ("α", "$\\alpha$"),
    ("≈", "$\\approx$"),
    ("γ", "$\\gamma$"),
    ("Δ", "$\\Delta$"),
    ("σ", "$\\sigma$"),
    ("≠", "$\\neq$"),
    ("†", "$^\\dagger$"),
)


def tex_escape(text: str) -> str:
    for char, escaped in (*TEX, *MATH):
        text = text.replace(char, escaped)
    return text


def cell_text(cell: Cell) -> str:
    if cell.empty:
        return "--"
    if cell.tex is not None:
        return cell.tex
    text = tex_escape(cell.text)
    text = f"\\textbf{{{text}}}" if cell.bold else text
    text = f"\\underline{{{text}}}" if cell.under else text
    return text + tex_escape(cell.suffix) + (" $^\\dagger$" if cell.dagger else "")


def table_lines(caption_text: str, table: Table) -> list[str]:
    return [
        "\\begin{table}[htbp]",
        "\\centering",
        "\\small",
        f"\\caption{{{caption_text}}}",
        f"\\begin{{tabular}}{{{table.tex_align or table.align}}}",
        "\\toprule",
        " & ".join(map(cell_text, table.head)) + " \\\\",
        "\\midrule",
        *(" & ".join(map(cell_text, row)) + " \\\\" for row in table.rows),
        "\\bottomrule",
        "\\end{tabular}",
        *([f"\\par\\smallskip{{\\footnotesize {tex_escape(table.note)}}}"] if table.note else []),
        "\\end{table}",
        "",
    ]


def render_latex(report: Report) -> str:
    """Paper-style tables for `\\input{}`; the preamble needs `\\usepackage{booktabs}`."""
    text = tex_escape(caption(report))
    text = text.replace("BOLD", "\\textbf{bold}").replace("UNDER", "\\underline{underlined}")
    lines = ["% Written by `bninit report`; needs \\usepackage{booktabs} in the preamble.", ""]
    for title, cells in report.blocks():
        lines += table_lines(f"{tex_escape(title)}. {text}", block_table(report, cells))
        for table in comparison_tables(report, title):
            lines += table_lines(f"{tex_escape(title)}: {tex_escape(table.intro)}", table)
    for summary, table in sections(report.reproductions):
        lines += table_lines(tex_escape(f"{TITLE} {summary} {table.intro}"), table)
    return "\n".join(lines)
