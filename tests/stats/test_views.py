"""Cells from result dicts, and both comparison views on a hand-built case."""

import math

import numpy as np
import pytest
from scipy import stats as st

from s0repro.stats import group_cells, make_cell, paired_seed_level, problem_level, seed_level


def _correct(n_true, n=10):
    return [True] * n_true + [False] * (n - n_true)


def test_make_cell_aligns_problems_and_reads_params(make_result):
    r0 = make_result("e", "t", "s0", 0, [True, False, True], task_ids=["a", "b", "c"], params=12, cost="none")
    r1 = make_result("e", "t", "s0", 1, [False, True, True], task_ids=["c", "a", "b"], params=12, cost="none")
    cell = make_cell([r1, r0])
    assert cell.seeds == (0, 1) and cell.task_ids == ("a", "b", "c")
    assert cell.correct.tolist() == [[True, False, True], [True, True, False]]
    assert cell.trainable_params == 12 and cell.inference_cost == "none" and cell.model == "qwen3_5"
    with pytest.raises(ValueError, match="duplicate seeds"):
        make_cell([r0, r0])


def test_seed_level_is_welch_over_seeds(make_result):
    tuned = [make_result("e", "t", "s0", s, _correct(k)) for s, k in enumerate([7, 8, 7, 9])]
    base = [make_result("e", "t", "none", s, _correct(k)) for s, k in enumerate([5, 4, 5, 5])]
    cells = group_cells(tuned + base)
    cmp = seed_level(cells[("e", "t", "s0")], cells[("e", "t", "none")])
    ref = st.ttest_ind([0.7, 0.8, 0.7, 0.9], [0.5, 0.4, 0.5, 0.5], equal_var=False)
    assert cmp.test.test == "welch" and cmp.test.p_value == pytest.approx(ref.pvalue, rel=1e-12)
    assert cmp.delta == pytest.approx(0.775 - 0.475)
    assert cmp.tuned.sd == pytest.approx(np.std([0.7, 0.8, 0.7, 0.9], ddof=1))
    assert cmp.delta_sd == pytest.approx(np.std([0.2, 0.4, 0.2, 0.4], ddof=1))


def test_single_base_run_uses_one_sample_test(make_result):
    tuned = make_cell([make_result("e", "t", "s0", s, _correct(k)) for s, k in enumerate([7, 8, 9])])
    base = make_cell([make_result("e", "t", "none", 0, _correct(5))])
    cmp = seed_level(tuned, base)
    assert cmp.test.test == "one_sample"
    assert cmp.test.p_value == pytest.approx(st.ttest_1samp([0.7, 0.8, 0.9], 0.5).pvalue, rel=1e-12)
    assert math.isnan(cmp.base.sd)


def test_paired_seed_level_uses_common_seeds(make_result):
    a = make_cell([make_result("e", "t", "s0", s, _correct(k)) for s, k in [(0, 7), (1, 8), (2, 9)]])
    b = make_cell([make_result("e", "t", "so", s, _correct(k)) for s, k in [(1, 6), (2, 6), (3, 1)]])
    r = paired_seed_level(a, b)
    assert r.n_a == 2 and r.mean_diff == pytest.approx(0.25)


def test_problem_level_counts_discordant_problems(make_result):
    # tuned solves problems 0-8, base 0-4 (same for every seed): McNemar b = 4, c = 0 per seed
    tuned = make_cell([make_result("e", "t", "s0", s, _correct(9)) for s in range(3)])
    base = make_cell([make_result("e", "t", "none", s, _correct(5)) for s in range(3)])
    cmp = problem_level(tuned, base, n_boot=2000)
    assert cmp.n_problems == 10 and cmp.pairs == ((0, 0), (1, 1), (2, 2))
    assert [(m.b, m.c) for m in cmp.mcnemar] == [(4, 0)] * 3
    assert cmp.mcnemar[0].p_value == pytest.approx(2 / 16)
    assert cmp.holm_adjusted == pytest.approx((0.375, 0.375, 0.375)) and cmp.n_significant == 0
    assert cmp.bootstrap.mean_diff == pytest.approx(0.4)
    assert 0.0 <= cmp.bootstrap.ci_low < 0.4 < cmp.bootstrap.ci_high <= 0.8


def test_single_run_of_a_trained_method_is_not_tested(make_result):
    tuned = make_cell([make_result("e", "t", "s0", s, _correct(k)) for s, k in enumerate([7, 8, 9])])
    lora = make_cell([make_result("e", "t", "lora", 0, _correct(5))])
    cmp = seed_level(tuned, lora)
    assert cmp.test.test == "welch" and not cmp.test.defined and math.isnan(cmp.delta_sd)
    assert cmp.delta == pytest.approx(0.3)


def test_deterministic_base_with_other_seeds_matches_every_seed(make_result):
    tuned = make_cell([make_result("e", "t", "s0", s, _correct(k)) for s, k in [(42, 7), (7, 9)]])
    base = make_cell([make_result("e", "t", "none", s, _correct(5)) for s in (0, 1)])
    assert seed_level(tuned, base).deltas == pytest.approx((0.4, 0.2))  # seeds sorted: 7, 42
    lora = make_cell([make_result("e", "t", "lora", s, _correct(5)) for s in (0, 1)])
    assert seed_level(tuned, lora).deltas == ()  # a trained method's seeds must match
