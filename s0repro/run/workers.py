"""Independent cells in parallel worker processes (``workers=N``): one process per core on a CPU box.

Cells of one experiment share nothing but read-only artefacts: the base evaluation and one sampled training set
per (seed, verified). Those are jobs of their own, run first; a cell is dispatched once the artefacts it reads are
on disk, and every worker's :class:`~s0repro.run.session.Session` then reads them from the cache instead of
recomputing (both are written atomically, so a reader sees the whole file or none). The longest cells go first
(full-pass training before one-example steps before none), so that the short ones fill the cores at the end. A
suite (``+exp=table1``) runs all its experiments in one pool, one after the other in the job list: a worker
that finds nothing left of the first experiment starts on the second (and loads its model) instead of idling until
the last cell of the first has ended. Every cell seeds itself (``seed_everything``) and each worker runs on one
torch thread, so a cell's numbers do not depend on which process ran it or what ran before: serial and parallel
runs write the same result files (tested).

The pool is a few ``spawn``-ed processes driven over pipes, not :class:`concurrent.futures.ProcessPoolExecutor`:
the parent knows which job each worker holds, so a worker that dies (killed, out of memory, a crash in native code)
costs exactly its own cell, which is reported like a cell that raised, and a fresh worker takes its place. Ctrl-C
reaches the workers too (one process group); the parent stops them and re-raises, and an interrupted cell leaves
no result behind (:mod:`s0repro.results.store`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing as mp
import os
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig

from s0repro.conf import Config, RunSpec, to_settings, without_progress
from s0repro.errors import CellSkipped, UserError, one_line
from s0repro.methods import method_config
from s0repro.results.store import ResultStore
from s0repro.run.cell import cell_name, run_cell
from s0repro.run.session import Evaluator, Session
from s0repro.run.status import print_busy, print_failed, print_finished

log = logging.getLogger(__name__)


def pool_size(settings: Config) -> int:
    """``workers`` if set; else one per usable core for tiny models on the CPU, 1 for anything bigger (a GPU or a
    full-size model is used by one cell at a time)."""
    if settings.workers is not None:
        if settings.workers < 1:
            raise UserError(f"workers={settings.workers}: must be at least 1 (or null for the default)")
        return settings.workers
    if settings.model.cpu_sized and (settings.model.device == "cpu" or (
            settings.model.device == "auto" and not torch.cuda.is_available())):
        return len(os.sched_getaffinity(0))
    return 1


@dataclass(frozen=True)
class Context:
    """What a worker needs to run any cell of one experiment (sent with each job; a few kB)."""

    cfg: DictConfig
    root: Path
    cache_dir: Path
    wandb_dir: Path
    full_config: dict[str, Any]


@dataclass(frozen=True)
class Job:
    """A shared artefact (``baseline``, ``verified``) or a cell of experiment ``exp``; ``needs`` names the jobs of
    the same experiment it must wait for."""

    kind: str
    name: str
    spec: RunSpec | None = None
    seed: int = 0
    verified: bool = True
    needs: tuple[str, ...] = ()
    exp: str = ""


def training_passes(spec: RunSpec) -> tuple[int, int]:
    """How long a cell trains, for ordering: (full passes over the training set, examples seen otherwise)."""
    if spec.method == "none":
        return (0, 0)
    train = spec.train.resolve(method_config(spec.method, spec.method_config), spec.seed, False)
    return (train.steps, 0) if train.batch <= 0 else (0, train.steps * train.batch)


def plan_jobs(todo: list[RunSpec], *, per_seed_baseline: bool = False) -> list[Job]:
    """The base evaluation (one, or one per seed with ``eval.baseline=per_seed``) and each seed's sampled training
    set as jobs of their own, then the cells that read them, longest training first.

    One sampling job per seed: the verified set and the unverified control select from the same cached samples, so
    whichever a cell needs, the other is a cheap read once that job is done.
    """
    artefacts: dict[str, Job] = {}  # by name, in first-needed order (one lookup a cell, not a scan)
    cells = []
    for spec in todo:
        base = f"baseline seed={spec.seed}" if per_seed_baseline else "baseline"
        artefacts.setdefault(base, Job("baseline", base, seed=spec.seed))
        needs = (base,)
        if spec.method != "none":
            sampled = f"samples seed={spec.seed}"
            artefacts.setdefault(sampled, Job("verified", sampled, seed=spec.seed, verified=spec.train.verified))
            needs += (sampled,)
        cells.append(Job("cell", cell_name(spec), spec=spec, needs=needs))
    cells.sort(key=lambda job: training_passes(job.spec), reverse=True)  # stable: plan order among equals
    return [*artefacts.values(), *cells]  # artefacts first: the many short cells at the end keep every worker busy to the last


_SESSIONS: dict[str, Session] = {}


def _do(job: Job, ctx: Context, evaluator: Evaluator | None) -> dict[str, Any] | None:
    """Run one job in this worker; its experiment's session (model, task, caches) is kept until the next
    experiment's job arrives."""
    settings = to_settings(ctx.cfg)
    session = _SESSIONS.get(settings.exp_name)
    if session is None:
        _SESSIONS.clear()
        session = _SESSIONS[settings.exp_name] = Session(settings, ctx.cache_dir, evaluator)
    if job.kind == "baseline":
        session.baseline(job.seed)
        return None
    if job.kind == "verified":
        session.verified_set(job.seed, job.verified)
        return None
    return run_cell(session, job.spec, ResultStore(ctx.root), ctx.full_config, ctx.wandb_dir)


