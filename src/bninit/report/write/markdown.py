"""The report as Markdown: the neutral tables (`cell_tables`, `verdict_tables`) printed with GitHub's
marks (**bold**, <ins>underlined</ins>, †)."""

from bninit.report.judge.analysis import Report
from bninit.report.write.cell_tables import block_table, comparison_tables
from bninit.report.write.neutral_table import DIAGONAL, Cell, Table
from bninit.report.write.verdict_tables import TITLE, claims_table, sections
from bninit.report.write.words import caption


def cell_text(cell: Cell) -> str:
    if cell.empty:
        return "·" if cell.empty == DIAGONAL else "-"
    text = f"**{cell.text}**" if cell.bold else cell.text
    text = f"<ins>{text}</ins>" if cell.under else text
    return text + cell.suffix + (" †" if cell.dagger else "")


def table_lines(table: Table) -> list[str]:
    rule = "|" + "".join("---:|" if a == "r" else "---|" for a in table.align)
    rows = [" | ".join(map(cell_text, row)) for row in [table.head, *table.rows]]
    return [f"| {rows[0]} |", rule, *(f"| {row} |" for row in rows[1:])]


def render_markdown(report: Report) -> str:
    text = caption(report)
    text = text.replace("BOLD", "**bold**").replace("UNDER", "<ins>underlined</ins>")
    lines = ["# bninit report", "", text, ""]
    for title, cells in report.blocks():
        lines += [f"## {title}", "", *table_lines(block_table(report, cells)), ""]
        for table in comparison_tables(report, title):
            lines += [table.intro, "", *table_lines(table), ""]
            lines += [table.note, ""] if table.note else []
    lines += verdict_lines(report)
    return "\n".join([*lines, *warning_lines(report)]) + "\n"


def verdict_lines(report: Report) -> list[str]:
    """The "Does it reproduce?" section (only when the study was judged against something)."""
    if not report.reproductions:
        return []
    lines = [f"## {TITLE}", ""]
    for summary, table in sections(report.reproductions):
        lines += [f"**{summary}**", "", table.intro, "", *table_lines(table), ""]
        lines += [table.note, ""] if table.note else []
    if report.claims is not None:
        lines += ["### The paper's claims", "", *table_lines(claims_table(report.claims)), ""]
    return lines


def warning_lines(report: Report) -> list[str]:
    """The Warnings section: every warning of the analysis, or why there is none."""
    primary = report.primary
    ref = (
        "the cells it is compared with"
        if primary is None
        else "its " + ("BASE" if primary.spec.is_base else "reference")
    )
    return ["## Warnings", ""] + (
        [f"- {w}" for w in report.warnings]
        or [
            f"- none: every cell has the same finished {report.layout.unit}s as {ref}; no failed, missing or "
            "duplicated runs."
        ]
    )
