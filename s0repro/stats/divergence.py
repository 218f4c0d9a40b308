"""Where a tuned model's greedy output first departs from the base model's, for the problems tuning fixed.

The paper's mechanistic claim: of 27 FAIL->PASS flips (base fails, S0 passes), 23 diverge at the very first
generated character, i.e. S0 acts by changing how the answer starts. This computes the same quantity from stored
generations (the raw text of each result's per-problem records), so it can be checked on every run, and adds the
sign test the paper uses for "all within the first 10 % of the completion".
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass

from scipy import stats as st

EARLY_FRACTION = 0.10  # the paper's "within the first 10 % of the completion"


def first_divergence(base: str, tuned: str) -> int | None:
    """Index of the first character where the two texts differ (the shorter's length when one extends the other);
    None when they are identical."""
    for i, (a, b) in enumerate(zip(base, tuned, strict=False)):
        if a != b:
            return i
    return None if len(base) == len(tuned) else min(len(base), len(tuned))


@dataclass(frozen=True)
class Flip:
    task_id: str
    position: int  # characters into the tuned completion
    relative: float  # position / length of the tuned completion


@dataclass(frozen=True)
class DivergenceSummary:
    flips: tuple[Flip, ...]

    @property
    def n(self) -> int:
        return len(self.flips)

    @property
    def at_first_char(self) -> int:
        return sum(f.position == 0 for f in self.flips)

    @property
    def early(self) -> int:
        """Flips that diverge within the first :data:`EARLY_FRACTION` of the tuned completion."""
        return sum(f.relative < EARLY_FRACTION for f in self.flips)

    @property
    def median_position(self) -> float | None:
        return statistics.median(f.position for f in self.flips) if self.flips else None

    @property
    def early_p_value(self) -> float | None:
        """One-sided binomial (sign) test: more flips diverge early than a uniform position (10 %) would give."""
        if not self.flips:
            return None
        return float(st.binomtest(self.early, self.n, EARLY_FRACTION, alternative="greater").pvalue)


def flip_divergences(base: Mapping[str, tuple[bool, str]], tuned: Mapping[str, tuple[bool, str]]) -> DivergenceSummary:
    """For every problem the base fails and the tuned model passes, where their raw outputs first differ.

    ``base`` / ``tuned``: task_id -> (passed, raw completion). Problems missing from either side are skipped.
    """
    flips = []
    for task_id, (tuned_pass, tuned_raw) in tuned.items():
        if task_id not in base or not tuned_pass or base[task_id][0]:
            continue
        position = first_divergence(base[task_id][1], tuned_raw)
        if position is None:  # same text, different verdict: not a flip of the output (e.g. a flaky test)
            continue
        flips.append(Flip(task_id, position, position / max(len(tuned_raw), 1)))
    return DivergenceSummary(tuple(flips))
