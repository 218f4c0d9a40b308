"""A cell's :class:`~s0repro.results.record.ResultRecord` from what the cell computed: the training summary, the
evaluation (beside the base model's), the method's description and the provenance of model and data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from s0repro.conf import RunSpec
from s0repro.data.base import TrainExample
from s0repro.evaluate.scoring import EvalResult
from s0repro.evaluate.verified import VerifiedSet
from s0repro.methods import TuningMethod
from s0repro.models import LoadedModel
from s0repro.provenance import hardware, package_versions
from s0repro.results.record import EvalInfo, ResultRecord, TrainInfo
from s0repro.results.store import Attempt
from s0repro.run.session import Session
from s0repro.train import TrainResult

SAMPLED_RECORDS = "sampled.jsonl"


def train_info(spec: RunSpec, tr: TrainResult, method: TuningMethod, vset: VerifiedSet,
               examples: list[TrainExample]) -> TrainInfo:
    return TrainInfo(losses=[float(x) for x in tr.losses], steps=tr.steps, seconds=tr.seconds,
                     peak_memory_mb=tr.peak_memory_mb, trainable_params=tr.trainable_params,
                     trainable_bytes=method.trainable_bytes(), verified=spec.train.verified,
                     num_examples=tr.num_examples, n_train_problems=vset.n_problems,
                     n_correct_examples=vset.n_correct, samples_per_problem=vset.k,
                     train_task_ids=[e.task_id for e in examples], data_size=spec.train.data_size,
                     sampling=dict(vset.sampling), verified_cleanup=vset.cleanup)


def cell_record(session: Session, spec: RunSpec, attempt: Attempt, evaluation: EvalResult, baseline: EvalResult,
                trained: TrainInfo | None, sampled: dict[str, Any] | None, method_info: dict[str, Any],
                artefact: Path | None) -> ResultRecord:
    """The record of a finished cell, all but its ``run`` part (timing, git state), which the caller adds."""
    ev = session.settings.eval
    eval_info = EvalInfo.of(evaluation, kind=session.task.kind, baseline_score=baseline.score,
                            batch_size=ev.batch_size, padding_side=ev.padding_side, max_new_tokens=ev.max_new_tokens,
                            baseline=ev.baseline)
    eval_info.sampled = sampled
    files = {"eval_records": f"{attempt.name}/eval.jsonl"}
    if sampled is not None:
        files["sampled_records"] = f"{attempt.name}/{SAMPLED_RECORDS}"
    return ResultRecord(
        exp=spec.exp, task=spec.task, method=spec.label, method_name=spec.method, seed=spec.seed,
        attempt=attempt.name, train=trained,
        eval=eval_info,
        method_info=method_info,
        meta={"versions": package_versions(), "hardware": hardware(), "dataset": session.task.source,
              "model": model_meta(session.loaded)},
        artefact=f"{attempt.name}/artefact" if artefact is not None else None,
        files=files,
    )


def model_meta(loaded: LoadedModel) -> dict[str, Any]:
    """Which model the cell ran on, down to the hub commit (tiny models: the seed that built them)."""
    cfg = loaded.config
    return {"name": cfg.name, "arch": cfg.arch, "source": cfg.source, "hub_id": cfg.hub_id, "revision": cfg.revision,
            "commit": getattr(loaded.model.config, "_commit_hash", None), "dtype": cfg.dtype,
            "seed": cfg.seed if cfg.source == "tiny" else None}
