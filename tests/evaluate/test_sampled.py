"""Sampled evaluation: n samples per problem, each scored, pass counts c out of n, reproducible by seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from s0repro.data import TaskData
from s0repro.errors import UserError
from s0repro.evaluate.generation import GenerationConfig
from s0repro.evaluate.sampled import SampledConfig, evaluate_sampled
from s0repro.evaluate.sandbox import SandboxConfig

SANDBOX = SandboxConfig(timeout_s=1.0, wall_factor=2.0)
GEN = GenerationConfig(batch_size=4, max_new_tokens=4)


def test_counts_the_passing_samples_of_each_problem(toy_code: TaskData, tiny, monkeypatch, tmp_path: Path) -> None:
    problems = toy_code.train + toy_code.eval  # 4 problems
    passing = {0: 3, 1: 0, 2: 5, 3: 1}  # how many of the 5 samples of each problem are the canonical body
    seen = {}

    def fake_generate(model, tokenizer, prompts, cfg, **kwargs):
        seen.update(cfg=cfg, seed=kwargs["seed"], desc=kwargs["desc"])
        return [[p.answer if j < passing[i] else "    return None\n" for j in range(cfg.num_samples)]
                for i, p in enumerate(problems)]

    monkeypatch.setattr("s0repro.evaluate.generation.generate", fake_generate)
    out = tmp_path / "sampled.jsonl"
    res = evaluate_sampled(tiny.model, tiny.tokenizer, toy_code, problems, GEN, SANDBOX, SampledConfig(n=5),
                           seed=7, out_jsonl=out, progress=False)
    assert res.pass_counts == [3, 0, 5, 1] and res.n == 5
    assert res.task_ids == [p.task_id for p in problems]
    assert res.pass_at_1 == pytest.approx(9 / 20, rel=1e-12)
    assert res.failure_types["none"] == 9 and sum(res.failure_types.values()) == 20
    # the generator was asked to sample at the paper's temperature, n per prompt, with the run's seed
    assert seen["cfg"].do_sample and seen["cfg"].num_samples == 5 and seen["seed"] == 7
    assert seen["desc"] == "sampled eval n=5: generate"  # its progress bar says which generation phase this is
    assert (seen["cfg"].temperature, seen["cfg"].top_p, seen["cfg"].batch_size) == (0.7, 0.95, 4)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 20 and [r["sample"] for r in lines[:5]] == [0, 1, 2, 3, 4]
    assert sum(r["passed"] for r in lines if r["task_id"] == problems[0].task_id) == 3
    record = res.to_record()
    assert "records" not in record and record["pass_counts"] == [3, 0, 5, 1] and record["temperature"] == 0.7
    json.dumps(record)  # goes into result.json as is


def test_real_sampling_is_reproducible_by_seed(toy_code: TaskData, lively_tiny) -> None:
    problems = toy_code.eval[:1]
    run = [evaluate_sampled(lively_tiny.model, lively_tiny.tokenizer, toy_code, problems, GEN, SANDBOX,
                            SampledConfig(n=3), seed=s, progress=False) for s in (1, 1)]
    assert run[0].pass_counts == run[1].pass_counts
    assert [r["raw"] for r in run[0].records] == [r["raw"] for r in run[1].records]
    assert len(run[0].records) == 3 and 0 <= run[0].pass_counts[0] <= 3


@pytest.mark.parametrize("kwargs", [{"n": -1}, {"temperature": 0.0}, {"top_p": 1.5}])
def test_bad_config_is_one_line(kwargs) -> None:
    with pytest.raises(UserError, match="eval.sampled"):
        SampledConfig(**kwargs)


def test_n_zero_refuses_to_run(toy_code: TaskData, tiny) -> None:
    with pytest.raises(UserError, match="eval.sampled.n is 0"):
        evaluate_sampled(tiny.model, tiny.tokenizer, toy_code, toy_code.eval, GEN, SANDBOX, SampledConfig())
