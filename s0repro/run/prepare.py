"""Before a run: plan the experiment's cells, find which are finished, and gather what running the rest needs.

Bad input is a :class:`~s0repro.errors.UserError` here, before anything under results/ is touched; a dry run stops
after the listing and writes nothing, not even an empty results_dir.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from s0repro.conf import Config, RunSpec, plan_runs, to_settings
from s0repro.errors import UserError
from s0repro.results.schema import CorruptResultError, left_alone
from s0repro.results.store import ResultStore
from s0repro.run.listing import print_plan
from s0repro.run.session import Evaluator, Session
from s0repro.run.workers import Context, pool_size


def absolute(path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else Path.cwd() / p


@dataclass
class Experiment:
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


def prepare(cfg: DictConfig, cli_overrides: list[str] | tuple[str, ...]) -> Experiment | None:
    """Plan the experiment and say what is finished; None: nothing to run (or a dry run, which writes nothing)."""
    settings = to_settings(cfg)
    specs = plan_runs(cfg, cli_overrides)
    root = absolute(settings.results_dir)
    store = ResultStore(root)
    try:
        if not settings.dry_run:  # a dry run writes nothing, not even an empty results_dir
            store.check_writable()
    except OSError as err:
        raise UserError(f"results_dir={settings.results_dir}: {err}") from None
    todo = [spec for spec in specs if settings.force or _to_run(store, spec)]
    print_plan(settings.exp_name, specs, todo, root, listing=settings.dry_run)
    if settings.dry_run or not todo:
        return None
    full_config = OmegaConf.to_container(cfg, resolve=True)
    cache_dir = absolute(settings.cache_dir) if settings.cache_dir else root / ".cache"
    wandb_dir = absolute(settings.logger.dir) if settings.logger.dir else Path.cwd()
    return Experiment(settings, todo, Context(cfg, root, cache_dir, wandb_dir, full_config), store,
                      pool_size(settings))


def _to_run(store: ResultStore, spec: RunSpec) -> bool:
    """Whether the cell has no result yet. An unreadable result is reported in one line and left alone, for
    inspection (``force=true`` re-runs the cell and replaces it); the other cells still run."""
    try:
        return store.existing(*spec.key) is None
    except CorruptResultError as err:
        print(left_alone(err), flush=True)
        return False
