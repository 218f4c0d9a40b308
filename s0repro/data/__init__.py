"""Stage 0: data. Problems of each task (HumanEval, minicode, GSM8K, MATH-500, Spider) in one shape.

Loaders live one module per task and register themselves with ``@register_task`` in :data:`TASK_LOADERS`; a new
task is one module here plus one ``conf/task/<name>.yaml``, no list to edit. :func:`load_task` imports the package's
modules (:func:`~s0repro.data.base.discover`) only when a task it has not seen is asked for, so ``import s0repro.data``
stays cheap and a missing optional dependency hurts only its task. Each task's data carries its instruction
(:meth:`TaskData.user_message`); :func:`render_prompt` is the model input the evaluation and training stages share.
"""

from __future__ import annotations

import inspect
from typing import Any

from s0repro.data.base import (
    TASK_LOADERS,
    UNLOADABLE,
    Problem,
    TaskData,
    TrainExample,
    discover,
    register_task,
    render_prompt,
)
from s0repro.discovery import unloadable_note
from s0repro.errors import UserError


def load_task(name: str, **cfg: Any) -> TaskData:
    """Load task ``name`` with its loader's keyword arguments (e.g. ``path=``, ``revision=``, ``data_path=``)."""
    if name not in TASK_LOADERS and name not in discover():
        raise UserError(f"unknown task {name!r}; choose one of {sorted(TASK_LOADERS)}{unloadable_note(UNLOADABLE)}")
    loader = TASK_LOADERS[name]
    cfg = {k: v for k, v in cfg.items() if k != "name"}
    params = inspect.signature(loader).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        unknown = sorted(set(cfg) - set(params))
        if unknown:
            raise UserError(f"task={name} does not take {unknown}; it takes {sorted(params)}")
    return loader(**cfg)


__all__ = ["TASK_LOADERS", "Problem", "TaskData", "TrainExample", "discover", "load_task", "register_task", "render_prompt"]
