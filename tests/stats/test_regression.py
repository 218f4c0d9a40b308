"""The slope test against scipy.stats.linregress and the degenerate cases."""

import numpy as np
import pytest
from scipy import stats as st

from s0repro.stats.regression import slope_test


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_linregress(seed):
    rng = np.random.default_rng(seed)
    x = np.repeat(np.log10([0.8e9, 2e9, 4e9, 9e9]), 3)
    y = 0.2 * x + rng.normal(0, 0.05, x.size)
    res, ref = slope_test(x, y), st.linregress(x, y)
    assert res.slope == pytest.approx(ref.slope, rel=1e-10)
    assert res.intercept == pytest.approx(ref.intercept, rel=1e-10)
    assert res.stderr == pytest.approx(ref.stderr, rel=1e-10)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-8)
    half = st.t.ppf(0.975, x.size - 2) * ref.stderr
    assert (res.ci_low, res.ci_high) == pytest.approx((ref.slope - half, ref.slope + half), rel=1e-10)


def test_flat_data_has_no_trend():
    x = np.repeat([9.0, 9.3, 9.6], 4)
    y = np.tile([0.01, -0.01, 0.02, -0.02], 3)
    res = slope_test(x, y)
    assert abs(res.slope) < 0.01 and res.p_value > 0.5


def test_degenerate_cases():
    assert not slope_test([1.0, 2.0], [0.1, 0.3]).defined
    same_x = slope_test([9.0, 9.0, 9.0], [0.1, 0.2, 0.3])
    assert not same_x.defined and "single distinct x" in same_x.note
    exact = slope_test([1.0, 2.0, 3.0], [1.0, 3.0, 5.0])  # exactly representable: zero residuals
    assert exact.p_value == 0.0 and exact.slope == 2.0
    with pytest.raises(ValueError, match="equal lengths"):
        slope_test([1.0, 2.0, 3.0], [0.1, 0.2])
