"""Two-sample t-tests and the t interval for a mean: the statistics the paper reports over seeds.

Written out from the formulas (scipy supplies only the t distribution) so the degenerate cases the paper's data
produce have one documented answer instead of a NaN and a warning:

* fewer than 2 observations in a sample -> ``statistic``, ``p_value``, ``df`` and the CI are NaN and ``note``
  says why (there is no variance estimate; no test exists).
* zero variance (every seed scored the same in both samples, e.g. S0 at 53.6 on three seeds against a shared
  greedy base) -> the test is undefined too: ``statistic``, ``p_value`` and the CI are NaN and ``note`` says
  "zero variance". The standard error is 0, and t = d / 0 says nothing about d: a "p = 0" would claim certainty
  from three identical numbers. Judge such a comparison by a problem-level test (bootstrap over problems, McNemar).
  ``df`` is still reported (Welch's from the sample that varies; n_a + n_b - 2 when neither does).

Every result carries the mean difference ``a - b`` and a two-sided CI for it at ``level``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as st

NAN = float("nan")
SAME_VALUE_RTOL = 1e-12  # values closer than this (relative to their size) are the same score written twice
ZERO_VARIANCE = "zero variance: every seed scored the same, so the seed-level test is undefined"


@dataclass(frozen=True)
class TTestResult:
    """One t-test of a - b (two-sided)."""

    test: str  # "welch" | "paired" | "one_sample"
    statistic: float
    p_value: float
    df: float
    mean_diff: float  # mean(a) - mean(b) (paired: mean of the differences)
    ci_low: float
    ci_high: float
    level: float
    n_a: int
    n_b: int
    note: str = ""  # why a field is NaN or a limit was taken; empty when the textbook formula applied

    @property
    def ci(self) -> tuple[float, float]:
        return (self.ci_low, self.ci_high)

    @property
    def defined(self) -> bool:
        return not math.isnan(self.p_value)


@dataclass(frozen=True)
class MeanCI:
    """Mean, sample sd (ddof = 1) and the t interval of the mean at ``level``."""

    mean: float
    sd: float
    n: int
    ci_low: float
    ci_high: float
    level: float
    note: str = ""

    @property
    def ci(self) -> tuple[float, float]:
        return (self.ci_low, self.ci_high)

    def contains(self, value: float) -> bool | None:
        """Whether ``value`` lies in the interval; None when the interval is undefined (n < 2)."""
        if math.isnan(self.ci_low):
            return None
        return self.ci_low <= value <= self.ci_high


def _array(x: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(x, dtype=float).ravel()
    if np.isnan(arr).any():
        raise ValueError("statistics input contains NaN")
    return arr


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")


def _finish(test: str, diff: float, se: float, df: float, level: float, n_a: int, n_b: int,
            note: str = "") -> TTestResult:
    """t, p and CI from a difference, its standard error and df; se == 0 is undefined (see the module docstring)."""
    if se == 0.0:
        return TTestResult(test, NAN, NAN, df, diff, NAN, NAN, level, n_a, n_b,
                           note or ZERO_VARIANCE)
    stat = diff / se
    p = float(2.0 * st.t.sf(abs(stat), df))
    half = float(st.t.ppf(0.5 + level / 2.0, df)) * se
    return TTestResult(test, float(stat), p, float(df), diff, diff - half, diff + half, level, n_a, n_b, note)


def _undefined(test: str, diff: float, level: float, n_a: int, n_b: int) -> TTestResult:
    return TTestResult(test, NAN, NAN, NAN, diff, NAN, NAN, level, n_a, n_b,
                       "fewer than 2 observations: no variance estimate, no test")


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else NAN


def sample_variance(x: np.ndarray) -> float:
    """Sample variance (ddof = 1); exactly 0 when the values agree to rounding. Three seeds at 0.536 have a float
    variance near 1e-33, which would make t astronomically large and p about 1e-32 instead of undefined."""
    if np.ptp(x) <= SAME_VALUE_RTOL * float(np.abs(x).max()):
        return 0.0
    return float(x.var(ddof=1))


def welch_ttest(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> TTestResult:
    """Welch's unequal-variance t-test of mean(a) - mean(b), as the paper does across seeds."""
    _check_level(level)
    xa, xb = _array(a), _array(b)
    diff = _mean(xa) - _mean(xb)
    if xa.size < 2 or xb.size < 2:
        return _undefined("welch", diff, level, xa.size, xb.size)
    va, vb = sample_variance(xa) / xa.size, sample_variance(xb) / xb.size
    se = math.sqrt(va + vb)
    if va + vb == 0.0:
        df = float(xa.size + xb.size - 2)
    else:
        df = (va + vb) ** 2 / (va**2 / (xa.size - 1) + vb**2 / (xb.size - 1))
    return _finish("welch", diff, se, df, level, xa.size, xb.size)


def paired_ttest(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> TTestResult:
    """Paired t-test of the differences a_i - b_i (same seeds, or the same problems, in the same order)."""
    _check_level(level)
    xa, xb = _array(a), _array(b)
    if xa.size != xb.size:
        raise ValueError(f"paired_ttest needs equal lengths, got {xa.size} and {xb.size}")
    d = xa - xb
    diff = _mean(d)
    if d.size < 2:
        return _undefined("paired", diff, level, xa.size, xb.size)
    se = math.sqrt(sample_variance(d) / d.size)
    return _finish("paired", diff, se, float(d.size - 1), level, xa.size, xb.size)


def one_sample_ttest(x: Sequence[float], mu: float, level: float = 0.95) -> TTestResult:
    """t-test of mean(x) - mu: a tuned method over seeds against a single (deterministic) base run."""
    _check_level(level)
    xs = _array(x)
    diff = _mean(xs) - float(mu)
    if xs.size < 2:
        return _undefined("one_sample", diff, level, xs.size, 1)
    se = math.sqrt(sample_variance(xs) / xs.size)
    return _finish("one_sample", diff, se, float(xs.size - 1), level, xs.size, 1)


def mean_ci(x: Sequence[float], level: float = 0.95) -> MeanCI:
    """Mean, sample sd and the two-sided t interval; n < 2 gives NaN sd/CI (with a note), sd = 0 a point CI."""
    _check_level(level)
    xs = _array(x)
    if xs.size == 0:
        return MeanCI(NAN, NAN, 0, NAN, NAN, level, "no observations")
    mean = float(xs.mean())
    if xs.size == 1:
        return MeanCI(mean, NAN, 1, NAN, NAN, level, "one observation: no sd, no interval")
    sd = math.sqrt(sample_variance(xs))
    half = float(st.t.ppf(0.5 + level / 2.0, xs.size - 1)) * sd / math.sqrt(xs.size)
    return MeanCI(mean, sd, int(xs.size), mean - half, mean + half, level)
