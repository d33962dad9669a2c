"""Statistics of a study: pure functions of arrays, no I/O (SPEC §3, §6).

A cell is compared with BASE by pairing runs of the same seed: d = cell - BASE per seed. The paper's
test is the one-sided paired t-test (H1: cell > BASE); the rest is added for an honest report.
"""

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

NAN = float("nan")


def mean_std(values) -> tuple[float, float]:
    """Mean and sample std (ddof=1, as the paper reports); std is NaN for fewer than 2 values."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0:
        return NAN, NAN
    return float(x.mean()), float(x.std(ddof=1)) if len(x) > 1 else NAN


def mean_ci(diffs, level: float = 0.95) -> tuple[float, float]:
    """Two-sided t-based confidence interval of the mean of `diffs`: mean +- t_{n-1} * s / sqrt(n)."""
    d = np.asarray(diffs, dtype=float)
    if len(d) < 2:
        return NAN, NAN
    half = stats.t.ppf(0.5 + level / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return float(d.mean() - half), float(d.mean() + half)


def cohens_dz(diffs) -> float:
    """Effect size of paired data: mean(d) / std(d, ddof=1); NaN when undefined (n < 2 or std 0)."""
    d = np.asarray(diffs, dtype=float)
    if len(d) < 2:
        return NAN
    sd = d.std(ddof=1)
    return float(d.mean() / sd) if sd > 0 else NAN


def win_count(diffs) -> int:
    """How many seeds the cell beat BASE on (strictly)."""
    return int(np.sum(np.asarray(diffs, dtype=float) > 0))


def paired_ttest_greater(x, y) -> tuple[float, float]:
    """One-sided paired t-test of H1: mean(x - y) > 0; (t, p). NaN for fewer than 2 pairs."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 2:
        return NAN, NAN
    d = x - y
    if np.all(d == d[0]):  # zero variance: t is undefined (d = 0) or infinite; scipy warns
        return (NAN, NAN) if d[0] == 0 else (float(np.sign(d[0]) * np.inf), 0.0 if d[0] > 0 else 1.0)
    result = stats.ttest_rel(x, y, alternative="greater")
    return float(result.statistic), float(result.pvalue)


def wilcoxon_greater(x, y) -> float:
    """One-sided Wilcoxon signed-rank p (H1: x > y), the rank-based robustness check.

    NaN when it cannot be computed (fewer than 2 pairs, or every difference zero).
    """
    d = np.asarray(x, dtype=float) - np.asarray(y, dtype=float)
    if len(d) < 2 or np.all(d == 0):
        return NAN
    return float(stats.wilcoxon(d, alternative="greater").pvalue)


def holm(pvalues) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values, in the input order; NaN entries stay NaN and don't count.

    Sort the m valid p ascending; p_adj(i) = max over j <= i of min(1, (m - j) * p(j)), j from 0.
    Rejecting where p_adj <= alpha controls the family-wise error rate at alpha.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, NAN)
    valid = np.flatnonzero(~np.isnan(p))
    m = len(valid)
    order = valid[np.argsort(p[valid], kind="stable")]
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[index]))
        out[index] = running
    return out


@dataclass(frozen=True)
class PairedComparison:
    """A cell against BASE over the seeds both have (x = cell, y = BASE, same order)."""

    n_pairs: int
    mean_diff: float
    ci_low: float
    ci_high: float
    t: float
    p: float
    d_z: float
    wins: int
    wilcoxon_p: float

    @property
    def testable(self) -> bool:
        return self.n_pairs >= 2

    def to_dict(self) -> dict:
        return asdict(self)


def compare_paired(x, y, level: float = 0.95) -> PairedComparison:
    """Everything the report says about one cell vs BASE, from the paired accuracies."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired samples differ in length: {len(x)} vs {len(y)}")
    d = x - y
    t, p = paired_ttest_greater(x, y)
    low, high = mean_ci(d, level)
    return PairedComparison(
        n_pairs=len(d), mean_diff=float(d.mean()) if len(d) else NAN, ci_low=low, ci_high=high,
        t=t, p=p, d_z=cohens_dz(d), wins=win_count(d), wilcoxon_p=wilcoxon_greater(x, y))
