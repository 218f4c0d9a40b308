"""TOST against scipy's one-sided Welch tests, the CI duality, and the degenerate cases."""

import math

import numpy as np
import pytest
from scipy import stats as st

from s0repro.stats.equivalence import tost_from_moments, tost_welch, welch_moments


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("margin", [0.01, 0.03, 0.1])
def test_matches_scipy_one_sided_welch(seed, margin):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(0.70, 0.02, 3 + seed), rng.normal(0.69, 0.03, 4)
    res = tost_welch(a, b, margin)
    lower = st.ttest_ind(a + margin, b, equal_var=False, alternative="greater").pvalue
    upper = st.ttest_ind(a - margin, b, equal_var=False, alternative="less").pvalue
    assert res.p_lower == pytest.approx(lower, rel=1e-9)
    assert res.p_upper == pytest.approx(upper, rel=1e-9)
    assert res.p_value == pytest.approx(max(lower, upper), rel=1e-9)
    # equivalence at alpha <=> the (1 - 2 alpha) interval lies inside the margin
    assert res.equivalent == (-margin < res.ci_low and res.ci_high < margin)


def test_equivalent_and_not():
    a = [0.700, 0.702, 0.698, 0.701, 0.699, 0.700]
    b = [0.701, 0.699, 0.700, 0.702, 0.698, 0.700]
    assert tost_welch(a, b, 0.03).equivalent is True
    assert tost_welch(a, b, 0.0001).equivalent is False
    far = [x + 0.05 for x in b]
    assert tost_welch(a, far, 0.03).equivalent is False


def test_paper_summary_falcon_is_not_equivalent_at_3pp():
    """The paper's own Falcon numbers (71.8 +/- 1.3 vs 71.4 +/- 2.4, 3 seeds each) at a +/-3 pp margin."""
    diff, se, df = welch_moments(71.8, 1.3, 3, 71.4, 2.4, 3)
    res = tost_from_moments(diff, se, df, 3.0, n_a=3, n_b=3)
    assert se == pytest.approx(math.sqrt(1.3**2 / 3 + 2.4**2 / 3), rel=1e-12)
    assert res.p_upper == pytest.approx(st.t.cdf((0.4 - 3.0) / se, df), rel=1e-9)
    assert 0.05 < res.p_value < 0.2 and res.equivalent is False


def test_degenerate_cases():
    one = tost_welch([0.7], [0.6, 0.62], 0.03)
    assert not one.defined and one.equivalent is None and "fewer than 2" in one.note
    for flat in (tost_welch([0.5, 0.5], [0.49, 0.49], 0.03), tost_welch([0.536] * 3, [0.4] * 3, 0.03)):
        assert not flat.defined and flat.equivalent is None and flat.note.startswith("zero variance")
    with pytest.raises(ValueError, match="margin"):
        tost_welch([0.5, 0.6], [0.5, 0.6], 0.0)
