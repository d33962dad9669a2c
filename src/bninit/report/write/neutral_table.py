"""A report's table before it is text: head, rows of cells that carry their marks (bold,
underline, dagger) as data, the column alignment, and the sentences around it. The Markdown and
LaTeX writers (`markdown`, `latex`) only print it."""

from dataclasses import dataclass

MISSING, DIAGONAL = "missing", "diagonal"  # cells without a value: no cell / a cell with itself


@dataclass(frozen=True)
class Cell:
    """One entry: `text` (marked: bold, underline), then `suffix` (e.g. " (15)", the seeds), then
    a dagger. `tex`: the LaTeX to print instead (a header such as $\\eta = 0.1$). `empty`: MISSING
    or DIAGONAL for an entry without a value."""

    text: str = ""
    bold: bool = False
    under: bool = False
    dagger: bool = False
    suffix: str = ""
    tex: str | None = None
    empty: str = ""


@dataclass(frozen=True)
class Table:
    """`align`: a letter per column (l / r); `tex_align`: LaTeX's column spec where it differs.
    `intro`: the sentence before it (Markdown) or its caption (LaTeX); `note`: the line after it."""

    head: list[Cell]
    rows: list[list[Cell]]
    align: str
    intro: str = ""
    note: str = ""
    tex_align: str | None = None
    title: str = ""  # the block it belongs to (LaTeX captions start with it)


def cells(texts) -> list[Cell]:
    """Plain cells of `texts`."""
    return [Cell(str(text)) for text in texts]
