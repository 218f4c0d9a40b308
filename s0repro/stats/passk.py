"""The unbiased pass@k estimator (Chen et al. 2021, "Evaluating Large Language Models Trained on Code").

With ``n`` sampled completions of a problem of which ``c`` pass, the probability that at least one of ``k``
completions drawn without replacement passes is ``1 - C(n - c, k) / C(n, k)``; averaged over problems it is an
unbiased estimate of pass@k. The plain fraction "some of the first k passed" is unbiased too but wastes the other
n - k samples; ``1 - (1 - c/n)^k`` is biased. Computed as the product ``prod_{i=n-c+1}^{n} (1 - k / i)`` (the
paper's numerically stable form), so n in the hundreds never overflows a binomial coefficient.

The paper reports pass@1/5/10 from sampled decoding (T = 0.7) over 3 seeds; the tables compute it here from the
per-problem pass counts each result file stores (``eval.sampled``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one problem with ``c`` passing out of ``n`` samples; needs 0 <= c <= n and 1 <= k <= n."""
    if not 0 <= c <= n:
        raise ValueError(f"pass_at_k: need 0 <= c <= n, got c={c}, n={n}")
    if not 1 <= k <= n:
        raise ValueError(f"pass_at_k: need 1 <= k <= n (k={k}, n={n}); sample at least k completions per problem")
    if n - c < k:  # every k-subset holds a passing sample
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def mean_pass_at_k(counts: Sequence[int], n: int | Sequence[int], k: int) -> float:
    """pass@k over problems: the mean of :func:`pass_at_k`. ``n`` is one sample count or one per problem."""
    if len(counts) == 0:
        raise ValueError("mean_pass_at_k: no problems")
    ns = [n] * len(counts) if isinstance(n, int) else list(n)
    if len(ns) != len(counts):
        raise ValueError(f"mean_pass_at_k: {len(counts)} pass counts but {len(ns)} sample counts")
    return float(np.mean([pass_at_k(int(ni), int(ci), k) for ni, ci in zip(ns, counts, strict=True)]))
