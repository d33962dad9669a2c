"""bninit.report.stats against scipy on random paired data and against worked examples done by hand."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from bninit.report import stats


@pytest.mark.parametrize("seed", range(5))
def test_paired_numbers_match_scipy_on_random_data(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 20))
    base = rng.normal(90, 1, n)
    cell = base + rng.normal(0.3, 0.5, n)
    result = stats.compare_paired(cell, base)

    expected = sps.ttest_rel(cell, base, alternative="greater")
    assert result.t == pytest.approx(expected.statistic)
    assert result.p == pytest.approx(expected.pvalue)
    ci = sps.ttest_rel(cell, base).confidence_interval(0.95)  # two-sided interval of mean(d)
    assert (result.ci_low, result.ci_high) == pytest.approx((ci.low, ci.high))
    assert result.wilcoxon_p == pytest.approx(sps.wilcoxon(cell, base, alternative="greater").pvalue)
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
    result = stats.compare_paired(cell, base)
    t = 2 * math.sqrt(3)
    assert result.t == pytest.approx(t)
    assert result.p == pytest.approx((1 - t / math.sqrt(t * t + 2)) / 2)  # 0.0371
    assert result.p == pytest.approx(0.03709, abs=1e-5)
    t975 = 0.95 / math.sqrt(2 * 0.975 * 0.025)  # 4.3027, the textbook table value
    assert (result.ci_low, result.ci_high) == pytest.approx((2 - t975 / math.sqrt(3),
                                                            2 + t975 / math.sqrt(3)))
    assert result.d_z == pytest.approx(2.0)
    assert result.wins == 3


def test_wilcoxon_exact_worked_examples():
    # n = 5 distinct |d|: 2^5 equally likely sign patterns under H0. All positive: W+ = 15, only
    # one pattern reaches it -> 1/32. One negative at rank 1: W+ = 14, reached by 2 patterns -> 2/32.
    base = np.zeros(5)
    assert stats.wilcoxon_greater([1, 2, 3, 4, 5], base) == pytest.approx(1 / 32)
    assert stats.wilcoxon_greater([-1, 2, 3, 4, 5], base) == pytest.approx(2 / 32)


def test_holm_against_a_hand_computation():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max 0.06
    adjusted = stats.holm([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_skips_missing_p_and_caps_at_one():
    adjusted = stats.holm([math.nan, 0.5, 0.2])  # m = 2: 0.2*2 = 0.4, then max(0.4, 0.5*1)
    assert math.isnan(adjusted[0])
    assert adjusted[1:] == pytest.approx([0.5, 0.4])
    assert stats.holm([0.6, 0.7]) == pytest.approx([1.0, 1.0])


def test_holm_never_below_raw_and_keeps_the_order_of_p():
    p = np.random.default_rng(0).uniform(0, 0.2, 12)
    adjusted = stats.holm(p)
    assert np.all(adjusted >= p)
    order = np.argsort(p)
    assert np.all(np.diff(adjusted[order]) >= 0)


def test_mean_std_uses_ddof_1_like_the_paper():
    mean, std = stats.mean_std([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5
    assert std == pytest.approx(math.sqrt(5 / 3))
    assert math.isnan(stats.mean_std([7.0])[1])


def test_fewer_than_two_pairs_is_no_test():
    result = stats.compare_paired([91.0], [90.0])
    assert not result.testable
    assert math.isnan(result.p) and math.isnan(result.t) and math.isnan(result.ci_low)
    assert result.mean_diff == 1.0 and result.wins == 1


def test_identical_and_constant_differences_do_not_crash():
    same = stats.compare_paired([90.0, 91.0, 92.0], [90.0, 91.0, 92.0])
    assert math.isnan(same.p) and math.isnan(same.d_z) and math.isnan(same.wilcoxon_p)
    shifted = stats.compare_paired([91.0, 92.0, 93.0], [90.0, 91.0, 92.0])
    assert shifted.p == 0.0 and shifted.mean_diff == pytest.approx(1.0)


def test_unequal_lengths_are_refused():
    with pytest.raises(ValueError, match="differ in length"):
        stats.compare_paired([1.0, 2.0], [1.0])
