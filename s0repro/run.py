"""``python -m s0repro.run``: run an experiment's cells and write one result file per cell.

    python -m s0repro.run +exp=tiny_qwen3_5                 # every arm x every seed of the experiment
    python -m s0repro.run +exp=falcon_h1 seed=0..2          # seeds 0, 1, 2 (inclusive); seed=42,7,123 a list
    python -m s0repro.run +exp=qwen3_5 method=s0            # only the S0 arm
    python -m s0repro.run +exp=tiny_qwen3_5 method=s0 train.verified=false   # the s0_unverified arm
    python -m s0repro.run +exp=tiny_table1                  # a suite: tiny_qwen3_5, then tiny_falcon_h1
    python -m s0repro.run +exp=qwen3_5 dry_run=true         # list the cells, finished or not; run nothing
    python -m s0repro.run model=tiny_gdn task=minicode method=s0 method.alpha=0.1   # one method, no experiment
    python -m s0repro.run -m +exp=tiny_qwen3_5 seed=0,1 hydra/launcher=submitit_local  # one process per seed
    python -m s0repro.run -m +exp=qwen3_5 seed=42,7,123 hydra/launcher=submitit_slurm \
        hydra.launcher.partition=gpu hydra.launcher.gpus_per_node=1 hydra.launcher.timeout_min=240

One cell: load the model (once per process) -> build or load the seed's verified training set (cached) -> baseline
evaluation (cached: greedy base results do not depend on the method; the ``none`` arm's result *is* it) -> attach the
method -> train -> evaluate -> save the artefact -> detach (a model that comes back changed is reloaded) -> write
``results/<exp>/<task>/<label>/seed_<n>/result.json`` atomically (see :mod:`s0repro.results.store`), then log it to
W&B (:mod:`s0repro.results.tracking`). A finished cell is skipped (``force=true`` re-runs it and refreshes the cached
baseline). Bad input is one line on stderr and exit status 2, before anything under results/ is touched; a cell that
crashes is reported and the others still run (exit status 1 at the end; re-running retries only the missing cells).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import random
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import torch
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from s0repro.conf import (
    CONF_DIR,
    GROUPS,
    Config,
    NotInExperiment,
    RunSpec,
    config_error_line,
    group_options,
    method_class,
    parse_seeds,
    plan_runs,
)
from s0repro.data.base import TaskData
from s0repro.errors import UserError
from s0repro.models import LoadedModel, ModelConfig, NoRecurrentLayersError, load_model
from s0repro.provenance import hardware, package_versions
from s0repro.results.schema import SCHEMA_VERSION, CorruptResultError
from s0repro.results.store import Attempt, CellBusyError, ResultStore, atomic_write_json
from s0repro.results.tracking import make_tracker
from s0repro.train import train

REPO = CONF_DIR.parent
EXIT_USER_ERROR, EXIT_CELLS_FAILED = 2, 1
log = logging.getLogger(__name__)


class CellsFailed(RuntimeError):
    """Some cells raised; the others were run and written."""


# -- command line ----------------------------------------------------------------------------------------------------
def _is_multirun(argv: list[str]) -> bool:
    return "-m" in argv or "--multirun" in argv


def normalise_argv(argv: list[str]) -> list[str]:
    """Outside a multirun, ``seed=42,7,123`` means a list of seeds: quote it so Hydra does not call it a sweep."""
    if _is_multirun(argv):
        return list(argv)
    out = []
    for arg in argv:
        if arg.startswith("seed=") and "," in arg and not arg[5:].startswith(("[", "'", '"')):
            arg = f"seed='{arg[5:]}'"
        out.append(arg)
    return out


def _group_choices(argv: list[str]) -> list[tuple[str, str]]:
    choices = []
    for arg in argv:
        key, sep, value = arg.lstrip("+").partition("=")
        if sep and key in GROUPS and value not in ("null", ""):
            choices.extend((key, v.strip()) for v in value.split(","))
    return choices


def precheck(argv: list[str]) -> None:
    """Unknown group options, typos and wrong types, bad seeds: one line before Hydra (or a model) starts."""
    for group, value in _group_choices(argv):
        options = group_options(group)
        if value not in options:
            raise UserError(f"unknown {group} {value!r}; choose one of: {', '.join(options)}")
    if any(a.startswith("-") and a not in ("-m", "--multirun") for a in argv):
        return  # --cfg, --info, --config-name ...: Hydra's own options, left to Hydra
    overrides = [a for a in argv if not a.startswith("-") and not a.lstrip("+").startswith("hydra")]
    if _is_multirun(argv):
        overrides = first_of_each_sweep(overrides)
    members = expand_suite(compose(overrides), overrides)
    for cfg, member_overrides in members:
        to_settings(cfg)
        try:
            plan_runs(cfg, member_overrides)
        except NotInExperiment:
            if len(members) == 1:  # in a suite, a member without that method is skipped instead
                raise


def first_of_each_sweep(overrides: list[str]) -> list[str]:
    """A multirun's first job (``seed=0,1`` -> ``seed=0``), so its config can be checked before Hydra launches."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except Exception as err:  # noqa: BLE001
        raise UserError(config_error_line(err)) from None
    out = []
    for item in parsed:
        if item.is_sweep_override():
            key = item.input_line.split("=", 1)[0]
            values = list(item.sweep_string_iterator())
            if item.key_or_group == "seed":
                for value in values:
                    parse_seeds(value.strip("'\""))
            out.append(f"{key}={values[0]}")
        else:
            out.append(item.input_line)
    return out


