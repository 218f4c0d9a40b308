"""The verified training set: the base model's own sampled solutions that pass their tests (the paper's data).

For each training problem, sample ``k`` completions (T=0.7, top_p=0.95, the authors' token budget; the checkpoint's
other generation settings, such as its top_k, stay as they are), clean each up under the experiment's *primary*
clean-up (``eval.cleanup``), execute it, keep the first that passes; the cleaned text is the training target. That is
what the authors' helper does (it runs ``strip_thinking`` on each sample before executing it and trains on the
result), so under ``authors`` S0 learns from whole functions without their fence, and an indented body, which fails
that clean-up, is not kept. The paper keeps about 48 of 80 HumanEval problems, a count that varies with the seed.
Samples and verdicts are cached by (model, revision, weights fingerprint, seed, k, task, clean-up, generation
config), so every method trained under one seed sees the same data without sampling again. The effective sampling parameters (the model's generation config merged
with what was passed) are part of that key and of the set (``sampling``), and so of every result trained on it.

The control (``verified=False``) asks whether verification matters: it keeps the *first* sample, passing or not, of
as many problems as verification would have kept (the first such problems in dataset order, skipping empty
completions), from the same cached samples. Training on evaluation problems is refused by task id and by content.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from s0repro.data.base import TaskData, TrainExample, render_prompt
from s0repro.errors import CellSkipped, UserError
from s0repro.evaluate.generation import GenerationConfig, effective_sampling, generate, model_fingerprint
from s0repro.evaluate.sandbox import SandboxConfig
from s0repro.evaluate.scoring import score


@dataclass
class VerifiedSet:
    examples: list[TrainExample]
    kept_task_ids: list[str]
    n_problems: int  # training problems sampled
    k: int  # samples per problem
    verified: bool = True
    n_correct: int = 0  # examples whose completion passes its tests (all of them when verified)
    records: list[dict[str, Any]] = field(default_factory=list)  # per problem: task_id, passed per sample, kept
    cache_file: str = ""
    sampling: dict[str, Any] = field(default_factory=dict)  # effective sampling parameters (generation.effective_sampling)
    cleanup: str = "lenient"  # the clean-up that scored the samples and made the training targets


class EmptyVerifiedSet(CellSkipped):
    """No training problem had a passing sample: a tuned cell has nothing to learn from and is skipped (one line)."""


def check_not_empty(vset: VerifiedSet, seed: int) -> None:
    """Skip a tuned cell whose training set is empty, saying why, instead of failing inside the training loop."""
    if not vset.examples:
        raise EmptyVerifiedSet(
            f"the training set of seed {seed} is empty: no sample of the {vset.n_problems} training problems "
            f"(k={vset.k}) passed under the {vset.cleanup} clean-up, so there is nothing to train on")


def check_no_overlap(task: TaskData) -> None:
    """Refuse a task whose training problems share an id or a prompt with its evaluation problems."""
    ids = {p.task_id for p in task.train} & {p.task_id for p in task.eval}
    prompts = {p.prompt for p in task.train} & {p.prompt for p in task.eval}
    if ids or prompts:
        shown = sorted(ids)[:3] or [next(iter(prompts))[:60]]
        raise UserError(f"task {task.name}: training and evaluation problems overlap ({len(ids | prompts)} shared, "
                        f"e.g. {shown}); the verified set must come from training problems only")


def _problems_digest(task: TaskData) -> str:
    """The training problems' content (not where they were read from): moving a file keeps the cache valid."""
    rows = [[p.task_id, p.prompt, p.answer, p.test, p.entry_point] for p in task.train]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "model"


