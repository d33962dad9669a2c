"""The paper's claims judged on a study: each claim (Sect. 4.4 and 4.5, shipped as claims.csv)
reproduced / not reproduced / contradicted / not in this study, or listed with its numbers where
the paper states it without a test.

A claim compares `subject` cells with `reference` cells (or every pair of subject cells:
`pairwise`) inside one block and lr, on the same `match` keys, where `where` holds, by seed-paired
t-tests (one-sided: H1 subject > reference; else two-sided), Holm-adjusted across its pairs.
`quantifier`: all (every pair significant), any per KEY (some pair in each group), none (no pair
significant: a "not different" / "none better" claim), gains / listed (numbers, no test).
"""

import itertools
import math

import numpy as np
import pandas as pd

from bninit.report.inputs.layout import is_base_cell
from bninit.report.inputs.paper import load_claims
from bninit.report.stats import welch
from bninit.report.stats.paired import holm, paired_ttest

VERDICTS = ("reproduced", "not reproduced", "contradicted", "not in this study", "no test")
OPS = ("!=", "<=", ">=", "<", ">", "=")


def _holds(cells: pd.DataFrame, token: str) -> pd.Series:
    if token == "BASE":
        return cells.apply(is_base_cell, axis=1).astype(bool)
    op = next(op for op in OPS if op in token)
    key, value = token.split(op, 1)
    if key not in cells:
        return pd.Series(False, index=cells.index)
    column = cells[key]
    if value == "max":
        return column == column.groupby([cells["dataset"]]).transform("max")
    if op in ("=", "!="):
        wanted = value.split("|")
        hit = column.map(lambda v: any(_same(v, w) for w in wanted))
        return hit if op == "=" else ~hit
    number = pd.to_numeric(column, errors="coerce")
    return {"<": number < float(value), ">": number > float(value), "<=": number <= float(value)}.get(
        op, number >= float(value)
    )


def _same(value, wanted: str) -> bool:
    try:
        return float(value) == float(wanted)
    except (TypeError, ValueError):
        return str(value) == wanted


def select(cells: pd.DataFrame, text: str) -> pd.Series:
    """Cells where every token of `text` holds ("not ..." : where they do not all hold)."""
    negate = text.startswith("not ")
    mask = pd.Series(True, index=cells.index)
    for token in text.removeprefix("not ").split():
        mask &= _holds(cells, token).astype(bool)
    return ~mask if negate else mask


def _pairs(cells: pd.DataFrame, claim) -> list[tuple]:
    scope = cells[select(cells, claim["where"])] if claim["where"] else cells
    subjects = scope[select(scope, claim["subject"])]
    match = ["block", "lr", *claim["match"].split()]
    if claim["reference"] == "pairwise":
        groups = subjects.groupby(match, sort=False) if len(subjects) else []
        return [pair for _, group in groups for pair in itertools.combinations(group.index, 2)]
    refs = scope[select(scope, claim["reference"])]
    pairs = []
    for i, subject in subjects.iterrows():
        same = refs[(refs[match] == subject[match]).all(axis=1)] if len(refs) else refs
        pairs += [(i, j) for j in same.index if j != i]
    return pairs


def _paired(a: dict, b: dict, alternative: str) -> float:
    seeds = [s for s in a if s in b]
    return paired_ttest([a[s] for s in seeds], [b[s] for s in seeds], alternative)[1]


def judge(claim, cells: pd.DataFrame, alpha: float, margin: float) -> dict:
    """One claim on a study's analysed cells: its p (Holm-adjusted where it covers several pairs),
    verdict, and what its note says: `gains` ((pair, mean difference) of a claim stated without a
    test) and `equivalent_within` (the margin, where every pair of a "not different" claim is
    equivalent by the TOST; else NaN)."""
    pairs = _pairs(cells, claim)
    row = {k: claim[k] for k in ("claim", "section", "statement", "test")}
    names = [f"{cells.loc[i, 'cell']} vs {cells.loc[j, 'label']}" for i, j in pairs]
    row["cells"] = "; ".join(names)
    if not pairs:
        return {
            **row,
            "p": math.nan,
            "verdict": "not in this study",
            "gains": (),
            "equivalent_within": math.nan,
        }
    acc = cells["seed_acc"]
    if claim["quantifier"] in ("gains", "listed"):
        gains = [cells.loc[i, "mean"] - cells.loc[j, "mean"] for i, j in pairs]
        listed = tuple(zip(names, gains, strict=True))
        return {**row, "p": math.nan, "verdict": "no test", "gains": listed, "equivalent_within": math.nan}
    sided = "greater" if claim["test"] == "one-sided" else "two-sided"
    p = holm([_paired(acc[i], acc[j], sided) for i, j in pairs])
    p = np.nan_to_num(np.asarray(p, dtype=float), nan=1.0)
    against = np.nan_to_num(
        np.asarray(holm([_paired(acc[j], acc[i], "greater") for i, j in pairs]), dtype=float), nan=1.0
    )
    significant, backwards = p <= alpha, (against <= alpha) & (sided == "greater")
    quantifier, equivalent = claim["quantifier"], math.nan
    if quantifier == "none":
        verdict = "reproduced" if not significant.any() else "not reproduced"
        shown = float(p.min())
        if claim["test"] in ("two-sided", "pairwise", "equivalence"):
            tost = [_tost(acc[i], acc[j], margin, alpha) for i, j in pairs]
            if all(t <= alpha for t in tost):
                equivalent = margin
    elif quantifier == "all":
        verdict = "reproduced" if significant.all() else "not reproduced"
        verdict = "contradicted" if backwards.any() else verdict
        shown = float(p.max())
    else:  # any per KEY: some significant pair in every group
        key = quantifier.removeprefix("any per ").strip()
        groups = pd.Series(significant).groupby([cells.loc[i, key] for i, _ in pairs]).any()
        best = pd.Series(p).groupby([cells.loc[i, key] for i, _ in pairs]).min()
        verdict = "reproduced" if groups.all() else "not reproduced"
        verdict = "contradicted" if verdict != "reproduced" and backwards.any() else verdict
        shown = float(best.max())
    return {**row, "p": shown, "verdict": verdict, "gains": (), "equivalent_within": equivalent}


def _tost(a: dict, b: dict, margin: float, alpha: float) -> float:
    seeds = [s for s in a if s in b]
    d = np.array([a[s] - b[s] for s in seeds])
    if len(d) < 2 or not d.std(ddof=1) > 0:
        return math.nan
    se = d.std(ddof=1) / math.sqrt(len(d))
    return welch.judged(float(d.mean()), se, len(d) - 1, 1.0, margin, alpha)["tost_p"]


def judge_claims(cells: pd.DataFrame, alpha: float, margin: float) -> pd.DataFrame:
    """Every packaged claim judged on the study's cells (`claims_csv` words them for claims.csv)."""
    return pd.DataFrame([judge(claim, cells, alpha, margin) for _, claim in load_claims().iterrows()])
