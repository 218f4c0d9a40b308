"""Equivalence test (TOST, two one-sided Welch t-tests): the statistic behind "statistically indistinguishable".

A two-sided test with p >= 0.05 says only that no difference was detected; with three seeds that is the expected
outcome even for a real gap of several points. Equivalence within a margin ``m`` is shown by rejecting both
``H0: diff <= -m`` and ``H0: diff >= +m`` (Schuirmann 1987); the TOST p-value is the larger of the two one-sided
p-values, and equivalence at level alpha is the same as the (1 - 2 alpha) confidence interval of the difference lying
inside (-m, m).

Degenerate cases follow :mod:`s0repro.stats.ttest`: fewer than two observations in a sample give NaN p-values (no
test); zero variance makes it undefined (NaN p, "zero variance" note), as for the t-tests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as st

from s0repro.stats.ttest import ZERO_VARIANCE, sample_variance

NAN = float("nan")


@dataclass(frozen=True)
class TOSTResult:
    """TOST of mean(a) - mean(b) against the equivalence margin (-margin, +margin), in the data's units."""

    margin: float
    mean_diff: float
    p_lower: float  # one-sided p of H0: diff <= -margin
    p_upper: float  # one-sided p of H0: diff >= +margin
    df: float
    ci_low: float  # the (1 - 2 alpha) interval whose inclusion in the margin is equivalence at alpha
    ci_high: float
    alpha: float
    n_a: int
    n_b: int
    note: str = ""

    @property
    def p_value(self) -> float:
        """The TOST p-value: the larger one-sided p (NaN when no test exists)."""
        return max(self.p_lower, self.p_upper) if self.defined else NAN

    @property
    def defined(self) -> bool:
        return not (math.isnan(self.p_lower) or math.isnan(self.p_upper))

    @property
    def equivalent(self) -> bool | None:
        """Both one-sided nulls rejected at ``alpha``; None when the test is undefined."""
        return None if not self.defined else self.p_value < self.alpha


def _one_sided(t: float, df: float, upper_tail: bool) -> float:
    return float(st.t.sf(t, df) if upper_tail else st.t.cdf(t, df))


def tost_from_moments(mean_diff: float, se: float, df: float, margin: float, *, alpha: float = 0.05,
                      n_a: int = 0, n_b: int = 0) -> TOSTResult:
    """TOST from a difference, its standard error and degrees of freedom (also for summary statistics)."""
    if margin <= 0:
        raise ValueError(f"equivalence margin must be positive, got {margin}")
    if not 0.0 < alpha < 0.5:
        raise ValueError(f"alpha must lie in (0, 0.5), got {alpha}")
    if se == 0.0:  # no seed-level test, as for the t-tests (s0repro.stats.ttest)
        return TOSTResult(margin, mean_diff, NAN, NAN, df, NAN, NAN, alpha, n_a, n_b, ZERO_VARIANCE)
    p_lo = _one_sided((mean_diff + margin) / se, df, upper_tail=True)
    p_hi = _one_sided((mean_diff - margin) / se, df, upper_tail=False)
    half = float(st.t.ppf(1.0 - alpha, df)) * se
    return TOSTResult(margin, mean_diff, p_lo, p_hi, float(df), mean_diff - half, mean_diff + half, alpha, n_a, n_b)


def welch_moments(mean_a: float, sd_a: float, n_a: int, mean_b: float, sd_b: float, n_b: int) -> tuple[float, float, float]:
    """(difference, standard error, Welch-Satterthwaite df); both variances zero gives the pooled df."""
    va, vb = sd_a**2 / n_a, sd_b**2 / n_b
    se = math.sqrt(va + vb)
    df = float(n_a + n_b - 2) if va + vb == 0 else (va + vb) ** 2 / (va**2 / (n_a - 1) + vb**2 / (n_b - 1))
    return mean_a - mean_b, se, df


def tost_welch(a: Sequence[float], b: Sequence[float], margin: float, *, alpha: float = 0.05) -> TOSTResult:
    """TOST with Welch's unequal-variance t (the paper's seed-level test), samples ``a`` and ``b``."""
    xa, xb = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if np.isnan(xa).any() or np.isnan(xb).any():
        raise ValueError("statistics input contains NaN")
    if xa.size < 2 or xb.size < 2:
        diff = (float(xa.mean()) if xa.size else NAN) - (float(xb.mean()) if xb.size else NAN)
        return TOSTResult(margin, diff, NAN, NAN, NAN, NAN, NAN, alpha, int(xa.size), int(xb.size),
                          "fewer than 2 observations: no variance estimate, no test")
    diff, se, df = welch_moments(float(xa.mean()), math.sqrt(sample_variance(xa)), xa.size,
                                 float(xb.mean()), math.sqrt(sample_variance(xb)), xb.size)
    return tost_from_moments(diff, se, df, margin, alpha=alpha, n_a=int(xa.size), n_b=int(xb.size))
