"""Exact McNemar test on the per-problem correctness of two runs over the same problems.

The paper tests only across seeds; every seed scores the same 84 problems, so a per-problem test asks the other
question: would these problems flip if the run were repeated on new ones. Only discordant problems count:
``b`` = solved by A only, ``c`` = solved by B only; under H0 b ~ Binomial(b + c, 1/2). The two-sided exact p is
``min(1, 2 * P[X <= min(b, c)])`` (scipy's binomtest gives the same for p = 1/2). No discordant problems ->
p = 1 (nothing contradicts H0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as st


@dataclass(frozen=True)
class McNemarResult:
    b: int  # A correct, B wrong
    c: int  # A wrong, B correct
    n: int  # problems compared
    p_value: float
    diff: float  # accuracy(A) - accuracy(B) = (b - c) / n


def mcnemar(correct_a: Sequence[bool], correct_b: Sequence[bool]) -> McNemarResult:
    """Exact two-sided McNemar test; both sequences list the same problems in the same order."""
    a = np.asarray(correct_a, dtype=bool).ravel()
    b_arr = np.asarray(correct_b, dtype=bool).ravel()
    if a.size != b_arr.size:
        raise ValueError(f"mcnemar needs equal lengths, got {a.size} and {b_arr.size}")
    b = int(np.sum(a & ~b_arr))
    c = int(np.sum(~a & b_arr))
    n = int(a.size)
    diff = (b - c) / n if n else float("nan")
    if b + c == 0:
        return McNemarResult(b, c, n, 1.0, diff)
    p = min(1.0, 2.0 * float(st.binom.cdf(min(b, c), b + c, 0.5)))
    return McNemarResult(b, c, n, p, diff)
