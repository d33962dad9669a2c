"""What a report is asked: `ReportOptions`, one field per flag of `bninit report`, and the
one-line errors for values no study could make sense of."""

from dataclasses import dataclass

from bninit.errors import UserError
from bninit.report.inputs.paper import PAPER_TABLES

FORMATS = ("markdown", "latex", "all")
DEFAULT_MARGIN = 1.0  # accuracy points: "the same as the paper / the reference" (--margin)


@dataclass(frozen=True)
class ReportOptions:
    """`against`: KEY=VALUE dicts, one comparison each; `pairwise`: None, or the keys compared
    across (e.g. ("input_norm",)); `alternative`: "greater" or "two-sided" (None: greater, or the
    preset's own); `preset`: its default comparisons (None: the preset detected from the CSV's
    cells); `equivalence`: a margin (accuracy points) for a TOST of every comparison between cells
    (None: the preset's own, if any); `show_power`: the power columns and notes in the tables.
    `metric`, `pair_by`, `cells` (column names): read a CSV of any tool, comparing `metric`
    between the cells that `cells` define, paired by `pair_by`. `reference`: another study's CSV
    to judge this one against; `margin`: the equivalence margin (points) of that judgement and of
    the judgement against the paper's table (`paper`)."""

    alpha: float = 0.05
    holm: bool = False
    paper: str | None = None
    fmt: str = "all"
    plots: bool = True
    against: tuple = ()
    pairwise: tuple | None = None
    alternative: str | None = None
    preset: str | None = None
    equivalence: float | None = None
    show_power: bool = False
    metric: str | None = None
    pair_by: str | None = None
    cells: tuple | None = None
    reference: str | None = None
    margin: float = DEFAULT_MARGIN


def check_options(options: ReportOptions) -> None:
    """One-line UserError for a value no study could make sense of."""
    if options.fmt not in FORMATS:
        raise UserError(f"--format {options.fmt!r}: allowed: {', '.join(FORMATS)}")
    if options.paper is not None and options.paper not in PAPER_TABLES:
        raise UserError(f"--paper {options.paper!r}: unknown table; known: {', '.join(PAPER_TABLES)}")
    if options.equivalence is not None and not options.equivalence > 0:
        raise UserError(
            f"--equivalence {options.equivalence:g}: the margin must be > 0 (accuracy points, e.g. 0.5)"
        )
    check_margin(options.margin)


def check_margin(margin: float) -> None:
    if not margin > 0:
        raise UserError(
            f"--margin {margin:g}: the equivalence margin must be > 0 (accuracy points, e.g. 1.0)"
        )
