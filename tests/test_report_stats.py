"""bninit.report.stats.paired against scipy on random paired data and against worked examples done by hand."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from bninit.report.stats import paired


@pytest.mark.parametrize("seed", range(5))
def test_paired_numbers_match_scipy_on_random_data(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 20))
    base = rng.normal(90, 1, n)
    cell = base + rng.normal(0.3, 0.5, n)
    result = paired.compare_paired(cell, base)

    expected = sps.ttest_rel(cell, base, alternative="greater")
    assert result.t == pytest.approx(expected.statistic)
    assert result.p == pytest.approx(expected.pvalue)
    ci = sps.ttest_rel(cell, base).confidence_interval(0.95)  # two-sided interval of mean(d)
    assert (result.ci_low, result.ci_high) == pytest.approx((ci.low, ci.high))
    assert result.wilcoxon_p == pytest.approx(sps.wilcoxon(cell, base, alternative="greater").pvalue)
    assert result.wilcoxon_method == "exact"  # continuous data: no ties, no zeros
    d = cell - base
    assert result.mean_diff == pytest.approx(d.mean())
    assert result.d_z == pytest.approx(d.mean() / d.std(ddof=1))
    assert result.wins == int((d > 0).sum())
    assert result.n_pairs == n


def test_worked_example_three_pairs():
    # d = (1, 2, 3): mean 2, s = 1, t = 2 / (1 / sqrt 3) = 2 sqrt 3. For 2 degrees of freedom the
    # t distribution has a closed form: P(T > t) = (1 - t / sqrt(t^2 + 2)) / 2 and its q-quantile
    # is (2q - 1) / sqrt(2 q (1 - q)).
    cell, base = [91.0, 92.0, 93.0], [90.0, 90.0, 90.0]
    result = paired.compare_paired(cell, base)
    t = 2 * math.sqrt(3)
    assert result.t == pytest.approx(t)
    assert result.p == pytest.approx((1 - t / math.sqrt(t * t + 2)) / 2)  # 0.0371
    assert result.p == pytest.approx(0.03709, abs=1e-5)
    t975 = 0.95 / math.sqrt(2 * 0.975 * 0.025)  # 4.3027, the textbook table value
    assert (result.ci_low, result.ci_high) == pytest.approx(
        (2 - t975 / math.sqrt(3), 2 + t975 / math.sqrt(3))
    )
    assert result.d_z == pytest.approx(2.0)
    assert result.wins == 3


def test_wilcoxon_exact_worked_examples():
    # n = 5 distinct |d|: 2^5 equally likely sign patterns under H0. All positive: W+ = 15, only
    # one pattern reaches it -> 1/32. One negative at rank 1: W+ = 14, reached by 2 patterns -> 2/32.
    base = np.zeros(5)
    assert paired.wilcoxon([1, 2, 3, 4, 5], base) == (pytest.approx(1 / 32), "exact")
    assert paired.wilcoxon([-1, 2, 3, 4, 5], base) == (pytest.approx(2 / 32), "exact")
    # two-sided: twice the smaller tail
    assert paired.wilcoxon([-1, 2, 3, 4, 5], base, "two-sided") == (pytest.approx(4 / 32), "exact")


def test_holm_against_a_hand_computation():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max 0.06
    adjusted = paired.holm([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_skips_missing_p_and_caps_at_one():
    adjusted = paired.holm([math.nan, 0.5, 0.2])  # m = 2: 0.2*2 = 0.4, then max(0.4, 0.5*1)
    assert math.isnan(adjusted[0])
    assert adjusted[1:] == pytest.approx([0.5, 0.4])
    assert paired.holm([0.6, 0.7]) == pytest.approx([1.0, 1.0])


def test_holm_never_below_raw_and_keeps_the_order_of_p():
    p = np.random.default_rng(0).uniform(0, 0.2, 12)
    adjusted = paired.holm(p)
    assert np.all(adjusted >= p)
    order = np.argsort(p)
    assert np.all(np.diff(adjusted[order]) >= 0)


def test_mean_std_uses_ddof_1_like_the_paper():
    mean, std = paired.mean_std([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5
    assert std == pytest.approx(math.sqrt(5 / 3))
    assert math.isnan(paired.mean_std([7.0])[1])


def test_fewer_than_two_pairs_is_no_test():
    result = paired.compare_paired([91.0], [90.0])
    assert not result.testable
    assert math.isnan(result.p) and math.isnan(result.t) and math.isnan(result.ci_low)
    assert result.mean_diff == 1.0 and result.wins == 1


def test_identical_and_constant_differences_do_not_crash():
    same = paired.compare_paired([90.0, 91.0, 92.0], [90.0, 91.0, 92.0])
    assert math.isnan(same.p) and math.isnan(same.d_z) and math.isnan(same.wilcoxon_p)
    shifted = paired.compare_paired([91.0, 92.0, 93.0], [90.0, 91.0, 92.0])
    assert shifted.p == 0.0 and shifted.mean_diff == pytest.approx(1.0)


def test_unequal_lengths_are_refused():
    with pytest.raises(ValueError, match="differ in length"):
        paired.compare_paired([1.0, 2.0], [1.0])


@pytest.mark.parametrize("alternative", ["greater", "two-sided"])
@pytest.mark.parametrize("seed", range(4))
def test_both_alternatives_match_scipy(seed, alternative):
    rng = np.random.default_rng(10 + seed)
    base = rng.normal(90, 1, 15)
    cell = base + rng.normal(0.2, 0.6, 15)
    result = paired.compare_paired(cell, base, alternative)
    expected = sps.ttest_rel(cell, base, alternative=alternative)
    assert (result.t, result.p) == pytest.approx((expected.statistic, expected.pvalue))
    assert result.wilcoxon_p == pytest.approx(sps.wilcoxon(cell, base, alternative=alternative).pvalue)
    assert result.alternative == alternative


# Accuracies on a 10000-image test set move in steps of 0.01 %, so tied differences are common.
WILCOXON_CASES = {  # differences -> the method scipy's method="auto" uses for them
    "distinct, n = 8": ([0.3, -0.1, 0.5, 0.2, 0.7, -0.4, 0.6, 0.8], "exact"),
    "a tie, n = 8": ([0.3, -0.3, 0.5, 0.2, 0.7, -0.4, 0.6, 0.8], "permutation"),
    "a zero, n = 13": ([0.0, *np.linspace(0.1, 1.2, 12)], "permutation"),
    "a tie, n = 15": ([0.5, 0.5, *np.linspace(-0.3, 1.0, 13)], "normal approx."),
    "distinct, n = 50": (list(np.linspace(-0.5, 2.0, 50)), "exact"),
    "distinct, n = 51": (list(np.linspace(-0.5, 2.0, 51)), "normal approx."),
}


@pytest.mark.parametrize("alternative", ["greater", "two-sided"])
@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=[pytest.mark.slow] if c == "a zero, n = 13" else [])
        for c in sorted(WILCOXON_CASES)
    ],
)  # 2^13 sign flips: seconds
def test_wilcoxon_method_is_scipys_auto_rule(case, alternative):
    diffs, method = WILCOXON_CASES[case]
    d = np.round(np.asarray(diffs, dtype=float), 2)
    assert paired.wilcoxon_method(d) == method
    p, used = paired.wilcoxon(d, np.zeros(len(d)), alternative)
    assert used == method
    assert p == pytest.approx(sps.wilcoxon(d, alternative=alternative).pvalue)  # method="auto"


def test_constant_differences_one_and_two_sided():
    worse = ([90.0, 91.0, 92.0], [91.0, 92.0, 93.0])
    assert paired.paired_ttest(*worse, "greater") == (-math.inf, 1.0)
    assert paired.paired_ttest(*worse, "two-sided") == (-math.inf, 0.0)


def test_unknown_alternative_is_refused():
    with pytest.raises(ValueError, match="allowed: greater, two-sided"):
        paired.compare_paired([1.0, 2.0], [0.0, 1.0], "less")
