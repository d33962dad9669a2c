"""A comparison's pairs marked: Holm, significance, "better", the power figures, the TOST's
verdict, and each cell's numbers against its reference in the primary comparison."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bninit.report import power, stats
from bninit.report.defaults import Comparison


@dataclass
class Compared:
    """One comparison's pairs: a row per (cell, reference) with the numbers of `stats.compare_paired`,
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
    rows["p_holm"] = stats.holm(rows["p"]) if len(rows) else []
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
