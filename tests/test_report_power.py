"""bninit.report.stats.power: TOST against two shifted one-sided scipy.stats.ttest_rel, power and seeds
against a direct noncentral-t computation and against a simulation of the paired t-test."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from bninit.report.stats import power


def paired(seed: int, n: int, shift: float, spread: float = 0.5):
    rng = np.random.default_rng(seed)
    base = rng.normal(90, 1, n)
    return base + rng.normal(shift, spread, n), base


@pytest.mark.parametrize("margin", [0.2, 0.5, 1.0])
@pytest.mark.parametrize("seed", range(4))
def test_tost_is_two_shifted_one_sided_ttest_rel(seed, margin):
    cell, base = paired(seed, int(3 + 4 * seed), 0.1 * seed)
    lower = sps.ttest_rel(cell + margin, base, alternative="greater").pvalue  # H1: d > -margin
    upper = sps.ttest_rel(cell - margin, base, alternative="less").pvalue  # H1: d < +margin
    assert power.tost(cell - base, margin) == pytest.approx((max(lower, upper), lower, upper))


def test_tost_edge_cases():
    assert power.tost([0.1, 0.1, 0.1], 0.5) == (0.0, 0.0, 0.0)  # zero variance, inside the margin
    assert power.tost([0.7, 0.7], 0.5) == (1.0, 0.0, 1.0)  # zero variance, outside
    assert power.tost([0.5, 0.5], 0.5)[0] == 1.0  # on the margin: not inside
    assert all(math.isnan(p) for p in power.tost([0.1], 0.5))  # one pair: no test
    # n = 2 by hand: d = (0, 0.2), mean 0.1, s = sqrt(0.02), t_low = (0.1 + 0.5) / (s / sqrt 2) = 6,
    # one degree of freedom: P(T > t) = 1/2 - atan(t) / pi.
    p, low, up = power.tost([0.0, 0.2], 0.5)
    assert low == pytest.approx(0.5 - math.atan(6) / math.pi)
    assert up == pytest.approx(0.5 - math.atan(4) / math.pi) == p
    # ties in the differences change nothing special: same as scipy
    d = np.array([0.1, 0.1, -0.1, 0.2, 0.2])
    want = sps.ttest_1samp(d, 0.3, alternative="less").pvalue
    assert power.tost(d, 0.3)[0] == pytest.approx(
        max(want, sps.ttest_1samp(d, -0.3, alternative="greater").pvalue)
    )
    with pytest.raises(ValueError, match="must be > 0"):
        power.tost([0.1, 0.2], 0.0)


def test_power_is_the_noncentral_t_tail():
    # One-sided: P(T' > t_{1-a, n-1}) with T' ~ nct(n - 1, effect / sd * sqrt n); by hand for n = 10.
    crit = sps.t.ppf(0.95, 9)
    assert power.power(0.3, 0.5, 10) == pytest.approx(sps.nct.sf(crit, 9, 0.6 * math.sqrt(10)))
    crit2 = sps.t.ppf(0.975, 9)
    ncp = 0.6 * math.sqrt(10)
    both = sps.nct.sf(crit2, 9, ncp) + sps.nct.cdf(-crit2, 9, ncp)
    assert power.power(0.3, 0.5, 10, alternative="two-sided") == pytest.approx(both)
    assert power.power(0.0, 0.5, 10) == pytest.approx(0.05)  # no effect: power = alpha
    assert power.power(0.0, 0.5, 10, alternative="two-sided") == pytest.approx(0.05)


def test_power_and_seeds_undefined_without_spread_or_pairs():
    assert math.isnan(power.power(0.3, 0.0, 10))  # zero variance of the differences
    assert math.isnan(power.power(0.3, 0.5, 1))
    assert math.isnan(power.min_detectable(0.0, 10))
    assert math.isnan(power.min_detectable(0.5, 1))
    assert power.seeds_needed(0.3, 0.0) is None
    assert power.seeds_needed(1e-4, 10.0) is None  # more than MAX_SEEDS
    with pytest.raises(ValueError, match="effect"):
        power.seeds_needed(0.0, 0.5)


@pytest.mark.parametrize("alternative", ["greater", "two-sided"])
def test_min_detectable_and_seeds_needed_invert_power(alternative):
    mde = power.min_detectable(0.5, 15, 0.05, 0.8, alternative)
    assert power.power(mde, 0.5, 15, 0.05, alternative) == pytest.approx(0.8, abs=1e-8)
    n = power.seeds_needed(0.3, 0.5, 0.05, 0.8, alternative)
    assert (
        power.power(0.3, 0.5, n, 0.05, alternative) >= 0.8 > power.power(0.3, 0.5, n - 1, 0.05, alternative)
    )
    assert power.seeds_needed(10.0, 0.5, 0.05, 0.8, alternative) == 2  # n = 2 is the least


def simulated_power(effect, sd, n, alpha=0.05, alternative="greater", draws=20_000, seed=0) -> float:
    """The share of 20,000 simulated studies (normal paired differences) the paired t-test rejects."""
    d = np.random.default_rng(seed).normal(effect, sd, (draws, n))
    p = sps.ttest_1samp(d, 0.0, axis=1, alternative=alternative).pvalue
    return float(np.mean(p <= alpha))


SIM_CASES = [  # (effect, sd, n, alpha, alternative)
    (0.3, 0.5, 15, 0.05, "greater"),
    (0.54, 0.57, 15, 0.05, "greater"),  # the demo's gamma 0.05 vs BASE
    (0.2, 0.5, 5, 0.05, "greater"),
    (0.5, 0.4, 3, 0.05, "greater"),
    (0.3, 0.5, 15, 0.05, "two-sided"),
    (0.3, 0.5, 10, 0.01, "greater"),
]


@pytest.mark.parametrize("case", SIM_CASES, ids=str)
def test_power_agrees_with_a_simulation(case):
    effect, sd, n, alpha, alternative = case
    assert power.power(effect, sd, n, alpha, alternative) == pytest.approx(
        simulated_power(effect, sd, n, alpha, alternative), abs=0.01
    )


@pytest.mark.parametrize("alternative", ["greater", "two-sided"])
@pytest.mark.parametrize("effect,sd", [(0.3, 0.5), (0.5, 0.6), (1.0, 0.5)])
def test_seeds_and_mde_agree_with_a_simulation(effect, sd, alternative):
    n = power.seeds_needed(effect, sd, 0.05, 0.8, alternative)
    assert simulated_power(effect, sd, n, alternative=alternative) >= 0.8 - 0.01
    if n > 2:
        assert simulated_power(effect, sd, n - 1, alternative=alternative, seed=1) < 0.8 + 0.01
    mde = power.min_detectable(sd, n, 0.05, 0.8, alternative)
    assert simulated_power(mde, sd, n, alternative=alternative, seed=2) == pytest.approx(0.8, abs=0.01)
