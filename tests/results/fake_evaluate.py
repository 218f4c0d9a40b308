"""A stand-in for the evaluation stage (task loading, greedy evaluation, verified sets) for the runner's tests.

The runner's job is orchestration: which cells run, in which order, what is cached, what is written and when. Real
generation and sandboxed execution on a random tiny model take tens of seconds and score nothing, so these fakes keep
the same signatures but decide correctness from one forward pass (through the method's ``model_kwargs``, so a tuned
method really is in the loop), and count their calls so tests can assert what was cached.

``install()`` patches the evaluate stage in this process; a ``sitecustomize.py`` that calls it patches child
processes too (the submitit and CLI tests).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from s0repro.data.base import Problem, TaskData
from s0repro.train import TrainExample

CALLS: Counter[str] = Counter()
N_TRAIN, N_EVAL = 3, 4


def load_task(name: str, **args: Any) -> TaskData:
    CALLS["load_task"] += 1

    def problem(i: int) -> Problem:
        return Problem(task_id=f"fake/{i}", prompt=f"def f{i}(x):\n    ", answer=f"return x + {i}\n",
                       test=f"def check(c):\n    assert c(1) == {1 + i}\n", entry_point=f"f{i}")

    return TaskData(name=name, kind="code", train=[problem(i) for i in range(N_TRAIN)],
                    eval=[problem(i) for i in range(N_TRAIN, N_TRAIN + N_EVAL)],
                    source={"dataset": "fake", "args": args})


@dataclass
class FakeEvalResult:
    score: float
    correct: list[bool]
    task_ids: list[str]
    failure_types: dict[str, int]
    records: list[dict[str, Any]]
    generation: dict[str, Any]
    sandbox: dict[str, Any]
    seconds: float = 0.0


@torch.no_grad()
def evaluate_model(model, tokenizer, task: TaskData, problems: list[Problem], gen_cfg, sandbox_cfg, *, method=None,
                   out_jsonl=None, seed: int = 0, cache_path=None, progress: bool = True,
                   cleanup: str = "lenient") -> FakeEvalResult:
    CALLS["evaluate"] += 1
    CALLS["evaluate_tuned" if method is not None else "evaluate_base"] += 1
    # one forward over all prompts back to back; a problem "passes" when the logits' argmax after its prompt is even
    device = next(model.parameters()).device
    pieces = [tokenizer(p.prompt, add_special_tokens=False)["input_ids"] for p in problems]
    ends = [sum(len(x) for x in pieces[: i + 1]) - 1 for i in range(len(pieces))]
    ids = torch.tensor([[t for piece in pieces for t in piece]], device=device)
    extra = method.model_kwargs(1) if method is not None else {}
    logits = model(input_ids=ids, attention_mask=torch.ones_like(ids), **extra).logits[0]
    correct = [bool(int(logits[end].argmax()) % 2 == 0) for end in ends]
    records = [{"task_id": p.task_id, "passed": c, "failure_type": "passed" if c else "wrong_answer", "raw": ""}
               for p, c in zip(problems, correct, strict=True)]
    if out_jsonl is not None:
        Path(out_jsonl).write_text("".join(json.dumps(r) + "\n" for r in records))
    failures = Counter(r["failure_type"] for r in records)
    return FakeEvalResult(score=sum(correct) / len(correct), correct=correct, task_ids=[p.task_id for p in problems],
                          failure_types=dict(failures), records=records,
                          generation={"batch_size": gen_cfg.batch_size}, sandbox={"fake": True})


@dataclass
class FakeVerifiedSet:
    examples: list[TrainExample]
    kept_task_ids: list[str]
    n_problems: int
    k: int
    verified: bool = True
    n_correct: int = 0


def build_verified_set(model, tokenizer, task: TaskData, *, k: int = 4, seed: int, gen_cfg=None, sandbox_cfg=None,
                       cache_dir=None, verified: bool = True, model_name=None, revision=None,
                       progress: bool = False) -> FakeVerifiedSet:
    """Keeps the problems with (seed + i) % 3 != 0, so the count varies with the seed as in the paper."""
    CALLS["verified"] += 1
    kept = [p for i, p in enumerate(task.train) if (seed + i) % 3 != 0]
    if not verified:  # the control: as many problems, first sample, unchecked
        kept = task.train[: len(kept)]
    examples = [TrainExample(prompt=p.prompt, completion=p.answer if verified else "pass\n", task_id=p.task_id)
                for p in kept]
    return FakeVerifiedSet(examples=examples, kept_task_ids=[p.task_id for p in kept], n_problems=len(task.train),
                           k=k, verified=verified, n_correct=len(kept) if verified else 0)


def install(monkeypatch: Any = None) -> None:
    """Patch the evaluate stage (and ``load_task``) with these fakes; with ``monkeypatch`` it is undone after a test."""
    import s0repro.data
    import s0repro.evaluate.scoring
    import s0repro.evaluate.verified

    patches = [(s0repro.data, "load_task", load_task),
               (s0repro.evaluate.scoring, "evaluate_model", evaluate_model),
               (s0repro.evaluate.verified, "build_verified_set", build_verified_set)]
    for module, name, value in patches:
        if monkeypatch is not None:
            monkeypatch.setattr(module, name, value)
        else:
            setattr(module, name, value)