def _serve(conn: Connection, contexts: dict[str, Context], evaluator: Evaluator | None) -> None:
    """A worker: run jobs from the pipe until told to stop; every outcome goes back as ``(status, value, detail)``."""
    torch.set_num_threads(1)  # the session may set its configured count; by default tiny runs use one
    contexts = {name: dataclasses.replace(ctx, cfg=without_progress(ctx.cfg)) for name, ctx in contexts.items()}
    try:
        while (job := conn.recv()) is not None:
            try:
                conn.send(("ok", _do(job, contexts[job.exp], evaluator), ""))
            except CellSkipped as err:  # busy elsewhere, or nothing to train on
                conn.send(("busy", str(err), ""))
            except UserError as err:
                conn.send(("user", str(err), ""))
            except Exception as err:  # noqa: BLE001 - reported by the parent, next to the cells that ran
                conn.send(("failed", one_line(err, with_type=True), traceback.format_exc()))
    except (KeyboardInterrupt, EOFError, BrokenPipeError):
        pass  # Ctrl-C (the parent stops too) or the parent is gone


@dataclass
class _Worker:
    process: Any
    conn: Connection
    job: Job | None = None
    started: float = 0.0


@dataclass
class Outcome:
    """What the pool reports back to the run loop."""

    payloads: list[dict[str, Any]] = field(default_factory=list)  # in the order of ``todo``
    failed: list[str] = field(default_factory=list)


class Pool:
    """``n`` spawned workers for the experiments in ``contexts``; :meth:`run` dispatches jobs as their inputs become
    ready."""

    def __init__(self, n: int, contexts: dict[str, Context], evaluator: Evaluator | None) -> None:
        self.contexts, self.evaluator = contexts, evaluator
        self.mp = mp.get_context("spawn")  # fork would copy torch's thread pools and the parent's model
        self.workers = [self._start() for _ in range(n)]

    def _start(self) -> _Worker:
        parent, child = self.mp.Pipe()
        process = self.mp.Process(target=_serve, args=(child, self.contexts, self.evaluator), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def close(self) -> None:
        for worker in self.workers:
            if worker.process.is_alive():
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
        for worker in self.workers:
            worker.process.join(timeout=10)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join()

    def kill(self, grace: float) -> None:
        """Stop now: give the workers ``grace`` seconds to end on their own (Ctrl-C reached them too, and a cell
        interrupted in the store removes its attempt folder), then terminate them."""
        deadline = time.monotonic() + grace
        for worker in self.workers:
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join()

    def run(self, jobs: list[Job], report: Any) -> None:
        """Run ``jobs``; ``report(job, status, value, detail, seconds)`` is called for each as it ends."""
        pending, done = list(jobs), set()
        while pending or any(w.job for w in self.workers):
            for worker in self.workers:
                if worker.job is None:
                    job = next((j for j in pending if all((j.exp, n) in done for n in j.needs)), None)
                    if job is None:
                        break
                    pending.remove(job)
                    worker.job, worker.started = job, time.perf_counter()
                    worker.conn.send(job)
            busy = [w for w in self.workers if w.job is not None]
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
            for i, worker in enumerate(self.workers):
                if worker.job is None or not ({worker.conn, worker.process.sentinel} & set(ready)):
                    continue
                job, seconds = worker.job, time.perf_counter() - worker.started
                try:
                    status, value, detail = worker.conn.recv()
                except (EOFError, OSError):
                    worker.process.join()
                    status, value, detail = "failed", f"its worker process died (exit code " \
                        f"{worker.process.exitcode})", ""
                    self.workers[i] = self._start()
                worker.job = None
                done.add((job.exp, job.name))  # a failed artefact job: its cells try again themselves, and report it
                report(job, status, value, detail, seconds)


def run_parallel(experiments: list[tuple[Context, list[RunSpec]]], n: int, *, evaluator: Evaluator | None) -> Outcome:
    """Run each experiment's ``todo`` on ``n`` worker processes, the experiments' jobs in their order; prints a line
    per cell as the serial loop does."""
    contexts = {to_settings(ctx.cfg).exp_name: ctx for ctx, _ in experiments}
    jobs = [dataclasses.replace(job, exp=name) for name, (ctx, todo) in zip(contexts, experiments, strict=True)
            for job in plan_jobs(todo, per_seed_baseline=to_settings(ctx.cfg).eval.baseline == "per_seed")]
    todo = [spec for _, specs in experiments for spec in specs]
    outcome, by_name, count = Outcome(), {}, [0]

    def report(job: Job, status: str, value: Any, detail: str, seconds: float) -> None:
        if job.kind != "cell":
            if status != "ok":
                log.warning("%s: %s (its cells compute it themselves)", job.name, value)
            return
        count[0] += 1
        if status == "ok":
            by_name[job.name] = value
            print_finished(count[0], len(todo), value, seconds)
        elif status == "busy":
            print_busy(count[0], len(todo), job.name, value)
        elif status == "user":
            raise UserError(value)
        else:
            outcome.failed.append(job.name)
            print_failed(count[0], len(todo), job.name, value, detail)

    pool = Pool(min(n, len(todo)), contexts, evaluator)
    try:
        pool.run(jobs, report)
    except KeyboardInterrupt:
        pool.kill(grace=5.0)
        raise
    except BaseException:
        pool.kill(grace=0.0)  # bad input: nothing a worker still does is worth keeping
        raise
    pool.close()
    outcome.payloads = [by_name[cell_name(s)] for s in todo if cell_name(s) in by_name]
    outcome.failed.sort(key=[cell_name(s) for s in todo].index)
    return outcome