def expand_suite(cfg: DictConfig, overrides: list[str] | tuple[str, ...]) -> list[tuple[DictConfig, list[str]]]:
    """A suite experiment (``suite: [a, b]``) as its members' configs, each with the same command-line overrides."""
    if not cfg.get("suite"):
        return [(cfg, list(overrides))]
    rest = [o for o in overrides if o.lstrip("+").split("=", 1)[0] != "exp"]
    members = []
    for name in cfg.suite:
        member = [f"+exp={name}", *rest]
        members.append((compose(member), member))
    return members


def compose(overrides: list[str], conf_dir: Path = CONF_DIR) -> DictConfig:
    """The config Hydra would build for ``overrides`` (no run directory, no logging set-up)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    if GlobalHydra.instance().is_initialized():  # inside a running Hydra app (a suite): its search path is ours
        context: Any = contextlib.nullcontext()
    else:
        context = initialize_config_dir(version_base=None, config_dir=str(conf_dir))
    with context:
        try:
            return hydra_compose(config_name="config", overrides=list(overrides))
        except Exception as err:  # noqa: BLE001 - every composition error becomes one line
            line = config_error_line(err)
            key = getattr(_omegaconf_cause(err), "full_key", None)
            if line.startswith("unknown config key") and "allowed" not in line and key:
                # an untyped node (a method's YAML): list the keys it does have, from the config without the typo
                rest = [o for o in overrides if o.lstrip("+~").split("=", 1)[0] != key]
                try:
                    parent = OmegaConf.select(hydra_compose(config_name="config", overrides=rest),
                                              str(key).rpartition(".")[0])
                except Exception:  # noqa: BLE001
                    parent = None
                if isinstance(parent, DictConfig):
                    line += f"; allowed keys there: {', '.join(map(str, parent.keys()))}"
            raise UserError(line) from None


def _omegaconf_cause(err: BaseException) -> BaseException | None:
    while err is not None and not isinstance(err, OmegaConfBaseException):
        err = err.__cause__ or err.__context__
    return err


def main(argv: list[str] | None = None) -> None:
    argv = normalise_argv(list(sys.argv[1:] if argv is None else argv))
    try:
        precheck(argv)
    except UserError as err:
        _fail(err)
    sys.argv = [sys.argv[0], *argv]
    _hydra_main()


def _fail(err: BaseException) -> None:
    print(f"error: {err}", file=sys.stderr, flush=True)
    sys.exit(EXIT_USER_ERROR)


@hydra.main(version_base=None, config_path=str(CONF_DIR), config_name="config")
def _hydra_main(cfg: DictConfig) -> None:
    overrides = list(HydraConfig.get().overrides.task)
    try:
        run(cfg, overrides)
    except UserError as err:
        _fail(err)
    except CellsFailed as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        sys.exit(EXIT_CELLS_FAILED)


# -- provenance ------------------------------------------------------------------------------------------------------
_GIT: dict[str, Any] | None = None


def git_state() -> dict[str, Any]:
    global _GIT
    if _GIT is None:
        def git(*args: str) -> str | None:
            try:
                done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
            except (OSError, subprocess.SubprocessError):
                return None
            return done.stdout.strip() if done.returncode == 0 else None

        commit = git("rev-parse", "HEAD")
        status = git("status", "--porcelain", "--untracked-files=no")
        _GIT = {"git_commit": commit, "git_dirty": None if status is None else bool(status)}
    return dict(_GIT)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def code_digest(stages: tuple[str, ...] = ("data", "models", "evaluate")) -> str:
    """A hash of the code a baseline evaluation depends on: editing a scorer invalidates cached baselines."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(p for stage in stages for p in (package / stage).rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _fingerprint(model: Any) -> str:
    from s0repro.evaluate.generation import model_fingerprint

    return model_fingerprint(model)


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


