"""A stand-in for the data and evaluate stages, handed to the runner's session in its tests.

The runner's job is orchestration: which cells run, in which order, what is cached, what is written and when. Real
generation and sandboxed execution on a random tiny model take tens of seconds and score nothing, so this evaluator
returns the stages' own record types (EvalResult, VerifiedSet) but decides correctness from one forward pass (through
the method's ``model_kwargs``, so a tuned method really is in the loop), and counts its calls so tests can assert
what was cached.

In-process tests pass ``FakeEvaluator()`` to ``run(..., evaluator=...)``; child processes (the CLI and submitit
tests) run tests/run/fake_cli.py, which hands it to ``s0repro.run.main(evaluator=...)``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import torch

from s0repro.data.base import Problem, TaskData, TrainExample
from s0repro.evaluate.sampled import SampledResult
from s0repro.evaluate.scoring import EvalResult
from s0repro.evaluate.verified import VerifiedSet

N_TRAIN, N_EVAL = 3, 4


class FakeEvaluator:
    """Implements :class:`s0repro.run.session.Evaluator`; ``calls`` counts what was asked of it."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def load_task(self, name: str, **args: Any) -> TaskData:
        self.calls["load_task"] += 1

        def problem(i: int) -> Problem:
            return Problem(task_id=f"fake/{i}", prompt=f"def f{i}(x):\n    ", answer=f"return x + {i}\n",
                           test=f"def check(c):\n    assert c(1) == {1 + i}\n", entry_point=f"f{i}")

        return TaskData(name=name, kind="code", train=[problem(i) for i in range(N_TRAIN)],
                        eval=[problem(i) for i in range(N_TRAIN, N_TRAIN + N_EVAL)],
                        source={"dataset": "fake", "args": args})

    @torch.no_grad()
    def evaluate(self, model, tokenizer, task: TaskData, problems: list[Problem], gen_cfg, sandbox_cfg, *,
                 method=None, out_jsonl=None, progress: bool = True, cleanup: str = "lenient",
                 also: tuple[str, ...] = ()) -> EvalResult:
        self.calls["evaluate"] += 1
        self.calls["evaluate_tuned" if method is not None else "evaluate_base"] += 1
        # one forward over all prompts back to back; a problem "passes" when the logits' argmax after its prompt is
        # even, under the authors' clean-up only when it is a multiple of 4 (stricter, as their strip is)
        device = next(model.parameters()).device
        pieces = [tokenizer(p.prompt, add_special_tokens=False)["input_ids"] for p in problems]
        ends = [sum(len(x) for x in pieces[: i + 1]) - 1 for i in range(len(pieces))]
        ids = torch.tensor([[t for piece in pieces for t in piece]], device=device)
        extra = method.model_kwargs(1) if method is not None else {}
        logits = model(input_ids=ids, attention_mask=torch.ones_like(ids), **extra).logits[0]
        tokens = [int(logits[end].argmax()) for end in ends]
        by_mode = {m: [t % (4 if m == "authors" else 2) == 0 for t in tokens] for m in dict.fromkeys((cleanup, *also))}
        correct = by_mode[cleanup]
        records = [{"task_id": p.task_id, "passed": c, "failure_type": "passed" if c else "wrong_answer", "raw": "",
                    "by_cleanup": {m: {"passed": v[i], "status": "passed" if v[i] else "failed",
                                       "failure_class": "passed" if v[i] else "wrong_answer", "sanitized": ""}
                                   for m, v in by_mode.items()}}
                   for i, (p, c) in enumerate(zip(problems, correct, strict=True))]
        if out_jsonl is not None:
            Path(out_jsonl).write_text("".join(json.dumps(r) + "\n" for r in records))
        failures = Counter(r["failure_type"] for r in records)
        return EvalResult(score=sum(correct) / len(correct), correct=correct, task_ids=[p.task_id for p in problems],
                          failure_types=dict(failures), records=records,
                          generation={"batch_size": gen_cfg.batch_size, "pads": gen_cfg.pads}, sandbox={"fake": True},
                          cleanup=cleanup,
                          by_cleanup={m: {"score": sum(v) / len(v), "correct": v,
                                          "failure_class": ["passed" if x else "wrong_answer" for x in v]}
                                      for m, v in by_mode.items()})

    def evaluate_sampled(self, model, tokenizer, task: TaskData, problems: list[Problem], gen_cfg, sandbox_cfg, cfg, *,
                         method=None, seed: int = 0, out_jsonl=None, **_: Any) -> SampledResult:
        """Problem i passes (seed + i) % (n + 1) of its n samples: the counts differ per seed, as sampling does."""
        self.calls["evaluate_sampled"] += 1
        counts = [(seed + i) % (cfg.n + 1) for i in range(len(problems))]
        records = [{"task_id": p.task_id, "sample": j, "passed": j < c} for p, c in zip(problems, counts, strict=True)
                   for j in range(cfg.n)]
        if out_jsonl is not None:
            Path(out_jsonl).write_text("".join(json.dumps(r) + "\n" for r in records))
        return SampledResult(n=cfg.n, temperature=cfg.temperature, top_p=cfg.top_p,
                             task_ids=[p.task_id for p in problems], pass_counts=counts,
                             pass_at_1=sum(counts) / (cfg.n * len(counts)), failure_types={}, records=records)

    def verified_set(self, model, tokenizer, task: TaskData, *, k: int, seed: int, verified: bool = True,
                     **_: Any) -> VerifiedSet:
        """Keeps the problems with (seed + i) % 3 != 0, so the count varies with the seed as in the paper."""
        self.calls["verified"] += 1
        kept = [p for i, p in enumerate(task.train) if (seed + i) % 3 != 0]
        if not verified:  # the control: as many problems, first sample, unchecked
            kept = task.train[: len(kept)]
        examples = [TrainExample(prompt=p.prompt, completion=p.answer if verified else "pass\n", task_id=p.task_id)
                    for p in kept]
        return VerifiedSet(examples=examples, kept_task_ids=[p.task_id for p in kept], n_problems=len(task.train),
                           k=k, verified=verified, n_correct=len(kept) if verified else 0)

