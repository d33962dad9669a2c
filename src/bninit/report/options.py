"""What a report is asked (`ReportOptions`, one field per flag of `bninit report`) and what it
then compares (`Choice`, made from the options and the CSV by `bninit.report.choose`)."""

from dataclasses import dataclass, field

from bninit.report.defaults import Comparison
from bninit.report.layout import BninitLayout, Layout

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


@dataclass(frozen=True)
class Choice:
    """What the analysis compares: `comparisons` (None: each cell against BASE), `strict` (a block
    without BASE is an error, for the report nobody asked anything of), the preset found and how
    ("given" / "detected"), and the CSV's layout."""

    comparisons: list[Comparison] | None = None
    strict: bool = True
    preset: str | None = None
    preset_source: str = ""
    layout: Layout = field(default_factory=BninitLayout)
