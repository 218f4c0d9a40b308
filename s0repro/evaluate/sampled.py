"""Sampled evaluation: ``n`` completions per problem at the paper's temperature, pass counts, pass@k.

The paper's pass@1/5/10 table (3 seeds; base 41.9/64.2/69.4, LoRA 56.3/64.1/66.7, S0 70.3/84.5/88.5) and its Qwen
alpha sweep use sampled decoding at T = 0.7 (the authors' HumanEval helper: top_p 0.95, 16 samples). We draw
``n >= max(k)`` samples per problem with the same batched, resumable generator as the greedy evaluation, score
every sample in the sandbox, and keep the per-problem pass count ``c`` out of ``n``. pass@k is then the unbiased
estimator of :mod:`s0repro.stats.passk`, computed by the tables (a later stage) from ``n`` and every ``c``, for any
k <= n; the result itself carries only pass@1 = sum(c) / (n x problems), which needs no estimator. Sampling is seeded by the run seed (so a base model has a different sampled score per seed, as in the
paper's per-seed table, and a resumed run draws the same samples).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from s0repro.data import render_prompt
from s0repro.data.base import Problem, TaskData
from s0repro.errors import UserError
from s0repro.evaluate.sandbox import SandboxConfig
from s0repro.evaluate.scoring import FAILURE_TYPES, prompt_hash, score

if TYPE_CHECKING:
    from s0repro.evaluate.generation import GenerationConfig


@dataclass
class SampledConfig:
    """How the sampled evaluation draws. ``n = 0`` turns it off (greedy pass@1 only)."""

    n: int = 0  # samples per problem; the authors' helper draws 16; pass@10 needs n >= 10
    temperature: float = 0.7  # the paper's sampling temperature (pass@k table, Qwen alpha sweep)
    top_p: float = 0.95  # the authors' nucleus

    def __post_init__(self) -> None:
        if self.n < 0 or self.temperature <= 0 or not 0 < self.top_p <= 1:
            raise UserError(f"eval.sampled: n={self.n} must be >= 0, temperature={self.temperature} > 0 and "
                            f"top_p={self.top_p} in (0, 1]")


@dataclass
class SampledResult:
    """Per-problem pass counts out of ``n`` and the pass@k they give. ``to_record`` is ``result.json``'s eval.sampled."""

    n: int
    temperature: float
    top_p: float
    task_ids: list[str]
    pass_counts: list[int]  # per problem, passing samples out of n, aligned with task_ids
    pass_at_1: float  # sum(pass_counts) / (n x problems): the unbiased pass@1
    failure_types: dict[str, int]  # over all n x problems samples
    records: list[dict[str, Any]] = field(default_factory=list, repr=False)  # one per sample
    seconds: float = 0.0

    def to_record(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "records"}


def evaluate_sampled(model, tokenizer, task: TaskData, problems: list[Problem], gen_cfg: GenerationConfig,
                     sandbox_cfg: SandboxConfig, cfg: SampledConfig, *, method=None, seed: int = 0,
                     out_jsonl: str | Path | None = None, cache_path: str | Path | None = None,
                     progress: bool = True, cleanup: str = "lenient") -> SampledResult:
    """Draw ``cfg.n`` samples per problem, score each, and count passes (batch size and padding from ``gen_cfg``)."""
    from s0repro.evaluate.generation import generate

    if cfg.n < 1:
        raise UserError("eval.sampled.n is 0: set eval.sampled.n >= 10 to run the sampled evaluation")
    start = time.perf_counter()
    sampling = replace(gen_cfg, do_sample=True, num_samples=cfg.n, temperature=cfg.temperature, top_p=cfg.top_p)
    prompts = [render_prompt(tokenizer, task, p) for p in problems]
    if cache_path is None and out_jsonl is not None:
        cache_path = Path(str(out_jsonl) + ".generations.jsonl")
    samples = generate(model, tokenizer, prompts, sampling, method=method, seed=seed, cache_path=cache_path,
                       progress=progress)
    flat = score(task, [p for p in problems for _ in range(cfg.n)], [s for row in samples for s in row],
                 sandbox_cfg, cleanup=cleanup)
    counts = [sum(s.passed for s in flat[i * cfg.n : (i + 1) * cfg.n]) for i in range(len(problems))]
    records = [{**asdict(s), "sample": j % cfg.n, "prompt_sha256": prompt_hash(prompts[j // cfg.n])}
               for j, s in enumerate(flat)]
    if out_jsonl is not None:
        Path(out_jsonl).parent.mkdir(parents=True, exist_ok=True)
        Path(out_jsonl).write_text("".join(json.dumps(r) + "\n" for r in records))
    kinds = Counter(s.failure_type for s in flat)
    return SampledResult(n=cfg.n, temperature=cfg.temperature, top_p=cfg.top_p,
                         task_ids=[p.task_id for p in problems], pass_counts=counts,
                         pass_at_1=sum(counts) / (cfg.n * len(counts)) if counts else 0.0,
                         failure_types={k: kinds.get(k, 0) for k in FAILURE_TYPES}, records=records,
                         seconds=time.perf_counter() - start)