# -- the evaluation stage, behind a few small adapters -------------------------------------------------------------
@dataclass
class Evaluation:
    """What a result keeps of one evaluation (the evaluate stage's EvalResult, as plain data)."""

    score: float
    correct: list[bool]
    task_ids: list[str]
    failure_types: dict[str, int]
    records: list[dict[str, Any]]
    generation: dict[str, Any] = dataclasses.field(default_factory=dict)  # the GenerationConfig used
    sandbox: dict[str, Any] = dataclasses.field(default_factory=dict)  # limits and isolation in force
    seconds: float = 0.0

    @classmethod
    def of(cls, result: Any) -> Evaluation:
        return cls(score=float(result.score), correct=[bool(c) for c in result.correct],
                   task_ids=[str(t) for t in result.task_ids], failure_types=dict(result.failure_types),
                   records=list(result.records), generation=dict(getattr(result, "generation", {}) or {}),
                   sandbox=dict(getattr(result, "sandbox", {}) or {}), seconds=float(getattr(result, "seconds", 0)))


def _generation_config(settings: Config, *, sample: bool) -> Any:
    from s0repro.evaluate.generation import GenerationConfig

    ev, tr = settings.eval, settings.train
    if not sample:
        return GenerationConfig(batch_size=ev.batch_size, max_new_tokens=ev.max_new_tokens,
                                padding_side=ev.padding_side, do_sample=False)
    return GenerationConfig(batch_size=ev.batch_size, max_new_tokens=ev.max_new_tokens, padding_side=ev.padding_side,
                            do_sample=True, temperature=tr.sample_temperature, top_p=tr.sample_top_p,
                            num_samples=tr.samples_per_problem)


def _sandbox_config(settings: Config) -> Any:
    return settings.eval.sandbox


def load_task_data(settings: Config) -> TaskData:
    from s0repro.data import load_task

    task = load_task(settings.task.name, **dict(settings.task.args))
    lt, le = settings.task.limit_train, settings.task.limit_eval
    if lt is not None or le is not None:
        task = dataclasses.replace(task, train=task.train[:lt] if lt is not None else task.train,
                                   eval=task.eval[:le] if le is not None else task.eval,
                                   source={**task.source, "limit_train": lt, "limit_eval": le})
    return task


_MODELS: dict[str, LoadedModel] = {}


def load_model_once(cfg: ModelConfig) -> LoadedModel:
    """One model per process: every arm and seed (and every job of a local multirun) shares it."""
    key = _digest(asdict(cfg))
    if key not in _MODELS:
        _MODELS.clear()  # one model at a time in memory
        _MODELS[key] = load_model(cfg)
    return _MODELS[key]


def set_threads(settings: Config) -> None:
    """Tiny models are a few hundred kB of matrices: one thread beats two, and far more so on a shared box."""
    if settings.threads is not None:
        torch.set_num_threads(settings.threads)
    elif settings.model.source == "tiny":
        torch.set_num_threads(1)


