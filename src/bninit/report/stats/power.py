"""Power and sample size of a seed-paired study, and its TOST: pure functions of numbers, no I/O.

d = cell - reference per seed, n pairs, s = std(d, ddof=1). The paired t statistic of a true mean
difference delta has a noncentral t distribution with n - 1 degrees of freedom and noncentrality
delta / s * sqrt(n); power and the seeds a study needs come from it (scipy.stats.nct).

* `tost`: are the two cells the same within +-margin? Two one-sided paired t-tests (H1: mean(d) >
  -margin, and H1: mean(d) < +margin); p = the larger p. Equivalent when p <= alpha.
* `power`: probability that the paired t-test (one-sided "greater" or "two-sided") rejects when the
  true mean difference is `effect` and the std of the differences is `sd`.
* `min_detectable`: the smallest true difference detected with the target power at n.
* `seeds_needed`: the smallest n >= 2 whose power reaches the target.

Undefined (NaN / None) when s cannot be estimated (n < 2) or is 0 (no spread: the t-test is then
degenerate and no power figure means anything).
"""

import math

import numpy as np
from scipy import optimize, stats

NAN = float("nan")
MAX_SEEDS = 10_000  # seeds_needed gives up beyond this


def tost(diffs, margin: float) -> tuple[float, float, float]:
    """(p, p_lower, p_upper) of the paired TOST for |mean(d)| < margin (margin > 0).

    p_lower: H0 mean(d) <= -margin vs H1 mean(d) > -margin; p_upper: H0 mean(d) >= margin vs H1
    mean(d) < margin; p = max of the two. Constant differences: p 0 strictly inside the margin,
    else 1. NaN for fewer than 2 pairs."""
    if not margin > 0:
        raise ValueError(f"equivalence margin {margin}: must be > 0")
    d = np.asarray(diffs, dtype=float)
    if len(d) < 2:
        return NAN, NAN, NAN
    if np.all(d == d[0]):
        lower, upper = float(d[0] <= -margin), float(d[0] >= margin)
        return max(lower, upper), lower, upper
    lower = stats.ttest_1samp(d, -margin, alternative="greater").pvalue
    upper = stats.ttest_1samp(d, margin, alternative="less").pvalue
    return float(max(lower, upper)), float(lower), float(upper)


def _check(alpha: float, alternative: str) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha {alpha}: must be between 0 and 1")
    if alternative not in ("greater", "two-sided"):
        raise ValueError(f"alternative {alternative!r}: allowed: greater, two-sided")


def power(effect: float, sd: float, n: int, alpha: float = 0.05, alternative: str = "greater") -> float:
    """Power of the paired t-test with n pairs against a true mean difference `effect` (same unit
    as `sd`, the std of the differences). NaN when n < 2 or sd is not > 0."""
    _check(alpha, alternative)
    if n < 2 or not sd > 0 or math.isnan(effect):
        return NAN
    df, ncp = n - 1, effect / sd * math.sqrt(n)
    if alternative == "greater":
        return float(stats.nct.sf(stats.t.ppf(1 - alpha, df), df, ncp))
    crit = stats.t.ppf(1 - alpha / 2, df)
    return float(stats.nct.sf(crit, df, ncp) + stats.nct.cdf(-crit, df, ncp))


def min_detectable(
    sd: float, n: int, alpha: float = 0.05, target: float = 0.8, alternative="greater"
) -> float:
    """The smallest true mean difference (> 0) the paired t-test with n pairs detects with power
    `target`. NaN when n < 2 or sd is not > 0."""
    _check(alpha, alternative)
    if not 0 < target < 1:
        raise ValueError(f"power {target}: must be between 0 and 1")
    if n < 2 or not sd > 0:
        return NAN
    high = sd
    while power(high, sd, n, alpha, alternative) < target:  # power rises with the effect
        high *= 2
    return float(
        optimize.brentq(lambda e: power(e, sd, n, alpha, alternative) - target, 0.0, high, xtol=1e-10)
    )


def seeds_needed(
    effect: float, sd: float, alpha: float = 0.05, target: float = 0.8, alternative="greater"
) -> int | None:
    """The smallest n >= 2 whose paired t-test detects a true difference `effect` > 0 with power
    >= `target`; None when sd is not > 0 or more than MAX_SEEDS would be needed."""
    _check(alpha, alternative)
    if not effect > 0:
        raise ValueError(f"effect {effect}: must be > 0")
    if not 0 < target < 1:
        raise ValueError(f"power {target}: must be between 0 and 1")
    if not sd > 0:
        return None
    low, high = 2, 2
    while power(effect, sd, high, alpha, alternative) < target:  # power rises with n
        if high >= MAX_SEEDS:
            return None
        low, high = high, min(2 * high, MAX_SEEDS)
    while low < high:  # smallest n in [low, high] with enough power
        mid = (low + high) // 2
        if power(effect, sd, mid, alpha, alternative) >= target:
            high = mid
        else:
            low = mid + 1
    return high
