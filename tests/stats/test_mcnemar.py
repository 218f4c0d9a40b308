"""Exact McNemar: a textbook table, scipy's binomial test, and the no-discordance case."""

import numpy as np
import pytest
from scipy import stats as st

from s0repro.stats import mcnemar


def test_textbook_counts():
    # b = 1, c = 9: p = 2 * (C(10,0) + C(10,1)) / 2^10 = 22 / 1024
    a = [True] * 1 + [False] * 9 + [True] * 20 + [False] * 10
    b = [False] * 1 + [True] * 9 + [True] * 20 + [False] * 10
    r = mcnemar(a, b)
    assert (r.b, r.c, r.n) == (1, 9, 40)
    assert r.p_value == pytest.approx(22 / 1024, abs=1e-15)
    assert r.diff == pytest.approx(-8 / 40)


@pytest.mark.parametrize("b,c", [(3, 11), (20, 20), (0, 7), (40, 2)])
def test_matches_scipy_binomtest(b, c):
    a = np.array([True] * b + [False] * c + [True] * 5)
    other = np.array([False] * b + [True] * c + [True] * 5)
    assert mcnemar(a, other).p_value == pytest.approx(st.binomtest(b, b + c, 0.5).pvalue, abs=1e-12)


def test_no_discordant_problems_is_p_one():
    r = mcnemar([True, False, True], [True, False, True])
    assert (r.b, r.c, r.p_value, r.diff) == (0, 0, 1.0, 0.0)


def test_length_mismatch_raises():
    with pytest.raises(ValueError, match="equal lengths"):
        mcnemar([True], [True, False])
