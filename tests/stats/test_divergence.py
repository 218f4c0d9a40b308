"""First divergence of tuned vs base outputs on FAIL->PASS flips, on synthetic generations."""

from __future__ import annotations

import pytest
from scipy import stats as st

from s0repro.stats.divergence import first_divergence, flip_divergences


@pytest.mark.parametrize("base,tuned,pos", [
    ("    return x", "def f(x):", 0), ("    return x + 1", "    return x - 1", 13), ("abc", "abcdef", 3),
    ("abcdef", "abc", 3), ("same", "same", None), ("", "x", 0),
])
def test_first_divergence(base, tuned, pos):
    assert first_divergence(base, tuned) == pos


def test_only_fail_to_pass_flips_count():
    base = {"a": (False, "return 1"), "b": (False, "    return 2"), "c": (True, "x"), "d": (False, "same"),
            "e": (False, "zzz")}
    tuned = {"a": (True, "def f():\n    return 1"), "b": (True, "    return 3 if y else 2" + " " * 76),
             "c": (True, "y"), "d": (True, "same"), "e": (False, "www"), "f": (True, "new")}
    summary = flip_divergences(base, tuned)
    assert [(f.task_id, f.position) for f in summary.flips] == [("a", 0), ("b", 11)]
    assert summary.n == 2 and summary.at_first_char == 1 and summary.median_position == 5.5
    assert summary.flips[1].relative == pytest.approx(11 / 100)
    assert summary.early == 1  # 'b' diverges at 11 % of its completion
    assert summary.early_p_value == pytest.approx(st.binomtest(1, 2, 0.1, alternative="greater").pvalue)


def test_paper_sized_example():
    """27 flips all within the first 10 %: the paper's sign test gives p < 1e-8."""
    base = {str(i): (False, "    pass") for i in range(27)}
    tuned = {str(i): (True, ("def g():" if i < 23 else "    pa" + "x" * 10) + " " * 400) for i in range(27)}
    summary = flip_divergences(base, tuned)
    assert (summary.n, summary.at_first_char, summary.early) == (27, 23, 27)
    assert summary.early_p_value < 1e-8
    assert flip_divergences({}, tuned).n == 0 and flip_divergences({}, {}).early_p_value is None
