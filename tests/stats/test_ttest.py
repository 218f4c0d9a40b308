"""t-tests and the t interval: against scipy to 1e-12, a hand-computed case, and every degenerate input."""

import math

import numpy as np
import pytest
from scipy import stats as st

from s0repro.stats import mean_ci, one_sample_ttest, paired_ttest, welch_ttest
from s0repro.stats.ttest import ZERO_VARIANCE

RNG = np.random.default_rng(123)
SAMPLES = [(RNG.normal(0.7, 0.05, 10), RNG.normal(0.5, 0.01, 10)),
           (RNG.normal(0.7, 0.05, 3), RNG.normal(0.72, 0.2, 8)),
           (RNG.uniform(size=25), RNG.uniform(size=4))]


@pytest.mark.parametrize("a,b", SAMPLES, ids=["n10-n10", "n3-n8", "n25-n4"])
@pytest.mark.parametrize("level", [0.95, 0.9])
def test_welch_matches_scipy(a, b, level):
    ours = welch_ttest(a, b, level)
    ref = st.ttest_ind(a, b, equal_var=False)
    ci = ref.confidence_interval(level)
    for got, want in [(ours.statistic, ref.statistic), (ours.p_value, ref.pvalue), (ours.df, ref.df),
                      (ours.ci_low, ci.low), (ours.ci_high, ci.high), (ours.mean_diff, a.mean() - b.mean())]:
        assert got == pytest.approx(want, rel=1e-12, abs=1e-12)
    assert ours.note == "" and ours.defined


@pytest.mark.parametrize("level", [0.95, 0.99])
def test_paired_matches_scipy(level):
    a, b = RNG.normal(0.7, 0.05, 10), RNG.normal(0.6, 0.05, 10)
    ours = paired_ttest(a, b, level)
    ref = st.ttest_rel(a, b)
    ci = ref.confidence_interval(level)
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-12)
    assert ours.df == 9
    assert (ours.ci_low, ours.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-12)


def test_one_sample_matches_scipy():
    x = RNG.normal(0.7, 0.05, 7)
    ours, ref = one_sample_ttest(x, 0.488), st.ttest_1samp(x, 0.488)
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-12)
    ci = ref.confidence_interval()  # scipy's interval is for the mean; ours is for mean - mu
    assert ours.ci == pytest.approx((ci.low - 0.488, ci.high - 0.488), rel=1e-12)


def test_mean_ci_matches_scipy():
    x = RNG.normal(0.7, 0.05, 10)
    ours = mean_ci(x, 0.9)
    low, high = st.t.interval(0.9, 9, loc=x.mean(), scale=st.sem(x))
    assert ours.ci == pytest.approx((low, high), rel=1e-12)
    assert ours.sd == pytest.approx(x.std(ddof=1), rel=1e-12)


def test_welch_hand_computed():
    # means 3 and 6, variances 2.5 and 10, n = 5 each: se^2 = 0.5 + 2 = 2.5,
    # t = -3 / sqrt(2.5), df = 2.5^2 / (0.5^2 / 4 + 2^2 / 4) = 6.25 / 1.0625
    r = welch_ttest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])
    assert r.mean_diff == -3.0
    assert r.statistic == pytest.approx(-3 / math.sqrt(2.5), rel=1e-12)
    assert r.df == pytest.approx(6.25 / 1.0625, rel=1e-12)


def test_paired_hand_computed():
    # differences 1, 2, 3: mean 2, sd 1, se 1/sqrt(3), t = 2 sqrt(3), df 2; t_{0.975,2} = 4.302652729749464
    r = paired_ttest([2, 4, 6], [1, 2, 3])
    assert r.statistic == pytest.approx(2 * math.sqrt(3), rel=1e-12)
    half = 4.302652729749464 / math.sqrt(3)
    assert r.ci == pytest.approx((2 - half, 2 + half), rel=1e-12)


def test_mean_ci_hand_computed():
    # 0.70, 0.72, 0.74: mean 0.72, sd 0.02, t_{0.975,2} = 4.302652729749464
    r = mean_ci([0.70, 0.72, 0.74])
    assert r.mean == pytest.approx(0.72) and r.sd == pytest.approx(0.02)
    assert r.ci_high - r.mean == pytest.approx(4.302652729749464 * 0.02 / math.sqrt(3), rel=1e-9)
    assert r.contains(0.72) and not r.contains(0.9)


def test_degenerate_small_n_is_nan_with_note():
    for r in (welch_ttest([0.5], [0.4, 0.6]), paired_ttest([0.5], [0.4]), one_sample_ttest([0.7], 0.5)):
        assert math.isnan(r.p_value) and math.isnan(r.statistic) and math.isnan(r.ci_low)
        assert "fewer than 2" in r.note and not r.defined
    assert welch_ttest([0.5], [0.4, 0.6]).mean_diff == pytest.approx(0.0)
    empty = mean_ci([])
    assert empty.n == 0 and math.isnan(empty.mean) and empty.contains(0.5) is None
    one = mean_ci([0.4])
    assert one.mean == 0.4 and math.isnan(one.sd) and one.contains(0.4) is None


def test_zero_variance_is_undefined_not_p_zero():
    """Every seed scoring the same (S0 at 53.6 on three seeds vs a shared base) gives no seed-level test."""
    for result in (welch_ttest([0.5, 0.5, 0.5], [0.5, 0.5]), welch_ttest([0.536] * 3, [0.4] * 3),
                   welch_ttest([0.7, 0.7], [0.5, 0.5, 0.5]), one_sample_ttest([0.536] * 3, 0.4),
                   paired_ttest([0.6, 0.7], [0.5, 0.6])):
        assert not result.defined and math.isnan(result.statistic) and math.isnan(result.ci_low)
        assert result.note == ZERO_VARIANCE
    apart = welch_ttest([0.7, 0.7], [0.5, 0.5, 0.5])
    assert apart.mean_diff == pytest.approx(0.2) and apart.df == 3.0  # the difference itself is still reported
    # one sample varies: Welch reduces to a one-sample test of the varying sample, df = n - 1
    base_constant = welch_ttest([0.70, 0.72, 0.74, 0.76], [0.488] * 10)
    one = one_sample_ttest([0.70, 0.72, 0.74, 0.76], 0.488)
    assert base_constant.df == pytest.approx(3.0) and base_constant.p_value == pytest.approx(one.p_value, rel=1e-12)
    flat = mean_ci([0.3, 0.3, 0.3])
    assert flat.sd == 0.0 and flat.ci == (0.3, 0.3)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="equal lengths"):
        paired_ttest([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="NaN"):
        welch_ttest([1, float("nan")], [1, 2])
    with pytest.raises(ValueError, match="level"):
        mean_ci([1, 2], level=95)
