"""Holm's step-down correction for a family of comparisons (e.g. McNemar per seed, or every row of a table).

Adjusted p_(i) = max_{j <= i} min(1, (m - j + 1) p_(j)) over the p-values sorted ascending; reject where the
adjusted p <= alpha. Controls the family-wise error rate without independence assumptions. NaN p-values (tests
that were undefined) stay NaN, are never rejected, and do not count towards m.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HolmResult:
    adjusted: tuple[float, ...]  # in the input order
    reject: tuple[bool, ...]
    alpha: float


def holm(p_values: Sequence[float], alpha: float = 0.05) -> HolmResult:
    p = np.asarray(p_values, dtype=float).ravel()
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    adjusted = np.full(p.size, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = ok.size
    if m:
        order = ok[np.argsort(p[ok], kind="stable")]
        scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
        adjusted[order] = np.maximum.accumulate(scaled)
    reject = tuple(bool(x <= alpha) for x in adjusted)  # NaN <= alpha is False
    return HolmResult(tuple(float(x) for x in adjusted), reject, alpha)
