"""The run loop: plan an experiment's cells, skip the finished ones, run the rest one by one, each to a result file.

One cell: build or load the seed's verified training set (cached in the :class:`~s0repro.run.session.Session`) ->
baseline evaluation (cached, shared or per seed; the ``none`` arm's result *is* it) -> attach the method -> train -> evaluate -> save the
artefact -> detach (a model that comes back changed is reloaded) -> write
``results/<exp>/<task>/<label>/seed_<n>/result.json`` atomically (:mod:`s0repro.results.store`), then log it to W&B
(:mod:`s0repro.results.tracking`). A cell that crashes is reported and the others still run (:class:`CellsFailed` at
the end); bad input is a :class:`~s0repro.errors.UserError` before anything under results/ is touched.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from s0repro.conf import Config, NotInExperiment, RunSpec, expand_suite, plan_runs, to_settings
from s0repro.errors import UserError, one_line
from s0repro.evaluate.verified import VerifiedSet
from s0repro.methods import TuningMethod, method_config
from s0repro.models import LoadedModel
from s0repro.provenance import git_state, hardware, now, package_versions, seed_everything
from s0repro.results.record import EvalInfo, ResultRecord, RunInfo, TrainInfo
from s0repro.results.schema import CorruptResultError
from s0repro.results.store import Attempt, CellBusyError, ResultStore
from s0repro.results.tracking import Tracker, make_tracker
from s0repro.run.session import Evaluator, Session, build
from s0repro.run.workers import Context, cell_name, pool_size, run_parallel
from s0repro.train import TrainConfig, TrainResult, train
from s0repro.train.loop import TrainExample
from s0repro.train.subsample import subsample

log = logging.getLogger(__name__)
SAMPLED_RECORDS = "sampled.jsonl"


class CellsFailed(RuntimeError):
    """Some cells raised; the others were run and written."""


def run(cfg: DictConfig, cli_overrides: list[str] | tuple[str, ...] = (), *,
        evaluator: Evaluator | None = None) -> list[dict[str, Any]]:
    """Run every planned cell that is not finished yet; returns the payloads of the cells run here.

    A suite runs its experiments one after another, or with workers all in one pool. ``evaluator``: the data and
    evaluate stages the session drives (default: the real ones).
    """
    members = expand_suite(cfg, cli_overrides)
    if len(members) == 1 and members[0][0] is cfg:
        return run_experiment(cfg, cli_overrides, evaluator=evaluator)
    prepared = []
    for member_cfg, member_overrides in members:
        try:
            experiment = _prepare(member_cfg, member_overrides, evaluator)
        except NotInExperiment as err:
            print(f"{member_cfg.exp_name}: skipped ({err})", flush=True)
            continue
        if experiment is not None:
            prepared.append(experiment)
    return _run_experiments(prepared, evaluator)


def _absolute(path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else Path.cwd() / p


@dataclass
class _Experiment:
    """One experiment's unfinished cells, with what running them needs."""

    settings: Config
    todo: list[RunSpec]
    context: Context
    store: ResultStore
    workers: int

    def session(self, evaluator: Evaluator | None) -> Session:
        """The experiment's session (loads its model), after attaching each method once: an impossible pairing
        (S0 on a Transformer) fails before any of its cells runs."""
        session = Session(self.settings, self.context.cache_dir, evaluator)
        session.check_methods(self.todo)
        return session


def run_experiment(cfg: DictConfig, cli_overrides: list[str] | tuple[str, ...] = (), *,
                   evaluator: Evaluator | None = None) -> list[dict[str, Any]]:
    """One experiment (one model): every planned cell that is not finished yet."""
    experiment = _prepare(cfg, cli_overrides, evaluator)
    return [] if experiment is None else _run_experiments([experiment], evaluator)


def _prepare(cfg: DictConfig, cli_overrides: list[str] | tuple[str, ...],
             evaluator: Evaluator | None) -> _Experiment | None:
    """Plan the experiment and say what is finished; None: nothing to run (or a dry run, which writes nothing)."""
    settings = to_settings(cfg)
    specs = plan_runs(cfg, cli_overrides)
    root = _absolute(settings.results_dir)
    store = ResultStore(root)
    try:
        if not settings.dry_run:  # a dry run writes nothing, not even an empty results_dir
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
        pending = set(todo)
        for spec in specs:
            state = "to run" if spec in pending else "finished"
            print(f"  {'/'.join(map(str, spec.key[:3]))} seed={spec.seed}: {state}", flush=True)
        return None
    if not todo:
        return None
    full_config = OmegaConf.to_container(cfg, resolve=True)
    cache_dir = _absolute(settings.cache_dir) if settings.cache_dir else root / ".cache"
    wandb_dir = _absolute(settings.logger.dir) if settings.logger.dir else Path.cwd()
    return _Experiment(settings, todo, Context(cfg, root, cache_dir, wandb_dir, full_config), store,
                       pool_size(settings))


