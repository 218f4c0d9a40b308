"""The run loop: plan each experiment's cells (:mod:`.prepare`), then run the unfinished ones serially
(:mod:`.serial`) or in a pool of worker processes (:mod:`.workers`), each cell to its result file (:mod:`.cell`).

A cell that crashes is reported and the others still run (:class:`~s0repro.run.status.CellsFailed` at the end); bad
input is a :class:`~s0repro.errors.UserError` before anything under results/ is touched.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from s0repro.conf import NotInExperiment, expand_suite
from s0repro.run.prepare import Experiment, prepare
from s0repro.run.serial import run_serially
from s0repro.run.session import Evaluator
from s0repro.run.status import CellsFailed, raise_failed
from s0repro.run.workers import run_parallel


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
            experiment = prepare(member_cfg, member_overrides)
        except NotInExperiment as err:
            print(f"{member_cfg.exp_name}: skipped ({err})", flush=True)
            continue
        if experiment is not None:
            prepared.append(experiment)
    return _run_experiments(prepared, evaluator)


def run_experiment(cfg: DictConfig, cli_overrides: list[str] | tuple[str, ...] = (), *,
                   evaluator: Evaluator | None = None) -> list[dict[str, Any]]:
    """One experiment (one model): every planned cell that is not finished yet."""
    experiment = prepare(cfg, cli_overrides)
    return [] if experiment is None else _run_experiments([experiment], evaluator)


def _run_experiments(experiments: list[Experiment], evaluator: Evaluator | None) -> list[dict[str, Any]]:
    """With workers (every experiment's ``workers`` > 1, more than one cell): all in one pool. Else one experiment
    after the other, one cell after the other; a failed cell costs only itself either way."""
    total = sum(len(e.todo) for e in experiments)
    if experiments and total > 1 and all(e.workers > 1 for e in experiments):
        for experiment in experiments:
            experiment.session(evaluator)  # the check alone: each worker builds its own sessions
        outcome = run_parallel([(e.context, e.todo) for e in experiments], min(e.workers for e in experiments),
                               evaluator=evaluator)
        raise_failed(outcome.failed, total)
        return outcome.payloads
    payloads, failures = [], []
    for experiment in experiments:
        try:
            payloads += run_serially(experiment, experiment.session(evaluator))
        except CellsFailed as err:
            failures.append(f"{experiment.settings.exp_name}: {err}" if len(experiments) > 1 else str(err))
    if failures:
        raise CellsFailed("; ".join(failures))
    return payloads
