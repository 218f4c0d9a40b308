"""One cell, run to its result file: the serial loop and the worker processes both run cells through here.

baseline evaluation (cached in the :class:`~s0repro.run.session.Session`; the ``none`` arm's result *is* it) ->
the seed's verified training set (cached) -> attach the method -> train -> evaluate -> save the artefact -> detach
(a model that comes back changed is reloaded) -> write ``results/<exp>/<task>/<label>/seed_<n>/result.json``
atomically (:mod:`s0repro.results.store`), then log it to W&B (:mod:`s0repro.results.tracking`). The record itself
is assembled in :mod:`.cell_record`.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from s0repro.conf import RunSpec
from s0repro.data.base import TrainExample
from s0repro.evaluate.verified import VerifiedSet, check_not_empty
from s0repro.methods import TuningMethod, method_config
from s0repro.provenance import git_state, now, seed_everything
from s0repro.results.record import ResultRecord, RunInfo
from s0repro.results.store import Attempt, ResultStore
from s0repro.results.tracking import Tracker, make_tracker
from s0repro.run.cell_record import SAMPLED_RECORDS, cell_record, train_info
from s0repro.run.session import Session, build
from s0repro.train import TrainConfig, train
from s0repro.train.subsample import subsample


def cell_name(spec: RunSpec) -> str:
    """How a cell is named in status lines and failure summaries: ``exp/task/label seed=N``."""
    return "/".join(map(str, spec.key[:3])) + f" seed={spec.seed}"


def run_cell(session: Session, spec: RunSpec, store: ResultStore, full_config: dict[str, Any],
             wandb_dir: Path) -> dict[str, Any]:
    """Run one cell and commit its result; returns the committed payload."""
    settings = session.settings
    started, clock = now(), time.perf_counter()
    train_cfg = spec.train.resolve(method_config(spec.method, spec.method_config), spec.seed,
                                   settings.progress and spec.train.progress)
    arm = {"label": spec.label, "method": spec.method_config, "train": asdict(train_cfg),
           "verified": spec.train.verified, "ours": spec.ours}
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


def _training_examples(vset: VerifiedSet, spec: RunSpec) -> list[TrainExample]:
    """The seed's training set cut to ``train.data_size`` (nested per seed: s0repro/train/subsample.py), so every
    arm of a seed trains on the same examples."""
    check_not_empty(vset, spec.seed)
    return subsample(vset.examples, spec.train.data_size, spec.seed)


def _sampled(session: Session, spec: RunSpec, method: TuningMethod, attempt: Attempt) -> dict[str, Any] | None:
    """``eval.sampled.n > 0``: the sampled evaluation of the attached method (every arm, ``none`` included, per
    seed; the frozen model's, which any method without parameters gets, is cached per seed); its per-sample records
    go to ``sampled.jsonl`` in the attempt."""
    if session.settings.eval.sampled.n == 0:
        return None
    out = attempt.folder / SAMPLED_RECORDS
    if not session.trains(spec):
        return session.base_sampled(method, spec.seed, out)
    return session.evaluate_sampled(method, spec.seed, out).to_record()


def _execute(session: Session, spec: RunSpec, attempt: Attempt, train_cfg: TrainConfig,
             tracker: Tracker) -> tuple[ResultRecord, list[dict[str, Any]], Path | None]:
    baseline = session.baseline(spec.seed)
    trains = session.trains(spec)
    method = build(spec)
    artefact = attempt.folder / "artefact"
    trained = None
    evaluation = baseline  # nothing to train (the none arm): the frozen model's (cached) evaluation is its result
    if trains:
        vset = session.verified_set(spec.seed, spec.train.verified)
    seed_everything(spec.seed)  # the method's init does not depend on how much sampling came before
    method.attach(session.loaded.model)
    try:
        if trains:
            examples = _training_examples(vset, spec)
            result = train(method, session.loaded.tokenizer, examples, train_cfg, on_step=tracker.log_step)
            trained = train_info(spec, result, method, vset, examples)
            evaluation = session.evaluate(method, attempt.folder / "eval.jsonl")
        sampled = _sampled(session, spec, method, attempt)
        method.save(artefact)
        method_info = method.describe()
    finally:
        session.give_back(method)
    saved = artefact if artefact.is_dir() else None
    record = cell_record(session, spec, attempt, evaluation, baseline, trained, sampled, method_info, saved)
    return record, evaluation.records, saved


def _write_records(path: Path, records: list[dict[str, Any]]) -> None:
    with open(path, "w") as handle:
        for record in records:
            handle.write(json.dumps(record, sort_keys=True, default=str) + "\n")
