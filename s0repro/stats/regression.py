"""Least-squares line with the t-test of its slope: "the gain grows with scale" as a test, not an ordering of means.

An ordering of three or four means (+2.6 < +19.0 < +44.0) holds by chance one time in six for three unrelated
numbers. The claim is a trend, so it is tested as one: regress each seed's gain on log10(parameters) and test the
slope against zero (two-sided, df = n - 2). Each seed is one observation, as in the paper's seed-level tests.

Degenerate cases: fewer than three points, or a single distinct x, leave the slope's test undefined (NaN, with a
note); residuals of exactly zero take the limit (p = 0 for a non-zero slope, 1 for a zero one).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as st

NAN = float("nan")


@dataclass(frozen=True)
class SlopeTest:
    """y = intercept + slope * x, with the two-sided t-test of slope = 0 and its CI at ``level``."""

    slope: float
    intercept: float
    stderr: float
    statistic: float
    p_value: float
    df: int
    ci_low: float
    ci_high: float
    level: float
    n: int
    note: str = ""

    @property
    def defined(self) -> bool:
        return not math.isnan(self.p_value)


def slope_test(x: Sequence[float], y: Sequence[float], level: float = 0.95) -> SlopeTest:
    """Ordinary least squares of ``y`` on ``x`` and the t-test of its slope."""
    xs, ys = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if xs.size != ys.size:
        raise ValueError(f"slope_test needs equal lengths, got {xs.size} and {ys.size}")
    if np.isnan(xs).any() or np.isnan(ys).any():
        raise ValueError("statistics input contains NaN")
    n = int(xs.size)
    sxx = float(((xs - xs.mean()) ** 2).sum()) if n else 0.0
    if n < 3 or sxx == 0.0:
        slope = float(((xs - xs.mean()) * (ys - ys.mean())).sum() / sxx) if n >= 2 and sxx > 0 else NAN
        intercept = float(ys.mean() - slope * xs.mean()) if not math.isnan(slope) else NAN
        why = "a single distinct x: no slope" if n >= 2 and sxx == 0 else "fewer than 3 points: no residual variance"
        return SlopeTest(slope, intercept, NAN, NAN, NAN, max(n - 2, 0), NAN, NAN, level, n, why)
    slope = float(((xs - xs.mean()) * (ys - ys.mean())).sum() / sxx)
    intercept = float(ys.mean() - slope * xs.mean())
    resid = ys - (intercept + slope * xs)
    df = n - 2
    stderr = math.sqrt(float((resid**2).sum()) / df / sxx)
    if stderr == 0.0:
        p = 1.0 if slope == 0.0 else 0.0
        stat = 0.0 if slope == 0.0 else math.copysign(math.inf, slope)
        return SlopeTest(slope, intercept, 0.0, stat, p, df, slope, slope, level, n, "zero residuals: limit of the test")
    stat = slope / stderr
    p = float(2.0 * st.t.sf(abs(stat), df))
    half = float(st.t.ppf(0.5 + level / 2.0, df)) * stderr
    return SlopeTest(slope, intercept, stderr, stat, p, df, slope - half, slope + half, level, n)