def _run_experiments(experiments: list[_Experiment], evaluator: Evaluator | None) -> list[dict[str, Any]]:
    """With workers (every experiment's ``workers`` > 1, more than one cell): all in one pool. Else one experiment
    after the other, one cell after the other; a failed cell costs only itself either way."""
    total = sum(len(e.todo) for e in experiments)
    if experiments and total > 1 and all(e.workers > 1 for e in experiments):
        for experiment in experiments:
            experiment.session(evaluator)  # the check alone: each worker builds its own sessions
        outcome = run_parallel([(e.context, e.todo) for e in experiments], min(e.workers for e in experiments),
                               evaluator=evaluator)
        _raise_failed(outcome.failed, total)
        return outcome.payloads
    payloads, failures = [], []
    for experiment in experiments:
        try:
            payloads += _run_serially(experiment, experiment.session(evaluator))
        except CellsFailed as err:
            failures.append(f"{experiment.settings.exp_name}: {err}" if len(experiments) > 1 else str(err))
    if failures:
        raise CellsFailed("; ".join(failures))
    return payloads


def _run_serially(experiment: _Experiment, session: Session) -> list[dict[str, Any]]:
    todo, ctx = experiment.todo, experiment.context
    payloads, failed = [], []
    for i, spec in enumerate(todo, start=1):
        clock = time.perf_counter()
        name = cell_name(spec)
        try:
            payload = run_cell(session, spec, experiment.store, ctx.full_config, ctx.wandb_dir)
        except CellBusyError as err:
            print(f"[{i}/{len(todo)}] {name}: skipped, {err}", flush=True)
            continue
        except UserError:
            raise
        except Exception as err:  # noqa: BLE001 - one failed cell must not cost the others; reported below
            log.exception("cell %s failed", name)
            failed.append(name)
            print(f"[{i}/{len(todo)}] {name}: FAILED ({one_line(err, with_type=True)})", flush=True)
            continue
        payloads.append(payload)
        print(summary_line(i, len(todo), payload, time.perf_counter() - clock), flush=True)
    _raise_failed(failed, len(todo))
    return payloads


def _raise_failed(failed: list[str], n: int) -> None:
    if failed:
        raise CellsFailed(f"{len(failed)} of {n} cells failed ({', '.join(failed[:5])}); nothing was written "
                          "for them, re-running the same command retries only those")


def run_cell(session: Session, spec: RunSpec, store: ResultStore, full_config: dict[str, Any],
             wandb_dir: Path) -> dict[str, Any]:
    """Run one cell and commit its result; returns the committed payload."""
    settings = session.settings
    started, clock = now(), time.perf_counter()
    train_cfg = spec.train.resolve(method_config(spec.method, spec.method_config), spec.seed,
                                   settings.progress and spec.train.progress)
    arm = {"label": spec.label, "method": spec.method_config, "train": asdict(train_cfg),
           "verified": spec.train.verified}
    with store.attempt(*spec.key) as attempt:
        tracker = make_tracker(settings.logger, exp=spec.exp, task=spec.task, label=spec.label, method=spec.method,
                               seed=spec.seed, config={**full_config, "arm": arm, "seed": spec.seed},
                               directory=wandb_dir)
        try:
            record, records, artefact = _execute(session, spec, attempt, train_cfg, tracker)
            record.run = RunInfo(config=full_config, arm=arm, **git_state(), started=started, finished=now(),
                                 seconds=round(time.perf_counter() - clock, 3), wandb_run=tracker.run_path,
                                 host=socket.gethostname(), pid=os.getpid(), argv=sys.argv[1:])
            payload = record.to_json()
            _write_records(attempt.folder / "eval.jsonl", records)
            store.commit(attempt, payload)
            tracker.log_result(payload, records, artefact)
            return payload
        finally:
            tracker.finish()


def _train_info(spec: RunSpec, tr: TrainResult, method: TuningMethod, vset: VerifiedSet,
                examples: list[TrainExample]) -> TrainInfo:
    return TrainInfo(losses=[float(x) for x in tr.losses], steps=tr.steps, seconds=tr.seconds,
                     peak_memory_mb=tr.peak_memory_mb, trainable_params=tr.trainable_params,
                     trainable_bytes=method.trainable_bytes(), verified=spec.train.verified,
                     num_examples=tr.num_examples, n_train_problems=vset.n_problems,
                     n_correct_examples=vset.n_correct, samples_per_problem=vset.k,
                     train_task_ids=[e.task_id for e in examples], data_size=spec.train.data_size,
                     sampling=dict(vset.sampling))


