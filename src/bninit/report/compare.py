"""Which cell each cell of a study is compared with, and the seed-paired numbers of each pair.

Inside each block and learning rate, a `Comparison` pairs every chosen cell with the cell that
matches its `against` KEY=VALUEs (when several match, the one that agrees with the cell on the
other row keys, e.g. the same gamma and c), or pairs every two cells (pairwise). The numbers come
from `bninit.report.stats.compare_paired` on the seeds both cells finished.
"""

import itertools

import pandas as pd

from bninit.errors import UserError
from bninit.report import power, stats
from bninit.report.defaults import Comparison

NOT_COMPARED_ACROSS = ("dataset", "arch", "lr")  # a comparison stays inside one block and lr


def fmt_value(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


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


def compare(
    cells: pd.DataFrame,
    spec: Comparison,
    row_keys: list[str],
    alternative: str,
    warnings: list[str],
    strict: bool = False,
    place=("lr",),
    unit: str = "seed",
) -> pd.DataFrame:
    """One row per compared pair (cell_index, ref_index: rows of `cells`), in `cells`' order.

    A block/lr without a reference cell is skipped with a warning (`strict`: a UserError, the
    default report's rule when no comparison was asked for). `place`: the keys a comparison stays
    inside besides the block (lr; none for another tool's CSV); `unit`: what a seed is called in
    the warnings.
    """
    alternative = spec.alternative or alternative
    rest = [key for key in row_keys if key not in (spec.against or {})]
    pairs, orphans, unmatched = [], [], []
    for (block, *at), group in cells.groupby(["block", *place], sort=False):
        at_text = " ".join(f"{key}={fmt_value(value)}" for key, value in zip(place, at, strict=True))
        where_text = f"{block} {at_text}".strip()
        chosen = group[select(group, spec.cells)]
        if spec.pairwise:
            both_ways = alternative != "two-sided"  # one-sided: a > b and b > a are two tests
            pick = itertools.permutations if both_ways else itertools.combinations
            pairs += list(pick(chosen.index, 2))
            continue
        is_ref = select(group, spec.against)
        refs, subjects = group[is_ref], chosen[~is_ref[chosen.index]]
        if subjects.empty:
            continue
        if refs.empty:
            orphans.append(where_text)
            continue
        for i, subject in subjects.iterrows():
            agree = refs if len(refs) == 1 else refs[select(refs, {k: subject[k] for k in rest})]
            if len(agree) == 1:
                pairs.append((i, agree.index[0]))
            elif not spec.only_matched:
                unmatched.append(f"{subject['label']} {at_text}".strip())
    if orphans:
        where = "; ".join(orphans)
        if strict:
            raise UserError(
                f"no BASE cell (bn=base gamma=1 c=1) to compare with for: {where} (add BASE runs for "
                "these; --against bn=base reports the rest with a warning; --against "
                "KEY=VALUE or --pairwise compare with other cells)"
            )
        warnings.append(f"no reference cell ({spec.label}) in: {where}; those cells are not compared with it")
    if unmatched:
        warnings.append(
            f"{spec.label}: no reference cell with the same {', '.join(rest)} for "
            f"{'; '.join(unmatched)}; not compared"
        )
    rows = [
        paired(cells.loc[i], cells.loc[j], alternative, warnings, spec.equivalence, place, unit)
        for i, j in sorted(pairs)
    ]
    return pd.DataFrame(rows, columns=None if rows else ["cell_index", "ref_index", "p"])


def paired(
    cell: pd.Series,
    ref: pd.Series,
    alternative: str,
    warnings: list[str],
    margin: float | None = None,
    place=("lr",),
    unit: str = "seed",
) -> dict:
    """`cell` against `ref` on the seeds both finished (x = cell, y = reference); with a `margin`,
    also the paired TOST p of |difference| < margin (`tost_p`, and `margin`)."""
    ours, theirs = cell["seed_acc"], ref["seed_acc"]
    seeds = sorted(set(ours) & set(theirs))
    unpaired = sorted(set(ours) - set(theirs))
    if unpaired:
        warnings.append(
            f"{cell['cell']}: {unit}(s) {', '.join(map(str, unpaired))} have no "
            f"{ref['label']} run with the same {unit}; not paired"
        )
    result = stats.compare_paired([ours[s] for s in seeds], [theirs[s] for s in seeds], alternative)
    if not result.testable:
        warnings.append(
            f"{cell['cell']}: {len(seeds)} {unit}(s) paired with {ref['label']}; no test (needs at least 2)"
        )
    diffs = [ours[s] - theirs[s] for s in seeds]
    equivalence = {} if margin is None else {"margin": margin, "tost_p": power.tost(diffs, margin)[0]}
    return {
        "cell_index": cell.name,
        "ref_index": ref.name,
        "block": cell["block"],
        **{key: cell[key] for key in place},
        "cell": cell["cell"],
        "reference": ref["cell"],
        "ref_label": ref["label"],
        "ref_mean": ref["mean"],
        "pairs": seeds,
        "diffs": diffs,
        **result.to_dict(),
        **equivalence,
    }