def _sample_and_score(model, tokenizer, task: TaskData, k: int, seed: int, gen_cfg: GenerationConfig,
                      sandbox_cfg: SandboxConfig, cleanup: str, progress: bool) -> list[dict[str, Any]]:
    prompts = [render_prompt(tokenizer, task, p) for p in task.train]
    phase = f"sampling k={k}"  # the training set's phase, named apart from the evaluations' bars
    samples = generate(model, tokenizer, prompts, gen_cfg, seed=seed, progress=progress, desc=f"{phase}: generate")
    flat_problems = [p for p in task.train for _ in range(k)]
    scored = score(task, flat_problems, [s for row in samples for s in row], sandbox_cfg, cleanup=cleanup,
                   progress=progress, desc=f"{phase}: sandbox")
    return [{"task_id": p.task_id, "raw": [s.raw for s in scored[i * k : (i + 1) * k]],
             "sanitized": [s.sanitized for s in scored[i * k : (i + 1) * k]],
             "passed": [s.passed for s in scored[i * k : (i + 1) * k]],
             "status": [s.status for s in scored[i * k : (i + 1) * k]]} for i, p in enumerate(task.train)]


def build_verified_set(model, tokenizer, task: TaskData, *, k: int = 4, seed: int, gen_cfg: GenerationConfig | None
                       = None, sandbox_cfg: SandboxConfig | None = None, cache_dir: str | Path | None = None,
                       verified: bool = True, model_name: str | None = None, revision: str | None = None,
                       cleanup: str = "lenient", progress: bool = False) -> VerifiedSet:
    """Sample ``k`` completions per training problem from the (base) model and build the training examples, each
    sample scored and cleaned under ``cleanup`` (the experiment's primary clean-up)."""
    if k <= 0:
        raise UserError(f"verified.k={k} must be positive")
    check_no_overlap(task)
    gen_cfg = replace(gen_cfg or GenerationConfig(), do_sample=True, num_samples=k)
    sandbox_cfg = sandbox_cfg or SandboxConfig()
    name = model_name or getattr(model.config, "_name_or_path", "") or model.config.model_type
    revision = revision or getattr(model.config, "_commit_hash", None) or "local"
    sampling = effective_sampling(model, gen_cfg)
    key = {"model": name, "revision": revision, "weights": model_fingerprint(model), "seed": seed, "k": k,
           "task": task.name, "train_problems": _problems_digest(task), "cleanup": cleanup,
           "generation": asdict(gen_cfg), "sampling": sampling}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:12]
    cache_file = Path(cache_dir) / f"verified-{_slug(name)}-{_slug(revision)}-seed{seed}-k{k}-{digest}.json" \
        if cache_dir else None
    if cache_file is not None and cache_file.is_file():
        records = json.loads(cache_file.read_text())["problems"]
    else:
        records = _sample_and_score(model, tokenizer, task, k, seed, gen_cfg, sandbox_cfg, cleanup, progress)
        if cache_file is not None:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_suffix(".tmp")
            tmp.write_text(json.dumps({"key": key, "problems": records}, indent=1, default=str))
            tmp.replace(cache_file)
    return replace(select(task, tokenizer, records, k=k, verified=verified, cache_file=str(cache_file or "")),
                   sampling=sampling, cleanup=cleanup)


def select(task: TaskData, tokenizer, records: list[dict[str, Any]], *, k: int, verified: bool = True,
           cache_file: str = "") -> VerifiedSet:
    """Keep the first passing sample per problem; or, for the control, first samples of as many problems."""
    by_id = {p.task_id: p for p in task.train}
    first_pass = {r["task_id"]: r["passed"].index(True) for r in records if True in r["passed"]}
    if verified:
        chosen = [(r, first_pass[r["task_id"]]) for r in records if r["task_id"] in first_pass]
    else:
        chosen = [(r, 0) for r in records if r["sanitized"][0].strip()][: len(first_pass)]
    examples = [TrainExample(prompt=render_prompt(tokenizer, task, by_id[r["task_id"]]),
                             completion=r["sanitized"][j], task_id=r["task_id"]) for r, j in chosen]
    kept = {r["task_id"]: j for r, j in chosen}
    summary = [{"task_id": r["task_id"], "passed": r["passed"], "kept_sample": kept.get(r["task_id"])}
               for r in records]
    return VerifiedSet(examples=examples, kept_task_ids=[r["task_id"] for r, _ in chosen], n_problems=len(records),
                       k=k, verified=verified, n_correct=sum(bool(r["passed"][j]) for r, j in chosen),
                       records=summary, cache_file=cache_file)
