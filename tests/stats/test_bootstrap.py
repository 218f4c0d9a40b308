"""Paired bootstrap over problems: seeded, paired, and sensible on degenerate input."""

import math

import numpy as np
import pytest

from s0repro.stats import paired_bootstrap_ci


def _loop_reference(a, b, n_boot, seed, level):
    """The same resampling written as a plain loop (one row of indices per replicate)."""
    rng = np.random.default_rng(seed)
    d = np.asarray(a, float) - np.asarray(b, float)
    idx = rng.integers(0, d.size, size=(n_boot, d.size))
    means = [d[row].mean() for row in idx]
    return np.quantile(means, [(1 - level) / 2, (1 + level) / 2])


def test_matches_loop_reference_and_is_seeded():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(size=84) < 0.7, rng.uniform(size=84) < 0.5
    r = paired_bootstrap_ci(a, b, n_boot=3000, seed=5, chunk=3000)
    assert r.ci == pytest.approx(tuple(_loop_reference(a, b, 3000, 5, 0.95)), abs=1e-12)
    assert r.mean_diff == pytest.approx(a.mean() - b.mean())
    assert paired_bootstrap_ci(a, b, n_boot=3000, seed=5).ci == r.ci
    rates_a, rates_b = rng.uniform(size=84), rng.uniform(size=84)  # continuous: quantiles move with the seed
    assert paired_bootstrap_ci(rates_a, rates_b, seed=5).ci != paired_bootstrap_ci(rates_a, rates_b, seed=6).ci


def test_pairing_shrinks_the_interval():
    # b = a except 10 problems: paired differences are mostly 0, so the CI is far narrower than unpaired noise
    rng = np.random.default_rng(1)
    a = rng.uniform(size=200) < 0.5
    b = a.copy()
    b[:10] = ~b[:10]
    r = paired_bootstrap_ci(a, b, n_boot=2000)
    assert r.ci_high - r.ci_low < 0.07
    assert r.ci_low <= r.mean_diff <= r.ci_high


def test_degenerate():
    same = paired_bootstrap_ci([1, 0, 1], [0, -1, 0])
    assert same.ci == (1.0, 1.0) and "identical" in same.note
    empty = paired_bootstrap_ci([], [])
    assert empty.n == 0 and math.isnan(empty.ci_low)
    with pytest.raises(ValueError, match="equal lengths"):
        paired_bootstrap_ci([1], [1, 0])
