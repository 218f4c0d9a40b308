"""Nested subsets of the training examples for the data-size ablation (the paper's 10 / 25 / 50 solutions).

Each seed orders its examples by a hash of (seed, task id) and a size-``m`` run trains on the first ``m``. So the
10 are inside the 25, which are inside the 50, for every seed: a curve over data size compares nested sets, not
three unrelated draws. The order depends only on the seed and the task ids, not on the list's order or on the size
asked for, and another seed draws another order. Sizes above the number of examples take them all; the run records
how many it got, since the paper's "50" exceeds the ~48 solutions its own pipeline keeps.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

from s0repro.data.base import TrainExample
from s0repro.errors import UserError

Example = TypeVar("Example", bound=TrainExample)


def _rank(seed: int, example: TrainExample, position: int) -> str:
    key = example.task_id or f"#{position}"  # examples without an id keep a stable key by position
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def nested_order(examples: Sequence[Example], seed: int) -> list[Example]:
    """The examples in this seed's order; any prefix of it is one data size's training set."""
    ranked = sorted(range(len(examples)), key=lambda i: (_rank(seed, examples[i], i), i))
    return [examples[i] for i in ranked]


def subsample(examples: Sequence[Example], size: int | None, seed: int) -> list[Example]:
    """The first ``size`` examples of :func:`nested_order` (all of them, in the original order, for None)."""
    if size is None:
        return list(examples)
    if size < 1:
        raise UserError(f"train.data_size={size} must be >= 1 (or null for every verified solution)")
    return nested_order(examples, seed)[:size]
