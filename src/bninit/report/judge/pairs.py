"""The seed pairs of each comparison and their tests: inside each block and learning rate, which
cell meets which (the cell matching a `Comparison`'s `against` KEY=VALUEs; when several match, the
one that agrees on the other row keys, e.g. the same gamma and c; or every two cells, pairwise),
the paired t-test, Wilcoxon and TOST on the seeds both finished, then the marks: Holm,
significant, better, the power figures, and each cell's numbers in the primary comparison."""

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bninit.errors import UserError
from bninit.report.inputs.layout import fmt_value
from bninit.report.judge.comparisons import Comparison, select
from bninit.report.stats import paired, power


@dataclass
class Compared:
    """One comparison's pairs: a row per (cell, reference) with the numbers of `paired.compare_paired`,
    `p_holm` (Holm across this comparison's pairs), `significant` and `better`."""

    spec: Comparison
    alternative: str
    rows: pd.DataFrame


# A comparison's test figures and power figures, in the order both tables list them.
TEST_COLUMNS = (
    "n_pairs",
    "mean_diff",
    "ci_low",
    "ci_high",
    "t",
    "p",
    "p_holm",
    "d_z",
    "wins",
    "wilcoxon_p",
    "wilcoxon_method",
    "significant",
    "better",
)
POWER_COLUMNS = (
    "sd_diff",
    "mde",
    "power_observed",
)
PAIR_COLUMNS = (
    "reference",
    "ref_label",
    "ref_mean",
    *TEST_COLUMNS,
    "pairs",
    "diffs",
    *POWER_COLUMNS,
)
PAPER_PAIR_COLUMNS = ("paper_ref_mean", "paper_diff")
TOST_COLUMNS = ("margin", "tost_p", "equivalent")
POWER_TARGET = 0.8


def compare_all(
    cells: pd.DataFrame,
    specs: list[Comparison],
    row_keys: list[str],
    alpha: float,
    holm: bool,
    alternative: str,
    warnings: list[str],
    strict: bool,
    layout,
    paper: bool = False,
) -> list[Compared]:
    """Every comparison's pairs, tested and marked (`paper`: with the paper's difference of the
    same two cells). `strict`: a first comparison with BASE that
    finds a block without BASE is an error."""
    compared = []
    for i, spec in enumerate(specs):
        strict_here = strict and i == 0 and spec.is_base
        rows = compare(cells, spec, row_keys, alternative, warnings, strict_here, layout.place, layout.unit)
        if paper and len(rows):  # the paper's difference of the same two cells
            paper_mean = cells["paper_mean"]
            rows["paper_ref_mean"] = paper_mean.loc[rows["ref_index"]].to_numpy()
            rows["paper_diff"] = paper_mean.loc[rows["cell_index"]].to_numpy() - rows["paper_ref_mean"]
        sided = spec.alternative or alternative
        compared.append(Compared(spec, sided, with_power(mark(rows, alpha, holm), alpha, sided)))
    return compared


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
        pair_row(cells.loc[i], cells.loc[j], alternative, warnings, spec.equivalence, place, unit)
        for i, j in sorted(pairs)
    ]
    return pd.DataFrame(rows, columns=None if rows else ["cell_index", "ref_index", "p"])


def pair_row(
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
    result = paired.compare_paired([ours[s] for s in seeds], [theirs[s] for s in seeds], alternative)
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


def with_power(rows: pd.DataFrame, alpha: float, alternative: str) -> pd.DataFrame:
    """Per pair: sd_diff (std of the paired differences, ddof 1), mde (the smallest true difference
    the test detects with 80 % power at these n and alpha, given sd_diff) and power_observed (the
    power against a true difference of the observed size |mean_diff|, in the tested direction);
    with a margin, `equivalent`: TOST p <= alpha. NaN where undefined (n < 2, sd 0)."""
    rows = rows.copy()
    if rows.empty:
        return rows
    sds = [float(np.std(d, ddof=1)) if len(d) > 1 else np.nan for d in rows["diffs"]]
    rows["sd_diff"] = sds
    rows["mde"] = [
        power.min_detectable(sd, n, alpha, POWER_TARGET, alternative)
        for sd, n in zip(sds, rows["n_pairs"], strict=True)
    ]
    rows["power_observed"] = [
        power.power(abs(m), sd, n, alpha, alternative)
        for m, sd, n in zip(rows["mean_diff"], sds, rows["n_pairs"], strict=True)
    ]
    if "tost_p" in rows:
        rows["equivalent"] = np.nan_to_num(rows["tost_p"].to_numpy(dtype=float), nan=np.inf) <= alpha
    return rows


def mark(rows: pd.DataFrame, alpha: float, holm: bool) -> pd.DataFrame:
    """Holm across the comparison's pairs; significant: p (Holm p with --holm) <= alpha; better:
    significant with the cell's mean above the reference's."""
    rows = rows.copy()
    rows["p_holm"] = paired.holm(rows["p"]) if len(rows) else []
    p_used = rows["p_holm"] if holm else rows["p"]
    rows["significant"] = np.nan_to_num(p_used.to_numpy(dtype=float), nan=np.inf) <= alpha
    rows["better"] = rows["significant"] & (rows.get("mean_diff", pd.Series(dtype=float)) > 0)
    return rows


def with_primary(cells: pd.DataFrame, primary: Compared | None) -> pd.DataFrame:
    """Each cell's numbers against its reference in the primary comparison (NaN where it has none:
    the reference cells themselves, cells without one)."""
    columns = [*PAIR_COLUMNS, *(PAPER_PAIR_COLUMNS if "paper_mean" in cells else ())]
    if primary is not None and "tost_p" in primary.rows:
        columns += TOST_COLUMNS
    extra = pd.DataFrame(index=cells.index, columns=columns, dtype=object)
    if primary is not None and len(primary.rows):
        rows = primary.rows.set_index("cell_index")
        extra.loc[rows.index, columns] = rows[columns].to_numpy()
        extra["against"] = pd.Series(primary.spec.label, index=rows.index)
        extra["alternative"] = pd.Series(primary.alternative, index=rows.index)
    text = ("wilcoxon_method", "significant", "better")  # the test columns that are not numbers
    numeric = ["ref_mean", *(c for c in TEST_COLUMNS if c not in text), *POWER_COLUMNS]
    for col in (*numeric, *(col for col in columns[len(PAIR_COLUMNS) :] if col != "equivalent")):
        extra[col] = pd.to_numeric(extra[col])
    extra["significant"] = extra["significant"].fillna(False).astype(bool)
    extra["better"] = extra["better"].fillna(False).astype(bool)
    return pd.concat([cells, extra], axis=1)
