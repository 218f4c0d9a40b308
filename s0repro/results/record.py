"""The result record: one typed object per cell, built by the runner and written as ``result.json``.

The sections are the ones :mod:`s0repro.results.schema` documents (run / train / eval / meta info, the artefact, the
attempt's files); typing them here means a result cannot be written with a field missing or misspelt, and
:meth:`ResultRecord.to_json` is exactly what the store commits and the tracker logs. The evaluation it summarises is
the evaluate stage's :class:`~s0repro.evaluate.scoring.EvalResult` (the one evaluation record, cached as-is for
baselines).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from s0repro.results.schema import SCHEMA_VERSION

if TYPE_CHECKING:  # only for types: importing the results stage must not import the evaluate stage (torch)
    from s0repro.evaluate.scoring import EvalResult


@dataclass
class RunInfo:
    """How the cell was run: the resolved config, its arm, the code (git) and the process."""

    config: dict[str, Any]
    arm: dict[str, Any]
    git_commit: str | None
    git_dirty: bool | None
    started: str
    finished: str
    seconds: float
    wandb_run: str | None
    host: str
    pid: int
    argv: list[str]


@dataclass
class TrainInfo:
    """What training did: the loss curve, its cost, and which verified examples it saw."""

    losses: list[float]
    steps: int
    seconds: float
    peak_memory_mb: float
    trainable_params: int
    trainable_bytes: int
    verified: bool
    num_examples: int
    n_train_problems: int
    n_correct_examples: int | None
    samples_per_problem: int
    train_task_ids: list[str]  # the task ids of the examples trained on (after train.data_size), in training order
    sampling: dict[str, Any] = field(default_factory=dict)  # effective sampling of the verified set (T, top_p, ...)
    data_size: int | None = None  # train.data_size as asked (None: every verified solution); num_examples: as used
    verified_cleanup: str = "lenient"  # the clean-up that kept the training set and cleaned its targets


def protocol_mode(batch_size: int, generation: dict[str, Any]) -> str:
    """``paper``: one prompt at a time (the authors' HumanEval); ``authors_batched``: batched with pads that decay
    S0 (the authors' transfer evaluation); ``fast``: batched with pad-neutral decay (conf/eval/fast.yaml)."""
    if batch_size == 1:
        return "paper"
    return "authors_batched" if generation.get("pads") == "decay" else "fast"


@dataclass
class EvalInfo:
    """The evaluation of the tuned (or frozen) model: per-problem verdicts in task-id order, and how it was run.

    ``score``/``correct`` are the primary clean-up's (``cleanup``); ``by_cleanup`` holds every clean-up the cell was
    scored under (the authors' and ours at least), each ``{score, correct, failure_class, failure_classes}`` with
    lists aligned with ``task_ids``. ``mode`` says which evaluation protocol ran (:func:`protocol_mode`),
    ``baseline`` whether the base was evaluated per seed or once for all seeds. ``beside["exact"]`` (transfer
    experiments, ``eval.exact_beside``): the same cell evaluated one prompt at a time, ours beside the authors'."""

    metric: str  # pass@1 (code) | accuracy
    score: float  # fraction in [0, 1], under the primary clean-up
    n: int
    task_ids: list[str]
    correct: list[bool]
    failure_types: dict[str, int]
    baseline_score: float
    batch_size: int
    padding_side: str
    max_new_tokens: int
    generation: dict[str, Any]
    sandbox: dict[str, Any]
    seconds: float
    cleanup: str  # the primary clean-up
    by_cleanup: dict[str, dict[str, Any]]
    mode: str  # paper | fast
    baseline: str  # shared | per_seed
    sampled: dict[str, Any] | None = None  # eval.sampled.n > 0: SampledResult.to_record() (per-problem pass counts)
    beside: dict[str, dict[str, Any]] = field(default_factory=dict)  # eval.exact_beside: {"exact": one at a time}

    @classmethod
    def of(cls, evaluation: EvalResult, *, kind: str, baseline_score: float, batch_size: int, padding_side: str,
           max_new_tokens: int, baseline: str) -> EvalInfo:
        return cls(metric="pass@1" if kind == "code" else "accuracy", score=evaluation.score,
                   n=len(evaluation.correct), task_ids=evaluation.task_ids, correct=evaluation.correct,
                   failure_types=evaluation.failure_types, baseline_score=baseline_score, batch_size=batch_size,
                   padding_side=padding_side, max_new_tokens=max_new_tokens, generation=evaluation.generation,
                   sandbox=evaluation.sandbox, seconds=evaluation.seconds, cleanup=evaluation.cleanup,
                   by_cleanup=evaluation.by_cleanup, mode=protocol_mode(batch_size, evaluation.generation),
                   baseline=baseline, beside=evaluation.beside)


@dataclass
class ResultRecord:
    """One cell's ``result.json``."""

    exp: str
    task: str
    method: str  # the label: s0, lora_r48, s0_unverified, ...
    method_name: str  # the registered method
    seed: int
    attempt: str
    train: TrainInfo | None  # None for the frozen model (the none arm)
    eval: EvalInfo
    method_info: dict[str, Any]
    meta: dict[str, Any]  # versions, hardware, dataset (TaskData.source), model
    artefact: str | None  # "<attempt>/artefact", relative to the result file's folder
    files: dict[str, str]
    run: RunInfo | None = None  # filled in last, when the cell's clock stops
    schema_version: int = field(default=SCHEMA_VERSION)

    def to_json(self) -> dict[str, Any]:
        if self.run is None:
            raise ValueError(f"result {self.exp}/{self.task}/{self.method}/seed_{self.seed} has no run info yet")
        return asdict(self)