class Session:
    """What the cells of one process share: the model, the task, the baseline and the verified sets."""

    def __init__(self, settings: Config, cache_dir: Path) -> None:
        self.settings = settings
        self.cache_dir = cache_dir
        self.task = load_task_data(settings)  # first: a missing dataset should not wait for a model to load
        set_threads(settings)
        self.loaded = load_model_once(settings.model)
        self.fingerprint = _fingerprint(self.loaded.model)
        self._baseline: Evaluation | None = None
        self._verified: dict[tuple[int, bool], Any] = {}

    def _key(self) -> str:
        """Everything a base evaluation depends on: configs, the weights themselves, versions and code."""
        s = self.settings
        return _digest([asdict(s.model), asdict(s.task), asdict(s.eval), self.fingerprint,
                        self.task.source, package_versions(), code_digest()])

    def baseline(self) -> Evaluation:
        """Greedy evaluation of the frozen model, computed once and cached on disk (``force=true`` recomputes)."""
        if self._baseline is not None:
            return self._baseline
        path = self.cache_dir / "baseline" / f"{self.settings.model.name}-{self.task.name}-{self._key()}.json"
        if path.is_file() and not self.settings.force:
            try:
                self._baseline = Evaluation(**json.loads(path.read_text()))
                return self._baseline
            except (ValueError, TypeError):
                pass  # an unreadable cache entry is recomputed and replaced
        from s0repro.evaluate.scoring import evaluate_model

        result = evaluate_model(self.loaded.model, self.loaded.tokenizer, self.task, self.task.eval,
                                _generation_config(self.settings, sample=False), _sandbox_config(self.settings),
                                progress=self.settings.progress, cleanup=self.settings.eval.cleanup)
        self._baseline = Evaluation.of(result)
        atomic_write_json(path, asdict(self._baseline))
        return self._baseline

    def verified_set(self, seed: int, verified: bool) -> Any:
        """The seed's training set (verified, or the unverified control); the evaluator caches the samples on disk."""
        if (seed, verified) not in self._verified:
            from s0repro.evaluate.verified import build_verified_set

            tr, model = self.settings.train, self.settings.model
            self._verified[(seed, verified)] = build_verified_set(
                self.loaded.model, self.loaded.tokenizer, self.task, k=tr.samples_per_problem, seed=seed,
                gen_cfg=_generation_config(self.settings, sample=True), sandbox_cfg=_sandbox_config(self.settings),
                cache_dir=self.cache_dir / "verified", verified=verified, model_name=model.hub_id or model.name,
                revision=model.revision if model.source == "hub" else None, progress=self.settings.progress)
        return self._verified[(seed, verified)]

    def evaluate(self, method: Any, out_jsonl: Path) -> Evaluation:
        from s0repro.evaluate.scoring import evaluate_model

        result = evaluate_model(method.model, self.loaded.tokenizer, self.task, self.task.eval,
                                _generation_config(self.settings, sample=False), _sandbox_config(self.settings),
                                method=method, out_jsonl=out_jsonl, progress=self.settings.progress,
                                cleanup=self.settings.eval.cleanup)
        return Evaluation.of(result)

    def give_back(self, method: Any) -> None:
        """Detach ``method``; if the model is not exactly the base one afterwards, load it afresh (and say so)."""
        base = method.detach()
        if base is not self.loaded.model or _fingerprint(base) != self.fingerprint:
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
            self.give_back(method)


def build(spec: RunSpec) -> Any:
    cls = method_class(spec.method)
    return cls(cls.config_class(**spec.method_config))


# -- one cell --------------------------------------------------------------------------------------------------------
def _train_info(spec: RunSpec, tr: Any, method: Any, vset: Any) -> dict[str, Any]:
    return {"losses": [float(x) for x in tr.losses], "steps": tr.steps, "seconds": tr.seconds,
            "peak_memory_mb": tr.peak_memory_mb, "trainable_params": tr.trainable_params,
            "trainable_bytes": method.trainable_bytes(), "verified": spec.train.verified,
            "num_examples": tr.num_examples, "n_train_problems": vset.n_problems,
            "n_correct_examples": getattr(vset, "n_correct", None),
            "samples_per_problem": vset.k, "train_task_ids": list(vset.kept_task_ids)}


def run_cell(session: Session, spec: RunSpec, store: ResultStore, full_config: dict[str, Any],
             wandb_dir: Path) -> dict[str, Any]:
    """Run one cell and commit its result; returns the committed payload."""
    settings = session.settings
    started, clock = _now(), time.perf_counter()
    train_cfg = spec.train.resolve(_method_config(spec), spec.seed, settings.progress and spec.train.progress)
    arm = {"label": spec.label, "method": spec.method_config, "train": asdict(train_cfg),
           "verified": spec.train.verified}
    with store.attempt(*spec.key) as attempt:
        tracker = make_tracker(settings.logger, exp=spec.exp, task=spec.task, label=spec.label, method=spec.method,
                               seed=spec.seed, config={**full_config, "arm": arm, "seed": spec.seed},
                               directory=wandb_dir)
        try:
            payload, records, artefact = _execute(session, spec, attempt, train_cfg, tracker)
            payload["run"] = {"config": full_config, "arm": arm, **git_state(), "started": started,
                              "finished": _now(), "seconds": round(time.perf_counter() - clock, 3),
                              "wandb_run": tracker.run_path, "host": socket.gethostname(), "pid": os.getpid(),
                              "argv": sys.argv[1:]}
            _write_records(attempt.folder / "eval.jsonl", records)
            store.commit(attempt, payload)
            tracker.log_result(payload, records, artefact)
            return payload
        finally:
            tracker.finish()


