"""Paired bootstrap CI over problems: the problem-sampling uncertainty the seed-level tests leave out.

Resamples problems with replacement (the same indices for both runs, which keeps the pairing) and takes the
percentile interval of mean(a) - mean(b). Inputs are per-problem values: booleans for one run, or per-problem
pass rates averaged over seeds. Seeded (numpy ``default_rng``), so a table renders the same CI every time.
Degenerate inputs: no problems -> NaN CI with a note; identical differences everywhere -> the point interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BootstrapCI:
    mean_diff: float
    ci_low: float
    ci_high: float
    level: float
    n: int
    n_boot: int
    seed: int
    note: str = ""

    @property
    def ci(self) -> tuple[float, float]:
        return (self.ci_low, self.ci_high)


def paired_bootstrap_ci(a: Sequence[float], b: Sequence[float], *, level: float = 0.95, n_boot: int = 10_000,
                        seed: int = 0, chunk: int = 2_000) -> BootstrapCI:
    """Percentile CI of mean(a) - mean(b), resampling problems jointly; memory is ``chunk * n`` indices."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot}")
    xa, xb = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if xa.size != xb.size:
        raise ValueError(f"paired_bootstrap_ci needs equal lengths, got {xa.size} and {xb.size}")
    d = xa - xb
    n = int(d.size)
    if n == 0:
        nan = float("nan")
        return BootstrapCI(nan, nan, nan, level, 0, n_boot, seed, "no problems")
    mean = float(d.mean())
    if np.all(d == d[0]):
        return BootstrapCI(mean, mean, mean, level, n, n_boot, seed, "identical differences: point interval")
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        stop = min(start + chunk, n_boot)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = d[idx].mean(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return BootstrapCI(mean, float(low), float(high), level, n, n_boot, seed)
