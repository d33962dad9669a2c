"""The paired t-test, Holm, Wilcoxon and the other seed-paired figures: pure functions of numbers.

A cell is compared with a reference cell (BASE by default) by pairing runs of the same seed:
d = cell - reference per seed. The paper's test is the one-sided paired t-test (H1: cell > BASE);
`alternative="two-sided"` tests H1: cell != reference. The rest is added for an honest report.
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
    """How many seeds the cell beat its reference on (strictly)."""
    return int(np.sum(np.asarray(diffs, dtype=float) > 0))


ALTERNATIVES = ("greater", "two-sided")


def paired_ttest(x, y, alternative: str = "greater") -> tuple[float, float]:
    """Paired t-test of H1: mean(x - y) > 0 (greater) or != 0 (two-sided); (t, p).

    NaN for fewer than 2 pairs; constant differences give t = +-inf (p 0, or 1 when one-sided and
    negative) or, all zero, NaN, where scipy would warn.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 2:
        return NAN, NAN
    d = x - y
    if np.all(d == d[0]):
        if d[0] == 0:
            return NAN, NAN
        p = 1.0 if alternative == "greater" and d[0] < 0 else 0.0
        return float(np.sign(d[0]) * np.inf), p
    result = stats.ttest_rel(x, y, alternative=alternative)
    return float(result.statistic), float(result.pvalue)


# How scipy's `wilcoxon(method="auto")` computes p (read from scipy 1.17's source): with n the
# number of pairs (zero differences included), n > 50: the normal approximation; otherwise, when
# the |differences| have no ties and no zeros: the exact null distribution; with ties or zeros and
# n <= 13: an exhaustive permutation test over the 2^n sign flips (exact for that data); with ties
# or zeros and 14 <= n <= 50: the normal approximation (tie-corrected variance, no continuity
# correction). Zero differences are dropped before ranking (zero_method="wilcox").
WILCOXON_EXACT_MAX_N = 50
WILCOXON_PERMUTATION_MAX_N = 13


def wilcoxon_method(diffs) -> str:
    """Which p scipy's `method="auto"` computes for these differences: exact, permutation or normal
    approx. (see the rule above)."""
    d = np.asarray(diffs, dtype=float)
    nonzero = np.abs(d[d != 0])
    ties_or_zeros = len(nonzero) < len(d) or len(np.unique(nonzero)) < len(nonzero)
    if len(d) > WILCOXON_EXACT_MAX_N:
        return "normal approx."
    if not ties_or_zeros:
        return "exact"
    return "permutation" if len(d) <= WILCOXON_PERMUTATION_MAX_N else "normal approx."


_SCIPY_METHOD = {"exact": "exact", "normal approx.": "asymptotic"}


def wilcoxon(x, y, alternative: str = "greater") -> tuple[float, str]:
    """Wilcoxon signed-rank p of H1: x > y (greater) or x != y (two-sided), the rank-based
    robustness check, and the method that computed it (`wilcoxon_method`, passed to scipy
    explicitly so the label is the method used).

    (NaN, "-") when it cannot be computed (fewer than 2 pairs, or every difference zero).
    """
    d = np.asarray(x, dtype=float) - np.asarray(y, dtype=float)
    if len(d) < 2 or np.all(d == 0):
        return NAN, "-"
    method = wilcoxon_method(d)
    scipy_method = _SCIPY_METHOD.get(method) or stats.PermutationMethod()
    return float(stats.wilcoxon(d, alternative=alternative, method=scipy_method).pvalue), method


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
    """A cell against its reference over the seeds both have (x = cell, y = reference, same order)."""

    alternative: str
    n_pairs: int
    mean_diff: float
    ci_low: float
    ci_high: float
    t: float
    p: float
    d_z: float
    wins: int
    wilcoxon_p: float
    wilcoxon_method: str

    @property
    def testable(self) -> bool:
        return self.n_pairs >= 2

    def to_dict(self) -> dict:
        return asdict(self)


def compare_paired(x, y, alternative: str = "greater", level: float = 0.95) -> PairedComparison:
    """Everything the report says about one cell vs its reference, from the paired accuracies."""
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative {alternative!r}: allowed: {', '.join(ALTERNATIVES)}")
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired samples differ in length: {len(x)} vs {len(y)}")
    d = x - y
    t, p = paired_ttest(x, y, alternative)
    low, high = mean_ci(d, level)
    w_p, w_method = wilcoxon(x, y, alternative)
    return PairedComparison(
        alternative=alternative,
        n_pairs=len(d),
        mean_diff=float(d.mean()) if len(d) else NAN,
        ci_low=low,
        ci_high=high,
        t=t,
        p=p,
        d_z=cohens_dz(d),
        wins=win_count(d),
        wilcoxon_p=w_p,
        wilcoxon_method=w_method,
    )