def _method_config(spec: RunSpec) -> Any:
    return method_class(spec.method).config_class(**spec.method_config)


def _execute(session: Session, spec: RunSpec, attempt: Attempt, train_cfg: Any,
             tracker: Any) -> tuple[dict[str, Any], list[dict[str, Any]], Path | None]:
    baseline = session.baseline()
    method = build(spec)
    artefact = attempt.folder / "artefact"
    train_info = None
    evaluation = baseline  # the none arm: the frozen model's (cached) evaluation is its result
    if spec.method != "none":
        vset = session.verified_set(spec.seed, spec.train.verified)
    seed_everything(spec.seed)  # the method's init does not depend on how much sampling came before
    method.attach(session.loaded.model)
    try:
        if spec.method != "none":
            result = train(method, session.loaded.tokenizer, list(vset.examples), train_cfg, on_step=tracker.log_step)
            train_info = _train_info(spec, result, method, vset)
            evaluation = session.evaluate(method, attempt.folder / "eval.jsonl")
        method.save(artefact)
        method_info = method.describe()
    finally:
        session.give_back(method)
    ev = session.settings.eval
    payload = {
        "schema_version": SCHEMA_VERSION, "exp": spec.exp, "task": spec.task, "method": spec.label,
        "method_name": spec.method, "seed": spec.seed, "attempt": attempt.name,
        "train": train_info,
        "eval": {"metric": "pass@1" if session.task.kind == "code" else "accuracy", "score": evaluation.score,
                 "n": len(evaluation.correct), "task_ids": evaluation.task_ids, "correct": evaluation.correct,
                 "failure_types": evaluation.failure_types, "baseline_score": baseline.score,
                 "batch_size": ev.batch_size, "padding_side": ev.padding_side,
                 "max_new_tokens": ev.max_new_tokens, "generation": evaluation.generation,
                 "sandbox": evaluation.sandbox, "seconds": evaluation.seconds},
        "method_info": method_info,
        "meta": {"versions": package_versions(), "hardware": hardware(), "dataset": session.task.source,
                 "model": _model_meta(session.loaded)},
        "artefact": f"{attempt.name}/artefact" if artefact.is_dir() else None,
        "files": {"eval_records": f"{attempt.name}/eval.jsonl"},
    }
    return payload, evaluation.records, artefact if artefact.is_dir() else None


def _model_meta(loaded: LoadedModel) -> dict[str, Any]:
    cfg = loaded.config
    return {"name": cfg.name, "arch": cfg.arch, "source": cfg.source, "hub_id": cfg.hub_id, "revision": cfg.revision,
            "commit": getattr(loaded.model.config, "_commit_hash", None), "dtype": cfg.dtype,
            "checkpoint": cfg.checkpoint, "seed": cfg.seed if cfg.source == "tiny" else None}


def _write_records(path: Path, records: list[dict[str, Any]]) -> None:
    with open(path, "w") as handle:
        for record in records:
            handle.write(json.dumps(record, sort_keys=True, default=str) + "\n")


def summary_line(i: int, n: int, payload: dict[str, Any], seconds: float) -> str:
    ev, tr = payload["eval"], payload.get("train")
    line = (f"[{i}/{n}] {payload['exp']}/{payload['task']}/{payload['method']} seed={payload['seed']}: "
            f"{ev['metric']} {100 * ev['score']:.1f}%")
    if tr is not None:
        line += f" (base {100 * ev['baseline_score']:.1f}%, {100 * (ev['score'] - ev['baseline_score']):+.1f} pp)"
        line += f" | {tr['num_examples']} examples, {tr['steps']} steps"
        if tr["losses"]:
            line += f", loss {tr['losses'][0]:.3f} -> {tr['losses'][-1]:.3f}"
    return line + f" | {seconds:.1f}s"


