"""The verified training set: first passing sample per problem, its unverified control, caching, no overlap."""

from __future__ import annotations

from pathlib import Path

import pytest

from s0repro.data import Problem, TaskData, render_prompt
from s0repro.errors import UserError
from s0repro.evaluate import verified as verified_mod
from s0repro.evaluate.generation import GenerationConfig
from s0repro.evaluate.sandbox import SandboxConfig
from s0repro.evaluate.verified import build_verified_set, check_no_overlap

SANDBOX = SandboxConfig(timeout_s=2.0)
WRONG = "    return 0\n"


@pytest.fixture()
def task(toy_code: TaskData) -> TaskData:
    """Four training problems (the toy task's four), one held-out problem."""
    held_out = Problem("toy/held", "def neg(a, b):\n", "    return -a\n", "def check(c):\n    assert c(1, 0) == -1\n",
                       "neg")
    return TaskData("toy", "code", train=toy_code.train + toy_code.eval, eval=[held_out])


@pytest.fixture()
def fake_samples(task: TaskData, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Sampled completions by problem: 0 passes at sample 1, 1 never, 2 at sample 0, 3 at sample 3."""
    good = [p.answer for p in task.train]
    table = [[WRONG, good[0], good[0], WRONG], [WRONG, WRONG, "", WRONG], [good[2], WRONG, good[2], WRONG],
             ["```python\n" + WRONG + "```", WRONG, WRONG, "```python\n" + good[3] + "```"]]
    calls: list[dict] = []

    def fake_generate(model, tokenizer, prompts, cfg, *, seed=0, **kwargs):
        calls.append({"cfg": cfg, "seed": seed, "n": len(prompts), "desc": kwargs.get("desc")})
        return [list(row[: cfg.num_samples]) for row in table]

    monkeypatch.setattr(verified_mod, "generate", fake_generate)
    return calls


def test_keeps_the_first_passing_sample(task: TaskData, tiny, fake_samples: list[dict]) -> None:
    vs = build_verified_set(tiny.model, tiny.tokenizer, task, k=4, seed=42, sandbox_cfg=SANDBOX)
    assert vs.kept_task_ids == ["toy/0", "toy/2", "toy/3"]
    assert (vs.n_problems, vs.k, vs.n_correct, vs.verified) == (4, 4, 3, True)
    assert [r["kept_sample"] for r in vs.records] == [1, None, 0, 3]
    assert [e.completion for e in vs.examples] == [task.train[i].answer for i in (0, 2, 3)]  # fences stripped
    assert vs.examples[0].prompt == render_prompt(tiny.tokenizer, task, task.train[0])
    cfg = fake_samples[0]["cfg"]
    assert (cfg.do_sample, cfg.num_samples, cfg.temperature, cfg.top_p) == (True, 4, 0.7, 0.95)
    assert fake_samples[0]["seed"] == 42
    assert (vs.sampling["temperature"], vs.sampling["top_p"]) == (0.7, 0.95)
    assert vs.sampling["top_k"] == (tiny.model.generation_config.top_k or 50)  # the checkpoint's (else generate's)


def test_unverified_control_keeps_first_samples_of_as_many_problems(task: TaskData, tiny, fake_samples) -> None:
    control = build_verified_set(tiny.model, tiny.tokenizer, task, k=4, seed=42, sandbox_cfg=SANDBOX,
                                 verified=False)
    assert control.kept_task_ids == ["toy/0", "toy/1", "toy/2"] and len(control.examples) == 3
    assert [e.completion for e in control.examples] == [WRONG, WRONG, task.train[2].answer]
    assert control.n_correct == 1 and not control.verified


def test_cached_by_model_seed_and_k(task: TaskData, tiny, fake_samples: list[dict], tmp_path: Path) -> None:
    first = build_verified_set(tiny.model, tiny.tokenizer, task, k=4, seed=7, sandbox_cfg=SANDBOX, cache_dir=tmp_path)
    assert "seed7-k4" in Path(first.cache_file).name and Path(first.cache_file).is_file()
    again = build_verified_set(tiny.model, tiny.tokenizer, task, k=4, seed=7, sandbox_cfg=SANDBOX, cache_dir=tmp_path)
    control = build_verified_set(tiny.model, tiny.tokenizer, task, k=4, seed=7, sandbox_cfg=SANDBOX,
                                 cache_dir=tmp_path, verified=False)
    assert len(fake_samples) == 1  # the second call and the control reuse the cached samples
    assert again.kept_task_ids == first.kept_task_ids and len(control.examples) == len(first.examples)
    build_verified_set(tiny.model, tiny.tokenizer, task, k=4, seed=8, sandbox_cfg=SANDBOX, cache_dir=tmp_path)
    fewer = build_verified_set(tiny.model, tiny.tokenizer, task, k=2, seed=7, sandbox_cfg=SANDBOX, cache_dir=tmp_path)
    assert len(fake_samples) == 3 and len(list(tmp_path.glob("verified-*.json"))) == 3
    assert fewer.kept_task_ids == ["toy/0", "toy/2"]  # with k=2, problem 3's passing sample is never drawn


def test_training_on_evaluation_problems_is_refused(task: TaskData, tiny) -> None:
    leaky = TaskData("toy", "code", train=task.train,
                     eval=[Problem("toy/other-id", task.train[0].prompt, "", task.train[0].test, "add")])
    with pytest.raises(UserError, match="overlap"):
        check_no_overlap(leaky)
    with pytest.raises(UserError, match="overlap"):
        build_verified_set(tiny.model, tiny.tokenizer, leaky, k=1, seed=0)
    check_no_overlap(task)


def test_mechanics_on_the_tiny_model(toy_code: TaskData, tiny, tmp_path: Path) -> None:
    gen_cfg = GenerationConfig(batch_size=4, max_new_tokens=4)
    vs = build_verified_set(tiny.model, tiny.tokenizer, toy_code, k=2, seed=0, gen_cfg=gen_cfg, sandbox_cfg=SANDBOX,
                            cache_dir=tmp_path)
    assert vs.n_problems == 2 and vs.k == 2 and [len(r["passed"]) for r in vs.records] == [2, 2]
    assert vs.examples == [] and vs.kept_task_ids == []  # a random-init model solves nothing


def test_sampling_and_its_scoring_show_progress_bars_named_by_phase(task: TaskData, tiny, fake_samples,
                                                                   capsys: pytest.CaptureFixture) -> None:
    build_verified_set(tiny.model, tiny.tokenizer, task, k=4, seed=0, sandbox_cfg=SANDBOX, progress=True)
    assert fake_samples[0]["desc"] == "sampling k=4: generate"
    err = capsys.readouterr().err
    # 4 problems x 4 samples; identical programs run once (scoring.score_modes), so the bar counts distinct ones
    assert "sampling k=4: sandbox: 100%|" in err


@pytest.fixture()
def one_problem_forms(monkeypatch: pytest.MonkeyPatch) -> tuple[TaskData, str]:
    """One training problem whose samples are, in order: the indented body (correct) and the whole function in a
    ```python fence (correct); the samples a chat model gives in the two forms the clean-ups disagree on. The prompt
    ends in a docstring, as HumanEval's do, so a restated whole function after it is a valid program."""
    problem = Problem("form/0", 'def add(a, b):\n    """The sum."""\n', "    return a + b\n", "def check(c):\n    assert c(2, 3) == 5\n",
                      "add")
    held_out = Problem("form/held", "def neg(a):\n", "    return -a\n", "def check(c):\n    assert c(1) == -1\n", "neg")
    whole = "def add(a, b):\n    return a + b"
    samples = ["    return a + b\n", f"```python\n{whole}\n```"]

    def fake_generate(model, tokenizer, prompts, cfg, *, seed=0, **kwargs):
        return [samples[: cfg.num_samples] for _ in prompts]

    monkeypatch.setattr(verified_mod, "generate", fake_generate)
    return TaskData("form", "code", train=[problem], eval=[held_out]), whole


def test_the_verified_set_follows_the_primary_clean_up(one_problem_forms, tiny, tmp_path: Path) -> None:
    """As the authors' helper: each sample cleaned by the experiment's clean-up, executed, and the cleaned text is the
    target. Under ``authors`` the indented body fails (its strip unindents it) and the fenced whole function is kept
    without its fence; under ``lenient`` the body passes first and is kept as it is."""
    task, whole = one_problem_forms
    authors = build_verified_set(tiny.model, tiny.tokenizer, task, k=2, seed=0, sandbox_cfg=SANDBOX,
                                 cleanup="authors", cache_dir=tmp_path)
    assert [r["passed"] for r in authors.records] == [[False, True]] and authors.cleanup == "authors"
    assert [e.completion for e in authors.examples] == [whole]  # no fence, the whole function
    lenient = build_verified_set(tiny.model, tiny.tokenizer, task, k=2, seed=0, sandbox_cfg=SANDBOX,
                                 cleanup="lenient", cache_dir=tmp_path)
    assert [r["passed"] for r in lenient.records] == [[True, True]]
    assert [e.completion for e in lenient.examples] == ["    return a + b\n"]
    assert authors.cache_file != lenient.cache_file  # the clean-up is part of the cache key


def test_an_empty_verified_set_skips_the_cell_in_one_line(one_problem_forms, tiny) -> None:
    task, _ = one_problem_forms
    body_only = build_verified_set(tiny.model, tiny.tokenizer, task, k=1, seed=0, sandbox_cfg=SANDBOX,
                                   cleanup="authors")
    assert body_only.examples == []
    with pytest.raises(verified_mod.EmptyVerifiedSet) as caught:
        verified_mod.check_not_empty(body_only, seed=0)
    assert str(caught.value) == ("the training set of seed 0 is empty: no sample of the 1 training problems (k=1) "
                                 "passed under the authors clean-up, so there is nothing to train on")
    verified_mod.check_not_empty(build_verified_set(tiny.model, tiny.tokenizer, task, k=1, seed=0,
                                                    sandbox_cfg=SANDBOX, cleanup="lenient"), seed=0)
