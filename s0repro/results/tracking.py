"""Weights & Biases tracking: one W&B run per (exp, task, method label, seed), never at the expense of the result.

group = exp, job_type = method label, name = ``<exp>/<task>/<label>/seed_<n>``, tags, the full resolved config; the
loss curve as it trains; final metrics in the summary; the per-problem table; the tuned artefact as an artifact.
Offline unless ``WANDB_API_KEY`` is set (``logger.mode=auto``), so nothing needs a network; ``wandb sync`` uploads
later. Every call into wandb is guarded: a W&B failure is a warning, and ``finish()`` always runs.

One cell of one result store is one W&B run, whatever the re-runs (``force=true``, after Ctrl-C): the run id is a
hash of the project, the store (``results_dir``, absolute) and the cell, and the run is resumed (online). The same
cell run into another ``results_dir`` is another run, so a scratch store never replaces the main one's. An offline
folder of the same id is removed only after a newer run of that id logged its result, and never while the cell's
result.json names it (``run.wandb_run``). A run that ends without a result (an interruption, an error) finishes with
exit code 1, which W&B shows as failed. The top-level ``method``/``train`` config holds the values the cell actually
used (the arm's resolved lr, alpha, ``train.verified``, ...), not the preset's placeholders. The summary holds the
score under every clean-up and the failure classes of :mod:`s0repro.evaluate.failures` (what the tables count).
Each offline folder's ``files/`` holds ``config.yaml`` and ``wandb-summary.json`` (W&B's usual files) so it reads
without a parser.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from s0repro.errors import UserError, one_line
from s0repro.results.schema import RESULT_FILE

log = logging.getLogger(__name__)
LOGGER_KINDS = ("wandb", "none")
LOGGER_MODES = ("auto", "online", "offline", "disabled")


@dataclass
class LoggerConfig:
    """Hydra group ``logger``: where and whether each cell is tracked."""

    kind: str = "wandb"  # wandb | none
    project: str = "s0repro"
    entity: str | None = None
    mode: str = "auto"  # auto: online when WANDB_API_KEY is set, else offline (``wandb sync`` later)
    dir: str | None = None  # where wandb writes its run folders; None: ./wandb
    tags: list[str] = field(default_factory=list)
    log_table: bool = True  # the per-problem table
    log_artifact: bool = True  # the tuned state as a W&B artifact

    def __post_init__(self) -> None:
        if self.kind not in LOGGER_KINDS:
            raise UserError(f"logger.kind={self.kind!r} is not one of {LOGGER_KINDS} (logger=none turns it off)")
        if self.mode not in LOGGER_MODES:
            raise UserError(f"logger.mode={self.mode!r} is not one of {LOGGER_MODES}")


class Tracker(Protocol):
    run_path: str | None

    def log_step(self, step: int, loss: float) -> None: ...

    def log_result(self, payload: dict[str, Any], records: list[dict[str, Any]], artefact: Path | None) -> None: ...

    def finish(self) -> None: ...


class NullTracker:
    """``logger=none``: nothing is tracked."""

    run_path: str | None = None

    def log_step(self, step: int, loss: float) -> None:
        pass

    def log_result(self, payload: dict[str, Any], records: list[dict[str, Any]], artefact: Path | None) -> None:
        pass

    def finish(self) -> None:
        pass


def wandb_mode(requested: str) -> str:
    if requested != "auto":
        return requested
    if os.environ.get("WANDB_MODE"):
        return os.environ["WANDB_MODE"]
    return "online" if os.environ.get("WANDB_API_KEY") else "offline"


class WandbTracker:
    """One W&B run. Construction starts it; a failure to start leaves a tracker that does nothing."""

    def __init__(self, cfg: LoggerConfig, *, name: str, group: str, job_type: str, tags: list[str],
                 config: dict[str, Any], directory: Path, store: Path | None = None) -> None:
        self.cfg = cfg
        self.run: Any = None
        self.run_path: str | None = None
        self.config = config
        self.completed = False  # a result was logged; finish() without one marks the run failed
        self.directory = directory
        self.result_file = store / name / RESULT_FILE if store is not None else None
        self.run_id = cell_run_id(cfg.project, name, store)
        try:
            import wandb

            directory.mkdir(parents=True, exist_ok=True)
            self.run = wandb.init(
                project=cfg.project, entity=cfg.entity, mode=wandb_mode(cfg.mode), dir=str(directory), name=name,
                group=group, job_type=job_type, tags=list(dict.fromkeys([*cfg.tags, *tags])), config=config,
                id=self.run_id, resume="allow", reinit="create_new", settings=wandb.Settings(silent=True, console="off"),
            )
            self.run.define_metric("train/loss", step_metric="train/step")
            self.run_path = str(Path(self.run.dir).parent) if self.run.dir else self.run.path
        except Exception as err:  # noqa: BLE001 - tracking must never stop a run
            log.warning("W&B could not start (%s); the run continues without tracking", one_line(err, 200, with_type=True))
            self.run = None

    def _guard(self, what: str, fn: Any) -> None:
        if self.run is None:
            return
        try:
            fn()
        except Exception as err:  # noqa: BLE001
            log.warning("W&B %s failed (%s); the local result is unaffected", what, one_line(err, 200, with_type=True))

    def log_step(self, step: int, loss: float) -> None:
        # Our own step axis, not W&B's: a resumed run's history continues, a repeated step is not dropped.
        self._guard("log", lambda: self.run.log({"train/step": step, "train/loss": loss}))

    def log_result(self, payload: dict[str, Any], records: list[dict[str, Any]], artefact: Path | None) -> None:
        def summary() -> None:
            self.run.summary.update(result_summary(payload))

        def table() -> None:
            import wandb

            # Evaluation records name the verdict `passed`; the table calls it `correct`, once.
            rows_in = [{"correct": r.get("passed", r.get("correct")), **r} for r in records]
            columns = ["task_id", "correct",
                       *sorted({k for r in rows_in for k in r} - {"task_id", "correct", "passed"})]
            rows = [[_cell(r.get(c)) for c in columns] for r in rows_in]
            self.run.log({"eval/problems": wandb.Table(columns=columns, data=rows)})

        def artifact() -> None:
            import wandb

            art = wandb.Artifact(name=_artifact_name(payload), type="tuned-state",
                                 metadata={"method": payload["method"], "seed": payload["seed"]})
            with contextlib.redirect_stderr(io.StringIO()):  # "wandb: Adding directory to artifact": noise
                art.add_dir(str(artefact))
            self.run.log_artifact(art)

        self._guard("summary", summary)
        self.completed = True
        if self.cfg.log_table and records:
            self._guard("table", table)
        if self.cfg.log_artifact and artefact is not None and artefact.is_dir():
            self._guard("artifact", artifact)

    def finish(self) -> None:
        """End the run: exit code 0 after a logged result, 1 otherwise (interrupted or failed: W&B shows it)."""
        if self.run is None:
            return
        self._guard("files", self._write_plain_files)
        try:
            self.run.finish(exit_code=0 if self.completed else 1)
        except Exception as err:  # noqa: BLE001
            log.warning("W&B finish failed (%s)", one_line(err, 200, with_type=True))
        finally:
            self.run = None
        if self.completed:
            self._remove_superseded()

    def _remove_superseded(self) -> None:
        """Older offline folders of this run id (an interrupted try, the previous ``force=true`` result), except this
        run's and the one the cell's result.json names: a result never points at a folder that is gone."""
        keep = {Path(self.run_path).resolve()} if self.run_path else set()
        if self.result_file is not None and self.result_file.is_file():
            with contextlib.suppress(OSError, ValueError, AttributeError):
                named = (json.loads(self.result_file.read_text()).get("run") or {}).get("wandb_run")
                if named:
                    keep.add(Path(named).resolve())
        for old in (self.directory / "wandb").glob(f"offline-run-*-{self.run_id}*"):  # "-1": same second, same id
            if old.resolve() not in keep:
                shutil.rmtree(old, ignore_errors=True)

    def _write_plain_files(self) -> None:
        """``files/config.yaml`` and ``files/wandb-summary.json`` as W&B writes them online, readable as text."""
        import yaml

        files = Path(self.run.dir)
        if not files.is_dir():
            return
        config = {"wandb_version": 1, **{k: {"value": v} for k, v in self.config.items()}}
        plain = json.loads(json.dumps(config, default=str))
        (files / "config.yaml").write_text(yaml.safe_dump(plain, sort_keys=False))
        summary = {k: self.run.summary[k] for k in self.run.summary.keys()}  # noqa: SIM118 - not a dict
        (files / "wandb-summary.json").write_text(json.dumps(summary, default=_plain, indent=1, sort_keys=True))


def result_summary(payload: dict[str, Any]) -> dict[str, Any]:
    """The final numbers of a result, flat, for the W&B summary."""
    ev, tr = payload["eval"], payload.get("train") or {}
    out = {f"eval/{ev.get('metric', 'score')}": ev["score"], "eval/score": ev["score"], "eval/n": ev["n"]}
    if ev.get("baseline_score") is not None:
        out["eval/baseline_score"] = ev["baseline_score"]
        out["eval/delta_pp"] = 100.0 * (ev["score"] - ev["baseline_score"])
    for key in ("steps", "seconds", "peak_memory_mb", "trainable_params", "num_examples"):
        if key in tr:
            out[f"train/{key}"] = tr[key]
    if tr.get("losses"):
        out["train/final_loss"] = tr["losses"][-1]
    for mode, view in (ev.get("by_cleanup") or {}).items():
        out[f"eval/{mode}/{ev.get('metric', 'score')}"] = view["score"]
        for kind, count in (view.get("failure_classes") or {}).items():  # every class, zeros included
            out[f"eval/{mode}/failures/{kind}"] = count
            if mode == ev.get("cleanup"):
                out[f"eval/failures/{kind}"] = count
    return out


def make_tracker(cfg: LoggerConfig, *, exp: str, task: str, label: str, method: str, seed: int,
                 config: dict[str, Any], directory: Path) -> Tracker:
    if cfg.kind not in LOGGER_KINDS:
        raise ValueError(f"logger.kind={cfg.kind!r} is not one of {LOGGER_KINDS}")
    if cfg.kind == "none" or wandb_mode(cfg.mode) == "disabled":
        return NullTracker()
    if cfg.mode not in LOGGER_MODES:
        raise ValueError(f"logger.mode={cfg.mode!r} is not one of {LOGGER_MODES}")
    tags = [exp, task, label, method, f"seed_{seed}"]
    store = Path(str(config["results_dir"])).expanduser().absolute() if config.get("results_dir") else None
    return WandbTracker(cfg, name=f"{exp}/{task}/{label}/seed_{seed}", group=exp, job_type=label, tags=tags,
                        config=effective_config(config), directory=directory, store=store)


def cell_run_id(project: str, name: str, store: Path | None = None) -> str:
    """The W&B run id of a cell of a result store: the same cell (``<exp>/<task>/<label>/seed_<n>``) in the same
    store always gets the same run; the same cell in another store (``results_dir=...``) gets another."""
    where = f"{store}::" if store is not None else ""
    return hashlib.sha256(f"{where}{project}/{name}".encode()).hexdigest()[:24]


def effective_config(config: dict[str, Any]) -> dict[str, Any]:
    """The top-level ``method`` and ``train`` with the arm's resolved values over the preset's (filter/plot by them).

    The runner passes the composed config plus ``arm`` (what the cell ran with: the experiment's method settings and
    the resolved training config); a preset's ``lr: null`` or another arm's defaults must not show as the run's.
    """
    arm = config.get("arm") or {}
    out = dict(config)
    for part in ("method", "train"):
        if isinstance(arm.get(part), dict):
            out[part] = {**(config.get(part) or {}), **arm[part]}
    if "verified" in arm:  # the arm's training set (s0_unverified: False), kept beside its TrainConfig
        out["train"] = {**(out.get("train") or {}), "verified": arm["verified"]}
    return out


def _cell(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else json.dumps(value, default=str)


def _plain(value: Any) -> Any:
    """A wandb summary value (nested summary dicts, table references) as plain JSON."""
    try:
        return {k: value[k] for k in value.keys()}  # noqa: SIM118 - wandb summary: keys() and [], no iteration
    except Exception:  # noqa: BLE001 - anything else is shown as text
        return str(value)


def _artifact_name(payload: dict[str, Any]) -> str:
    raw = f"{payload['exp']}-{payload['task']}-{payload['method']}-seed{payload['seed']}"
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in raw)
