"""Which comparisons a report makes: a `Comparison` is one family of seed-paired tests; the user's
--against / --pairwise, else the preset's defaults (given with --preset, or found from the CSV's
cells), else each cell against BASE. Every preset (conf/sweep/<name>.yaml) has its defaults here,
the way the paper states its result."""

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from bninit.config.presets import check_preset, preset_cells, preset_names
from bninit.errors import UserError
from bninit.report.inputs.layout import BASE, BASE_CELL, BninitLayout, Layout, fmt_value
from bninit.report.inputs.options import ReportOptions
from bninit.report.inputs.study import config_columns

NOT_COMPARED_ACROSS = ("dataset", "arch", "lr")  # a comparison stays inside one block and lr


@dataclass(frozen=True)
class Comparison:
    """Inside each block and lr: every cell matching `cells` (default: every cell) against the cell
    matching `against` (KEY=VALUE); `against` None: every pair of those cells (pairwise).

    `across`: keys (config columns such as input_norm) whose values are compared with each other
    rather than splitting the study into blocks. `alternative` None: the one the user asked for.
    `equivalence`: a margin in accuracy points: each pair also gets the paired TOST p for
    |difference| < margin (None: no equivalence test). `only_matched`: cells that have no
    reference with the same other keys are left out without a warning (the ablation's c = 100,
    gamma = 1 cell has no c = 1 partner by design).
    """

    against: dict[str, str] | None
    cells: dict[str, str] = field(default_factory=dict)
    alternative: str | None = None
    across: tuple[str, ...] = ()
    equivalence: float | None = None
    only_matched: bool = False  # a cell without a reference of the same other keys: not compared, no warning

    @property
    def pairwise(self) -> bool:
        return self.against is None

    @property
    def is_base(self) -> bool:
        return self.against == BASE_CELL

    @property
    def label(self) -> str:
        """Short name: "bn=base" (BASE), "bn=rbn (cells bn=ours)", "pairwise"."""
        text = "pairwise" if self.pairwise else " ".join(f"{k}={v}" for k, v in self.against.items())
        text = "bn=base" if self.is_base else text
        if self.cells:
            text += " (cells " + " ".join(f"{k}={v}" for k, v in self.cells.items()) + ")"
        return text

    def keys(self) -> tuple[str, ...]:
        """The config keys this comparison crosses: they are row keys, never block keys."""
        return tuple(dict.fromkeys([*(self.against or {}), *self.across]))


AGAINST_BASE = Comparison(against=BASE_CELL)
# "The same" for input_norm: within 0.5 accuracy points, about the paper's typical seed-to-seed std
# on CIFAR (0.2-0.5) and below the gains it calls significant (0.3-1 point): docs/report.md.
INPUT_NORM_MARGIN = 0.5


def ours_against(method: str) -> Comparison:
    """The method (bn=ours) against `method` at the same gamma and c (when it has several)."""
    return Comparison(against={"bn": method}, cells={"bn": "ours"})


# Each preset's default report (with no --against / --pairwise). The first `against` comparison
# gives the bold marks of the paper-style table.
PRESET_COMPARISONS: dict[str, tuple[Comparison, ...]] = {
    "table1a": (AGAINST_BASE,),
    "table1b": (AGAINST_BASE,),
    "table2a": (AGAINST_BASE,),
    "demo": (AGAINST_BASE,),
    "strong_base": (AGAINST_BASE,),  # paper Sect. 4.4: ours still beats the stronger BASE
    # paper Sect. 4.4: "we ablated [lr reduction] ... degraded performance": the method with c = 100
    # against c = 1 at the same gamma and lr (one-sided, H1: c = 100 better); then against BASE
    "ablation": (
        Comparison(against={"c": "1"}, cells={"bn": "ours", "c": "100"}, only_matched=True),
        AGAINST_BASE,
    ),
    # paper Sect. 4.5: ours beats RBN/RBN- and IEBN/IEBN- (one-sided), bold = better than BASE
    "table2b": (AGAINST_BASE, *(ours_against(m) for m in ("rbn", "rbn_minus", "iebn", "iebn_minus"))),
    # paper Sect. 4.4: A1, A2 and ours against BASE; ours against A1 and A2 per gamma and lr
    "alt": (AGAINST_BASE, ours_against("a1"), ours_against("a2")),
    # paper Sect. 4.4: the three input normalizations give "similar results": two-sided, pairwise,
    # and the TOST of "the same within 0.5 points" (docs/report.md: why 0.5)
    "input_norm": (
        Comparison(
            against=None, alternative="two-sided", across=("input_norm",), equivalence=INPUT_NORM_MARGIN
        ),
    ),
}


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


