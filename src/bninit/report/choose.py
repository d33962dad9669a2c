"""Which comparisons a report makes: the user's --against / --pairwise, else the preset's
defaults (given, or detected from the CSV's cells), else each cell against BASE."""

import pandas as pd

from bninit.errors import UserError
from bninit.report.compare import check_comparison
from bninit.report.defaults import BASE, BASE_CELL, PRESET_COMPARISONS, Comparison, detect_preset
from bninit.report.layout import Layout
from bninit.report.study import config_columns


def choose_comparisons(
    runs: pd.DataFrame, against=(), pairwise=None, preset: str | None = None, layout: Layout | None = None
) -> tuple[list[Comparison] | None, str | None, str]:
    """(comparisons, preset, how it was found): the user's --against / --pairwise, else the
    preset's defaults (--preset, or detected from the CSV's cells), else None (each cell against
    BASE). `against`: KEY=VALUE dicts; `pairwise`: None, or the keys to compare across.
    Another tool's CSV (not `layout.own`) has no preset: by default its cells are compared pairwise."""
    from bninit.config.presets import check_preset

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
