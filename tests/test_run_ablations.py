"""The run layer's part of the ablations: ``train.data_size`` cuts each seed's training set the same way for every
arm, and ``eval.sampled`` adds a per-seed sampled evaluation to every cell (the base arm included) without touching
the shared greedy baseline. Same fake evaluator and tiny model as tests/test_run.py."""

from __future__ import annotations

import json

from s0repro.results.schema import iter_results, validate_result
from s0repro.train.subsample import subsample
from tests import test_run
from tests.results import fake_evaluate
from tests.test_run import EVALUATOR, go

fakes = test_run.fakes  # the fixture: resets and yields the fake evaluator's call counts


def _by_cell(root):
    return {(r["method"], r["seed"]): r for r in iter_results(root)}


def test_data_size_trains_every_arm_of_a_seed_on_the_same_nested_subset(tmp_path, fakes):
    go(tmp_path, "seed=0..1", "train.data_size=1")
    cells = _by_cell(tmp_path / "results")
    task = EVALUATOR.load_task("minicode")
    for seed in (0, 1):
        full = EVALUATOR.verified_set(None, None, task, k=4, seed=seed).examples
        assert len(full) == 2  # the fake keeps 2 of its 3 problems, so a size of 1 really cuts
        want = [e.task_id for e in subsample(full, 1, seed)]
        for label in ("lora", "state_offset", "s0"):
            train = cells[(label, seed)]["train"]
            assert (train["data_size"], train["num_examples"], train["train_task_ids"]) == (1, 1, want)
        control = cells[("s0_unverified", seed)]["train"]
        assert (control["data_size"], control["num_examples"], control["verified"]) == (1, 1, False)
    assert cells[("none", 0)]["train"] is None


def test_without_data_size_every_verified_solution_is_used(tmp_path, fakes):
    (payload,) = go(tmp_path, "method=s0", "seed=0")
    assert payload["train"]["data_size"] is None
    assert payload["train"]["num_examples"] == len(payload["train"]["train_task_ids"]) == 2


def test_sampled_evaluation_runs_per_seed_for_every_arm_and_caches_only_the_base_arms(tmp_path, fakes):
    go(tmp_path, "method=none", "seed=0")  # greedy only: fills the baseline cache
    go(tmp_path, "seed=0..1", "eval.sampled.n=10", "exp_name=sampled", "~arms.state_offset", "~arms.s0_unverified")
    assert fakes["evaluate_base"] == 1  # eval.sampled is not part of the greedy baseline's cache key
    assert fakes["evaluate_sampled"] == 6  # none, lora, s0 x two seeds: the base arm's samples differ per seed
    root = tmp_path / "results"
    for r in iter_results(root, "sampled"):
        validate_result(r)
        sampled = r["eval"]["sampled"]
        n = sampled["n"]
        assert n == 10 and sampled["temperature"] == 0.7
        assert sampled["pass_counts"] == [(r["seed"] + i) % (n + 1) for i in range(fake_evaluate.N_EVAL)]
        assert sampled["pass_at_1"] == sum(sampled["pass_counts"]) / (n * fake_evaluate.N_EVAL)
        cell = root / "sampled/minicode" / r["method"] / f"seed_{r['seed']}"
        lines = (cell / r["files"]["sampled_records"]).read_text().splitlines()
        assert len(lines) == n * fake_evaluate.N_EVAL
        assert sum(json.loads(line)["passed"] for line in lines) == sum(sampled["pass_counts"])
    (greedy,) = iter_results(root, "tiny_qwen3_5")
    assert greedy["eval"]["sampled"] is None and "sampled_records" not in greedy["files"]
    go(tmp_path, "seed=0..1", "eval.sampled.n=10", "exp_name=sampled_again", "~arms.state_offset", "~arms.s0_unverified")
    assert fakes["evaluate_sampled"] == 10  # the tuned arms again; the base arm's samples came from the cache
    for again in iter_results(root, "sampled_again"):
        assert again["eval"]["sampled"]["pass_counts"] == [(again["seed"] + i) % 11 for i in range(fake_evaluate.N_EVAL)]
        cell = root / "sampled_again/minicode" / again["method"] / f"seed_{again['seed']}"
        assert len((cell / again["files"]["sampled_records"]).read_text().splitlines()) == 10 * fake_evaluate.N_EVAL