def _training_examples(vset: VerifiedSet, spec: RunSpec) -> list[TrainExample]:
    """The seed's training set cut to ``train.data_size`` (nested per seed: s0repro/train/subsample.py), so every
    arm of a seed trains on the same examples."""
    return subsample(vset.examples, spec.train.data_size, spec.seed)


def _sampled(session: Session, spec: RunSpec, method: TuningMethod, attempt: Attempt) -> dict[str, Any] | None:
    """``eval.sampled.n > 0``: the sampled evaluation of the attached method (every arm, ``none`` included, per
    seed; the frozen model's is cached per seed); its per-sample records go to ``sampled.jsonl`` in the attempt."""
    if session.settings.eval.sampled.n == 0:
        return None
    out = attempt.folder / SAMPLED_RECORDS
    if spec.method == "none":
        return session.base_sampled(method, spec.seed, out)
    return session.evaluate_sampled(method, spec.seed, out).to_record()


def _execute(session: Session, spec: RunSpec, attempt: Attempt, train_cfg: TrainConfig,
             tracker: Tracker) -> tuple[ResultRecord, list[dict[str, Any]], Path | None]:
    baseline = session.baseline(spec.seed)
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
            examples = _training_examples(vset, spec)
            result = train(method, session.loaded.tokenizer, examples, train_cfg, on_step=tracker.log_step)
            train_info = _train_info(spec, result, method, vset, examples)
            evaluation = session.evaluate(method, attempt.folder / "eval.jsonl")
        sampled = _sampled(session, spec, method, attempt)
        method.save(artefact)
        method_info = method.describe()
    finally:
        session.give_back(method)
    ev = session.settings.eval
    eval_info = EvalInfo.of(evaluation, kind=session.task.kind, baseline_score=baseline.score,
                            batch_size=ev.batch_size, padding_side=ev.padding_side, max_new_tokens=ev.max_new_tokens,
                            baseline=ev.baseline)
    eval_info.sampled = sampled
    files = {"eval_records": f"{attempt.name}/eval.jsonl"}
    if sampled is not None:
        files["sampled_records"] = f"{attempt.name}/{SAMPLED_RECORDS}"
    record = ResultRecord(
        exp=spec.exp, task=spec.task, method=spec.label, method_name=spec.method, seed=spec.seed,
        attempt=attempt.name, train=train_info,
        eval=eval_info,
        method_info=method_info,
        meta={"versions": package_versions(), "hardware": hardware(), "dataset": session.task.source,
              "model": _model_meta(session.loaded)},
        artefact=f"{attempt.name}/artefact" if artefact.is_dir() else None,
        files=files,
    )
    return record, evaluation.records, artefact if artefact.is_dir() else None


def _model_meta(loaded: LoadedModel) -> dict[str, Any]:
    cfg = loaded.config
    return {"name": cfg.name, "arch": cfg.arch, "source": cfg.source, "hub_id": cfg.hub_id, "revision": cfg.revision,
            "commit": getattr(loaded.model.config, "_commit_hash", None), "dtype": cfg.dtype,
            "seed": cfg.seed if cfg.source == "tiny" else None}


def _write_records(path: Path, records: list[dict[str, Any]]) -> None:
    with open(path, "w") as handle:
        for record in records:
            handle.write(json.dumps(record, sort_keys=True, default=str) + "\n")


def summary_line(i: int, n: int, payload: dict[str, Any], seconds: float) -> str:
    ev, tr = payload["eval"], payload.get("train")
    others = ", ".join(f"{mode} {100 * view['score']:.1f}%" for mode, view in ev.get("by_cleanup", {}).items()
                       if mode != ev.get("cleanup"))
    line = (f"[{i}/{n}] {payload['exp']}/{payload['task']}/{payload['method']} seed={payload['seed']}: "
            f"{ev['metric']} {100 * ev['score']:.1f}%" + (f" [{others}]" if others else ""))
    if tr is not None:
        line += f" (base {100 * ev['baseline_score']:.1f}%, {100 * (ev['score'] - ev['baseline_score']):+.1f} pp)"
        line += f" | {tr['num_examples']} examples, {tr['steps']} steps"
        if tr["losses"]:
            line += f", loss {tr['losses'][0]:.3f} -> {tr['losses'][-1]:.3f}"
    if ev.get("sampled"):
        line += f" | sampled pass@1 {100 * ev['sampled']['pass_at_1']:.1f}% (n {ev['sampled']['n']})"
    return line + f" | {seconds:.1f}s"
