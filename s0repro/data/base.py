"""The shape every task's data takes, whatever its source.

A :class:`Problem` is one item as the dataset gives it; a :class:`TaskData` is a task's train and eval splits plus
where they came from (dataset id, revision, content hash), so a result can name exactly what it scored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

TaskKind = Literal["code", "math", "sql"]


@dataclass(frozen=True)
class Problem:
    task_id: str  # e.g. "HumanEval/80"
    prompt: str  # the problem text as the dataset gives it (HumanEval: signature + docstring)
    answer: str  # canonical solution body (code), reference answer (math) or gold query (sql)
    test: str = ""  # code: a program defining check(candidate); sql: unused
    entry_point: str = ""  # code: the function the tests call
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class TaskData:
    name: str  # "humaneval", "minicode", "gsm8k", "math500", "spider", ...
    kind: TaskKind
    train: list[Problem]
    eval: list[Problem]
    source: dict[str, Any] = field(default_factory=dict)  # dataset id, revision, sha256 of the problems

    def __post_init__(self) -> None:
        overlap = {p.task_id for p in self.train} & {p.task_id for p in self.eval}
        if overlap:
            raise ValueError(f"task {self.name}: train and eval share problems {sorted(overlap)[:5]}")


TASK_LOADERS: dict[str, Callable[..., TaskData]] = {}


def register_task(name: str) -> Callable[[Callable[..., TaskData]], Callable[..., TaskData]]:
    """Decorator for a loader ``f(**task_cfg) -> TaskData``; makes it available as ``task=<name>``."""

    def wrap(loader: Callable[..., TaskData]) -> Callable[..., TaskData]:
        TASK_LOADERS[name] = loader
        return loader

    return wrap
