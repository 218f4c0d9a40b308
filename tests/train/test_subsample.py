"""Nested subsampling for the data-size ablation: 10 inside 25 inside 50, per seed, deterministic."""

import random

import pytest

from s0repro.data.base import TrainExample
from s0repro.errors import UserError
from s0repro.train.subsample import nested_order, subsample

EXAMPLES = [TrainExample(f"prompt {i}", f"completion {i}", task_id=f"HumanEval/{i}") for i in range(60)]


@pytest.mark.parametrize("seed", [42, 7, 123])
def test_sizes_are_nested_for_every_seed(seed):
    s10, s25, s50 = (subsample(EXAMPLES, m, seed) for m in (10, 25, 50))
    assert (len(s10), len(s25), len(s50)) == (10, 25, 50)
    assert s10 == s25[:10] and s25 == s50[:25]
    assert set(s50) <= set(EXAMPLES) and len(set(s50)) == 50  # no duplicates


def test_deterministic_and_independent_of_input_order():
    shuffled = EXAMPLES[:]
    random.Random(0).shuffle(shuffled)
    assert subsample(EXAMPLES, 25, 42) == subsample(EXAMPLES, 25, 42)
    assert subsample(shuffled, 25, 42) == subsample(EXAMPLES, 25, 42)


def test_seeds_draw_different_subsets():
    draws = {tuple(e.task_id for e in subsample(EXAMPLES, 10, s)) for s in (42, 7, 123)}
    assert len(draws) == 3


def test_every_example_reaches_the_front_for_some_seed():
    # a draw, not a fixed preference: over 200 seeds each of the 60 examples is among the first 10 at least once
    firsts = {e.task_id for s in range(200) for e in subsample(EXAMPLES, 10, s)}
    assert firsts == {e.task_id for e in EXAMPLES}


def test_larger_than_available_takes_all_and_none_keeps_order():
    assert sorted(e.task_id for e in subsample(EXAMPLES[:8], 50, 1)) == sorted(e.task_id for e in EXAMPLES[:8])
    assert subsample(EXAMPLES, None, 1) == EXAMPLES
    assert nested_order(EXAMPLES, 3)[:50] == subsample(EXAMPLES, 50, 3)


def test_bad_size_is_one_line():
    with pytest.raises(UserError, match="train.data_size=0 must be >= 1"):
        subsample(EXAMPLES, 0, 1)