def choose(runs: pd.DataFrame, options: ReportOptions, layout: Layout) -> Choice:
    """The comparisons of this report: the options' own, else the preset's; --alternative and
    --equivalence override what a preset says."""
    specs, found, how = choose_comparisons(runs, options.against, options.pairwise, options.preset, layout)
    if options.alternative is not None and specs is not None:  # the user's choice wins over a preset's
        specs = [replace(spec, alternative=options.alternative) for spec in specs]
    if options.equivalence is not None:
        specs = [replace(spec, equivalence=options.equivalence) for spec in specs or [AGAINST_BASE]]
    asked = bool(options.against) or options.pairwise is not None or options.preset is not None
    return Choice(specs, not asked, found, how, layout)


def choose_comparisons(
    runs: pd.DataFrame, against=(), pairwise=None, preset: str | None = None, layout: Layout | None = None
) -> tuple[list[Comparison] | None, str | None, str]:
    """(comparisons, preset, how it was found): the user's --against / --pairwise, else the
    preset's defaults (--preset, or detected from the CSV's cells), else None (each cell against
    BASE). `against`: KEY=VALUE dicts; `pairwise`: None, or the keys to compare across.
    Another tool's CSV (not `layout.own`) has no preset: by default its cells are compared pairwise."""
    if layout is not None and not layout.own:
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
        specs = [
            Comparison(against=BASE_CELL if dict(where) == {"bn": BASE} else dict(where)) for where in against
        ]
        if pairwise is not None:
            specs.append(Comparison(against=None, across=tuple(pairwise)))
        for spec in specs:
            check_comparison(runs, spec, config_columns(runs))
        return specs, found, how
    if found is None:
        return None, None, ""
    specs = PRESET_COMPARISONS.get(found)
    return (list(specs) if specs else None), found, how


def matches(value, wanted) -> bool:
    """A config value equals a KEY=VALUE's text: 0.1 == "0.1", 1 == "1.0", else compared as text."""
    try:
        return float(value) == float(wanted)
    except (TypeError, ValueError):
        return str(value) == str(wanted)


def select(cells: pd.DataFrame, where: dict) -> pd.Series:
    """True for the cells (or runs) whose config matches every KEY=VALUE of `where`."""
    mask = pd.Series(True, index=cells.index)
    for key, wanted in where.items():
        mask &= cells[key].map(lambda value, wanted=wanted: matches(value, wanted))
    return mask


def check_comparison(
    runs: pd.DataFrame, spec: Comparison, config_cols: list[str], fixed=NOT_COMPARED_ACROSS
) -> None:
    """A one-line UserError for a KEY that is no config column (or one of `fixed`, the columns a
    comparison stays inside), or a VALUE that matches no run."""
    flag = "--pairwise" if spec.pairwise else "--against"
    allowed = [col for col in config_cols if col not in fixed]
    for key in [*(spec.against or {}), *spec.cells, *spec.across]:
        if key not in allowed:
            raise UserError(f"{flag}: unknown key {key!r}; allowed: {', '.join(allowed)}")
    if spec.is_base and not select(runs, spec.against).any():
        raise UserError(
            f"{flag} bn=base: no BASE cell (bn=base gamma=1 c=1) in the CSV; standard BN at another "
            "gamma or c is an arm of its own (e.g. --against bn=base gamma=0.1)"
        )
    for key, value in (spec.against or {}).items():
        if not select(runs, {key: value}).any():
            found = ", ".join(fmt_value(v) for v in runs[key].drop_duplicates())
            raise UserError(f"{flag} {key}={value}: no cell has {key}={value}; {key} is one of: {found}")
    if spec.against and not select(runs, spec.against).any():
        raise UserError(f"{flag} {spec.label}: no cell has all of these values together")


def _norm(value: Any) -> Any:
    """A config value as compared between a CSV and a preset: numbers as floats, the rest as text."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def _cells_on(runs: pd.DataFrame, keys: list[str]) -> set[tuple]:
    rows = runs[keys].drop_duplicates()
    return {tuple(_norm(v) for v in row) for row in rows.itertuples(index=False)}


def detect_preset(runs: pd.DataFrame) -> str | None:
    """The preset whose cells are exactly the CSV's cells (compared on the keys the preset sets);
    else the smallest preset that holds every cell of the CSV (a study still running); else None."""
    exact, partial = [], []
    for name in preset_names():
        cells = preset_cells(name)
        keys = list(dict.fromkeys(k for cell in cells for k in cell))
        if any(k not in runs.columns for k in keys):
            continue
        ours = _cells_on(runs, keys)
        theirs = {tuple(_norm(cell.get(k)) for k in keys) for cell in cells}
        if ours == theirs:
            exact.append(name)
        elif ours <= theirs:
            partial.append((len(theirs), name))
    if exact:
        return exact[0] if len(exact) == 1 else None
    partial.sort()
    if partial and (len(partial) == 1 or partial[0][0] < partial[1][0]):
        return partial[0][1]
    return None
