"""What the cells of one process share: the model, the task, the cached baseline evaluation and verified sets.

Greedy base results do not depend on the method, so one baseline evaluation (cached on disk, keyed by everything it
depends on) serves every cell (``eval.baseline=shared``); ``eval.baseline=per_seed`` re-evaluates the base once per
seed, as the authors' pipeline did, each cached under its seed. One verified training set per (seed, verified)
serves every arm of that seed. Every evaluation is scored under the primary clean-up (``eval.cleanup``) and under
each of :data:`~s0repro.conf.schema.SCORED_CLEANUPS` beside it, from the same completions. The
session reaches the data and evaluate stages only through an :class:`Evaluator` handed to it: :class:`StageEvaluator`
is the real one; the runner's tests hand in a fast stand-in instead of patching modules.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import torch

from s0repro.conf import Config, RunSpec
from s0repro.conf.schema import SCORED_CLEANUPS
from s0repro.data.base import Problem, TaskData
from s0repro.errors import UserError
from s0repro.evaluate.generation import GenerationConfig, model_fingerprint
from s0repro.evaluate.scoring import EvalResult
from s0repro.evaluate.verified import VerifiedSet
from s0repro.methods import TuningMethod, build_method
from s0repro.models import LoadedModel, ModelConfig, NoRecurrentLayersError, load_model
from s0repro.provenance import code_digest, digest, package_versions, seed_everything
from s0repro.results.store import atomic_write_json

if TYPE_CHECKING:
    from s0repro.evaluate.sampled import SampledConfig, SampledResult
    from s0repro.evaluate.sandbox import SandboxConfig

log = logging.getLogger(__name__)


class Evaluator(Protocol):
    """The data and evaluate stages as the session uses them (signatures of the stage functions)."""

    def load_task(self, name: str, **args: Any) -> TaskData: ...

    def evaluate(self, model: Any, tokenizer: Any, task: TaskData, problems: list[Problem], gen_cfg: GenerationConfig,
                 sandbox_cfg: SandboxConfig, *, method: TuningMethod | None = None, out_jsonl: Path | None = None,
                 progress: bool = True, cleanup: str = "lenient", also: tuple[str, ...] = ()) -> EvalResult: ...

    def evaluate_sampled(self, model: Any, tokenizer: Any, task: TaskData, problems: list[Problem],
                         gen_cfg: GenerationConfig, sandbox_cfg: SandboxConfig, cfg: SampledConfig, *,
                         method: TuningMethod | None = None, seed: int = 0, out_jsonl: Path | None = None,
                         progress: bool = True, cleanup: str = "lenient") -> SampledResult: ...

    def verified_set(self, model: Any, tokenizer: Any, task: TaskData, *, k: int, seed: int,
                     gen_cfg: GenerationConfig, sandbox_cfg: SandboxConfig, cache_dir: Path, verified: bool,
                     model_name: str, revision: str | None, progress: bool) -> VerifiedSet: ...


class StageEvaluator:
    """The real stages: :func:`s0repro.data.load_task`, :func:`~s0repro.evaluate.scoring.evaluate_model`,
    :func:`~s0repro.evaluate.sampled.evaluate_sampled`, :func:`~s0repro.evaluate.verified.build_verified_set`."""

    def load_task(self, name: str, **args: Any) -> TaskData:
        from s0repro.data import load_task

        return load_task(name, **args)

    def evaluate(self, model, tokenizer, task, problems, gen_cfg, sandbox_cfg, *, method=None, out_jsonl=None,
                 progress=True, cleanup="lenient", also=()) -> EvalResult:
        from s0repro.evaluate.scoring import evaluate_model

        return evaluate_model(model, tokenizer, task, problems, gen_cfg, sandbox_cfg, method=method,
                              out_jsonl=out_jsonl, progress=progress, cleanup=cleanup, also=also)

    def evaluate_sampled(self, model, tokenizer, task, problems, gen_cfg, sandbox_cfg, cfg, **kwargs: Any):
        from s0repro.evaluate.sampled import evaluate_sampled

        return evaluate_sampled(model, tokenizer, task, problems, gen_cfg, sandbox_cfg, cfg, **kwargs)

    def verified_set(self, model, tokenizer, task, **kwargs: Any) -> VerifiedSet:
        from s0repro.evaluate.verified import build_verified_set

        return build_verified_set(model, tokenizer, task, **kwargs)


def generation_config(settings: Config, *, sample: bool) -> GenerationConfig:
    """Greedy decoding for evaluation; for the verified set, k samples at the training section's temperature, top_p
    and token budget (``train.sample_max_new_tokens``, else the evaluation's)."""
    ev, tr = settings.eval, settings.train
    if not sample:
        return GenerationConfig(batch_size=ev.batch_size, max_new_tokens=ev.max_new_tokens,
                                padding_side=ev.padding_side, do_sample=False, pads=ev.pads)
    return GenerationConfig(batch_size=ev.batch_size, max_new_tokens=tr.sample_max_new_tokens or ev.max_new_tokens,
                            padding_side=ev.padding_side, do_sample=True, temperature=tr.sample_temperature,
                            top_p=tr.sample_top_p, num_samples=tr.samples_per_problem)


_MODELS: dict[str, LoadedModel] = {}


def load_model_once(cfg: ModelConfig) -> LoadedModel:
    """One model per process: every arm and seed (and every job of a local multirun) shares it."""
    key = digest(asdict(cfg))
    if key not in _MODELS:
        _MODELS.clear()  # one model at a time in memory
        _MODELS[key] = load_model(cfg)
    return _MODELS[key]


def set_threads(settings: Config) -> None:
    """Tiny models are a few hundred kB of matrices: one thread beats two, and far more so on a shared box."""
    if settings.threads is not None:
        torch.set_num_threads(settings.threads)
    elif settings.model.cpu_sized:
        torch.set_num_threads(1)


def build(spec: RunSpec) -> TuningMethod:
    return build_method(spec.method, spec.method_config)


class Session:
    """What the cells of one process share: the model, the task, the baseline and the verified sets."""

    def __init__(self, settings: Config, cache_dir: Path, evaluator: Evaluator | None = None) -> None:
        self.settings = settings
        self.cache_dir = cache_dir
        self.evaluator = evaluator or StageEvaluator()
        self.task = self._load_task()  # first: a missing dataset should not wait for a model to load
        set_threads(settings)
        self.loaded = load_model_once(settings.model)
        self.fingerprint = model_fingerprint(self.loaded.model)
        self._baselines: dict[int | None, EvalResult] = {}
        self._verified: dict[tuple[int, bool], VerifiedSet] = {}
        self._trains: dict[str, bool] = {}

    def _load_task(self) -> TaskData:
        spec = self.settings.task
        task = self.evaluator.load_task(spec.name, **dict(spec.args))
        lt, le = spec.limit_train, spec.limit_eval
        if lt is not None or le is not None:
            task = dataclasses.replace(task, train=task.train[:lt] if lt is not None else task.train,
                                       eval=task.eval[:le] if le is not None else task.eval,
                                       source={**task.source, "limit_train": lt, "limit_eval": le})
        return task

    def _key(self) -> str:
        """Everything a base evaluation depends on: configs, the weights themselves, versions and code."""
        s = self.settings
        greedy = {k: v for k, v in asdict(s.eval).items() if k != "sampled"}  # the sampled one is run per seed
        return digest([asdict(s.model), asdict(s.task), greedy, self.fingerprint,
                       self.task.source, package_versions(), code_digest()])

    def baseline(self, seed: int) -> EvalResult:
        """Greedy evaluation of the frozen model, cached on disk (``force=true`` recomputes): one for every seed
        (``eval.baseline=shared``), or one per seed (``per_seed``: seeded, cached under its seed)."""
        per_seed = self.settings.eval.baseline == "per_seed"
        slot = seed if per_seed else None
        if slot in self._baselines:
            return self._baselines[slot]
        name = f"{self.settings.model.name}-{self.task.name}-{self._key()}" + (f"-seed{seed}" if per_seed else "")
        path = self.cache_dir / "baseline" / f"{name}.json"
        if path.is_file() and not self.settings.force:
            try:
                self._baselines[slot] = EvalResult(**json.loads(path.read_text()))
                return self._baselines[slot]
            except (ValueError, TypeError):
                pass  # an unreadable cache entry is recomputed and replaced
        if per_seed:
            seed_everything(seed)
        result = self._evaluate(self.loaded.model, None, None)
        atomic_write_json(path, asdict(result))
        self._baselines[slot] = result
        return result

    def verified_set(self, seed: int, verified: bool) -> VerifiedSet:
        """The seed's training set (verified, or the unverified control); the evaluator caches the samples on disk."""
        if (seed, verified) not in self._verified:
            tr, model = self.settings.train, self.settings.model
            self._verified[(seed, verified)] = self.evaluator.verified_set(
                self.loaded.model, self.loaded.tokenizer, self.task, k=tr.samples_per_problem, seed=seed,
                gen_cfg=generation_config(self.settings, sample=True), sandbox_cfg=self.settings.eval.sandbox,
                cache_dir=self.cache_dir / "verified", verified=verified, model_name=model.hub_id or model.name,
                revision=model.revision if model.source == "hub" else None, cleanup=self.settings.eval.cleanup,
                progress=self.settings.progress)
        return self._verified[(seed, verified)]

    def evaluate(self, method: TuningMethod, out_jsonl: Path) -> EvalResult:
        return self._evaluate(method.model, method, out_jsonl)

    def _evaluate(self, model: Any, method: TuningMethod | None, out_jsonl: Path | None) -> EvalResult:
        """Greedy evaluation, scored under the primary clean-up and under each of SCORED_CLEANUPS; with
        ``eval.exact_beside`` a second generation one prompt at a time (no pads at all: ours, exact) is scored the
        same way and kept in ``beside["exact"]`` (its records in ``<out_jsonl stem>.exact.jsonl``)."""
        ev = self.settings.eval
        gen_cfg = generation_config(self.settings, sample=False)
        result = self.evaluator.evaluate(model, self.loaded.tokenizer, self.task, self.task.eval, gen_cfg,
                                         ev.sandbox, method=method, out_jsonl=out_jsonl,
                                         progress=self.settings.progress, cleanup=ev.cleanup, also=SCORED_CLEANUPS)
        if ev.exact_beside:
            exact_cfg = dataclasses.replace(gen_cfg, batch_size=1, pads="neutral")
            exact = self.evaluator.evaluate(model, self.loaded.tokenizer, self.task, self.task.eval, exact_cfg,
                                            ev.sandbox, method=method,
                                            out_jsonl=out_jsonl.with_suffix(".exact.jsonl") if out_jsonl else None,
                                            progress=self.settings.progress, cleanup=ev.cleanup,
                                            also=SCORED_CLEANUPS)
            result.beside = {"exact": exact.summary()}
        return result

    def evaluate_sampled(self, method: TuningMethod, seed: int, out_jsonl: Path) -> SampledResult:
        """``eval.sampled.n`` samples a problem with ``method`` attached (the frozen model for ``none``), seeded by
        the run seed: unlike the greedy baseline this differs per seed, so it is never shared across cells."""
        s = self.settings
        return self.evaluator.evaluate_sampled(
            method.model, self.loaded.tokenizer, self.task, self.task.eval, generation_config(s, sample=False),
            s.eval.sandbox, s.eval.sampled, method=method, seed=seed, out_jsonl=out_jsonl, progress=s.progress,
            cleanup=s.eval.cleanup)

    def base_sampled(self, method: TuningMethod, seed: int, out_jsonl: Path) -> dict[str, Any]:
        """The frozen model's sampled evaluation for one seed, as ``SampledResult.to_record()``: cached on disk like
        the greedy baseline (its key + ``eval.sampled`` + the seed), so a sweep's experiments (alpha_qwen_a*) share
        it. The per-sample records are cached beside it and copied to ``out_jsonl``."""
        s = self.settings
        stem = f"{s.model.name}-{self.task.name}-{digest([self._key(), asdict(s.eval.sampled)])}-sampled-seed_{seed}"
        summary, records = self.cache_dir / "baseline" / f"{stem}.json", self.cache_dir / "baseline" / f"{stem}.jsonl"
        if summary.is_file() and records.is_file() and not s.force:
            try:
                cached = json.loads(summary.read_text())
                shutil.copyfile(records, out_jsonl)
                return cached
            except (ValueError, OSError):
                pass  # an unreadable cache entry is recomputed and replaced
        result = self.evaluate_sampled(method, seed, out_jsonl).to_record()
        records.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out_jsonl, records)
        atomic_write_json(summary, result)  # last: the summary marks a complete entry
        return result

    def give_back(self, method: TuningMethod) -> None:
        """Detach ``method``; if the model is not exactly the base one afterwards, load it afresh (and say so)."""
        base = method.detach()
        if base is not self.loaded.model or model_fingerprint(base) != self.fingerprint:
            log.warning("method %s did not give the base model back unchanged; reloading it", method.name)
            _MODELS.clear()
            self.loaded = load_model_once(self.settings.model)

    def check_methods(self, specs: list[RunSpec]) -> None:
        """Attach and detach each method once, so an impossible pairing (S0 on a Transformer) fails up front."""
        seen = set()
        for spec in specs:
            if spec.method in seen:
                continue
            seen.add(spec.method)
            method = build(spec)
            try:
                method.attach(self.loaded.model)
            except (NoRecurrentLayersError, UserError) as err:
                raise UserError(f"method {spec.label} cannot run on model {self.settings.model.name}: {err}") from None
            self._trains[spec.label] = bool(method.trainable_parameters())
            self.give_back(method)

    def trains(self, spec: RunSpec) -> bool:
        """Whether the cell's method has trainable parameters on this model. One without (``none``, or any method
        built like it) skips sampling and training: its result is the frozen model's evaluation. Asked by attaching
        it once, per arm, before the cell's own attach; cached."""
        if spec.label not in self._trains:
            method = build(spec)
            method.attach(self.loaded.model)
            self._trains[spec.label] = bool(method.trainable_parameters())
            self.give_back(method)
        return self._trains[spec.label]
