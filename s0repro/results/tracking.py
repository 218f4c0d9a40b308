"""Weights & Biases tracking: one W&B run per (exp, task, method label, seed), never at the expense of the result.

group = exp, job_type = method label, name = ``<exp>/<task>/<label>/seed_<n>``, tags, the full resolved config; the
loss curve as it trains; final metrics in the summary; the per-problem table; the tuned artefact as an artifact.
Offline unless ``WANDB_API_KEY`` is set (``logger.mode=auto``), so nothing needs a network; ``wandb sync`` uploads
later. Every call into wandb is guarded: a W&B failure is a warning, and ``finish()`` always runs.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from s0repro.errors import UserError, one_line

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
                 config: dict[str, Any], directory: Path) -> None:
        self.cfg = cfg
        self.run: Any = None
        self.run_path: str | None = None
        try:
            import wandb

            directory.mkdir(parents=True, exist_ok=True)
            self.run = wandb.init(
                project=cfg.project, entity=cfg.entity, mode=wandb_mode(cfg.mode), dir=str(directory), name=name,
                group=group, job_type=job_type, tags=list(dict.fromkeys([*cfg.tags, *tags])), config=config,
                reinit="create_new", settings=wandb.Settings(silent=True, console="off"),
            )
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
        self._guard("log", lambda: self.run.log({"train/loss": loss}, step=step))

    def log_result(self, payload: dict[str, Any], records: list[dict[str, Any]], artefact: Path | None) -> None:
        def summary() -> None:
            self.run.summary.update(result_summary(payload))

        def table() -> None:
            import wandb

            columns = ["task_id", "correct", *sorted({k for r in records for k in r} - {"task_id", "correct"})]
            rows = [[_cell(r.get(c)) for c in columns] for r in records]
            self.run.log({"eval/problems": wandb.Table(columns=columns, data=rows)})

        def artifact() -> None:
            import wandb

            art = wandb.Artifact(name=_artifact_name(payload), type="tuned-state",
                                 metadata={"method": payload["method"], "seed": payload["seed"]})
            art.add_dir(str(artefact))
            self.run.log_artifact(art)

        self._guard("summary", summary)
        if self.cfg.log_table and records:
            self._guard("table", table)
        if self.cfg.log_artifact and artefact is not None and artefact.is_dir():
            self._guard("artifact", artifact)

    def finish(self) -> None:
        if self.run is None:
            return
        try:
            self.run.finish()
        except Exception as err:  # noqa: BLE001
            log.warning("W&B finish failed (%s)", one_line(err, 200, with_type=True))
        finally:
            self.run = None


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
    for kind, count in (ev.get("failure_types") or {}).items():
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
    return WandbTracker(cfg, name=f"{exp}/{task}/{label}/seed_{seed}", group=exp, job_type=label, tags=tags,
                        config=config, directory=directory)


def _cell(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else json.dumps(value, default=str)


def _artifact_name(payload: dict[str, Any]) -> str:
    raw = f"{payload['exp']}-{payload['task']}-{payload['method']}-seed{payload['seed']}"
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in raw)
