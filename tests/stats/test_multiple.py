"""Holm correction: a hand-computed family, monotonicity, and NaN entries."""

import math

import pytest

from s0repro.stats import holm


def test_hand_computed():
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> running max 0.06
    r = holm([0.01, 0.04, 0.03, 0.005])
    assert r.adjusted == pytest.approx((0.03, 0.06, 0.06, 0.02))
    assert r.reject == (True, False, False, True)


def test_caps_at_one_and_ignores_nan():
    r = holm([0.6, float("nan"), 0.45])
    assert r.adjusted[0] == pytest.approx(0.9) and r.adjusted[2] == pytest.approx(0.9)  # m = 2, not 3
    assert holm([0.7, 0.6]).adjusted == (1.0, 1.0)
    assert math.isnan(r.adjusted[1]) and r.reject == (False, False, False)
    assert holm([]).adjusted == ()


def test_rejects_out_of_range():
    with pytest.raises(ValueError):
        holm([1.5])
