"""Welch's t-test and TOST: is a cell the same as a published one? From summary statistics
or per-seed values, and a one-sample t-test against a mean published without a std: pure
functions of numbers, checked against scipy.

The verdict, in this order: `consistent` when the TOST shows the difference within ±margin
(p <= alpha); else `higher` / `lower` when Welch's test finds a difference (p <= alpha); else
`inconclusive` (too few seeds or too much spread to say).
"""

import math

import numpy as np
from scipy import stats

NAN = float("nan")
VERDICTS = ("consistent", "higher", "lower", "inconclusive")


def welch_se_df(std: float, n: int, ref_std: float, ref_n: int) -> tuple[float, float]:
    """Standard error of mean - ref_mean and the Welch-Satterthwaite degrees of freedom."""
    a, b = std**2 / n, ref_std**2 / ref_n
    se = math.sqrt(a + b)
    return se, (a + b) ** 2 / (a**2 / (n - 1) + b**2 / (ref_n - 1))


def judged(delta: float, se: float, df: float, p: float, margin: float, alpha: float) -> dict:
    """The TOST at ±margin (the larger of the two one-sided p-values, H1: delta > -margin and
    H1: delta < +margin), its 1 - 2·alpha CI of delta, and the verdict; `p`: the two-sided test's."""
    if not (se > 0 and df > 0) or math.isnan(p):
        return {"delta": delta, "ci_low": NAN, "ci_high": NAN, "tost_p": NAN, "verdict": "inconclusive"}
    half = stats.t.ppf(1 - alpha, df) * se
    tost = max(stats.t.sf((delta + margin) / se, df), stats.t.cdf((delta - margin) / se, df))
    return {
        "delta": delta,
        "ci_low": delta - half,
        "ci_high": delta + half,
        "tost_p": float(tost),
        "verdict": verdict(float(tost), p, delta, alpha),
    }


def verdict(tost_p: float, p: float, delta: float, alpha: float) -> str:
    if tost_p <= alpha:
        return "consistent"
    if p <= alpha:
        return "higher" if delta > 0 else "lower"
    return "inconclusive"


def from_summary(mean, std, n, ref_mean, ref_std, ref_n, margin: float, alpha: float) -> dict:
    """Ours (mean, sample std, n) against a published mean ± sample std over ref_n seeds."""
    if n < 2 or ref_n < 2 or math.isnan(std) or math.isnan(ref_std):
        return {"welch_p": NAN, **judged(mean - ref_mean, NAN, NAN, NAN, margin, alpha)}
    p = stats.ttest_ind_from_stats(mean, std, n, ref_mean, ref_std, ref_n, equal_var=False).pvalue
    se, df = welch_se_df(std, n, ref_std, ref_n)
    return {"welch_p": float(p), **judged(mean - ref_mean, se, df, float(p), margin, alpha)}


def from_values(values, ref_values, margin: float, alpha: float) -> dict:
    """Ours against another study's per-seed values (Welch's t-test of the two samples)."""
    x, y = np.asarray(values, dtype=float), np.asarray(ref_values, dtype=float)
    if len(x) < 2 or len(y) < 2:
        return {"welch_p": NAN, **judged(_mean(x) - _mean(y), NAN, NAN, NAN, margin, alpha)}
    p = float(stats.ttest_ind(x, y, equal_var=False).pvalue)
    se, df = welch_se_df(x.std(ddof=1), len(x), y.std(ddof=1), len(y))
    return {"welch_p": p, **judged(x.mean() - y.mean(), se, df, p, margin, alpha)}


def from_mean(values, ref_mean: float, margin: float, alpha: float) -> dict:
    """Ours against a mean published without a std: the one-sample t-test of our seeds (its p in
    `welch_p`, the column every judgement fills) and the one-sample TOST."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return {"welch_p": NAN, **judged(_mean(x) - ref_mean, NAN, NAN, NAN, margin, alpha)}
    p = float(stats.ttest_1samp(x, ref_mean).pvalue)
    se = x.std(ddof=1) / math.sqrt(len(x))
    return {"welch_p": p, **judged(x.mean() - ref_mean, se, len(x) - 1, p, margin, alpha)}


def _mean(x) -> float:
    return float(x.mean()) if len(x) else NAN