# -- the whole run ---------------------------------------------------------------------------------------------------
def to_settings(cfg: DictConfig) -> Config:
    """The typed settings; dataclass checks (ModelConfig.arch, logger.kind, ...) fail here as one line."""
    allowed = {f.name for f in dataclasses.fields(Config)} | {"hydra"}
    unknown = sorted(set(cfg.keys()) - allowed)
    if unknown:
        raise UserError(f"unknown config key {unknown[0]!r}; top-level keys: {', '.join(sorted(allowed - {'hydra'}))}")
    try:
        return OmegaConf.to_object(cfg)
    except UserError:
        raise
    except Exception as err:  # noqa: BLE001 - dataclass validation (ModelConfig.__post_init__ etc.)
        raise UserError(config_error_line(err)) from None


def _absolute(path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else Path.cwd() / p


def run(cfg: DictConfig, cli_overrides: list[str] | tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Run every planned cell that is not finished yet; returns the payloads of the cells run here."""
    members = expand_suite(cfg, cli_overrides)
    if len(members) == 1 and members[0][0] is cfg:
        return run_experiment(cfg, cli_overrides)
    payloads, failures = [], []
    for member_cfg, member_overrides in members:
        try:
            payloads += run_experiment(member_cfg, member_overrides)
        except NotInExperiment as err:
            print(f"{member_cfg.exp_name}: skipped ({err})", flush=True)
        except CellsFailed as err:
            failures.append(f"{member_cfg.exp_name}: {err}")
    if failures:
        raise CellsFailed("; ".join(failures))
    return payloads


def run_experiment(cfg: DictConfig, cli_overrides: list[str] | tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """One experiment (one model): every planned cell that is not finished yet."""
    settings = to_settings(cfg)
    specs = plan_runs(cfg, cli_overrides)
    root = _absolute(settings.results_dir)
    store = ResultStore(root)
    try:
        store.check_writable()
    except OSError as err:
        raise UserError(f"results_dir={settings.results_dir}: {err}") from None
    todo = []
    for spec in specs:
        try:
            done = store.existing(*spec.key)
        except CorruptResultError as err:
            if not settings.force:
                raise UserError(f"{err}; move it away (or re-run the cell with force=true)") from None
            done = None
        if done is None or settings.force:
            todo.append(spec)
    print(f"{settings.exp_name}: {len(specs)} cells ({len({s.label for s in specs})} methods x "
          f"{len({s.seed for s in specs})} seeds), {len(specs) - len(todo)} finished, {len(todo)} to run "
          f"-> {root}", flush=True)
    if settings.dry_run:
        for spec in specs:
            state = "to run" if spec in todo else "finished"
            print(f"  {'/'.join(map(str, spec.key[:3]))} seed={spec.seed}: {state}", flush=True)
        return []
    if not todo:
        return []
    full_config = OmegaConf.to_container(cfg, resolve=True)
    cache_dir = _absolute(settings.cache_dir) if settings.cache_dir else root / ".cache"
    wandb_dir = _absolute(settings.logger.dir) if settings.logger.dir else Path.cwd()
    session = Session(settings, cache_dir)
    session.check_methods(todo)
    payloads, failed = [], []
    for i, spec in enumerate(todo, start=1):
        clock = time.perf_counter()
        name = "/".join(map(str, spec.key[:3])) + f" seed={spec.seed}"
        try:
            payload = run_cell(session, spec, store, full_config, wandb_dir)
        except CellBusyError as err:
            print(f"[{i}/{len(todo)}] {name}: skipped, {err}", flush=True)
            continue
        except UserError:
            raise
        except Exception as err:  # noqa: BLE001 - one failed cell must not cost the others; reported below
            log.exception("cell %s failed", name)
            failed.append(name)
            print(f"[{i}/{len(todo)}] {name}: FAILED ({type(err).__name__}: {_first_line(err)})", flush=True)
            continue
        payloads.append(payload)
        print(summary_line(i, len(todo), payload, time.perf_counter() - clock), flush=True)
    if failed:
        raise CellsFailed(f"{len(failed)} of {len(todo)} cells failed ({', '.join(failed[:5])}); nothing was written "
                          "for them, re-running the same command retries only those")
    return payloads


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:300] if text else ""


if __name__ == "__main__":
    main()
