"""Stage 0: data. Problems of each task (HumanEval, minicode, GSM8K, MATH-500, Spider) in one shape.

Loaders live one module per task and register themselves in :data:`TASK_LOADERS`; the evaluation stage scores
them and the runner turns verified solutions into training examples. :func:`load_task` imports a task's module only
when it is asked for, so ``import s0repro.data`` stays cheap and a missing optional dependency hurts only its task.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from s0repro.data.base import TASK_LOADERS, Problem, TaskData, register_task, render_prompt
from s0repro.errors import UserError

# task name -> module that registers it
TASK_MODULES = {
    "humaneval": "s0repro.data.humaneval",
    "humaneval_plus": "s0repro.data.humaneval",
    "minicode": "s0repro.data.minicode",
    "gsm8k": "s0repro.data.gsm8k",
    "math500": "s0repro.data.math500",
    "spider": "s0repro.data.spider",
}


def load_task(name: str, **cfg: Any) -> TaskData:
    """Load task ``name`` with its loader's keyword arguments (e.g. ``path=``, ``revision=``, ``data_path=``)."""
    if name not in TASK_LOADERS:
        if name not in TASK_MODULES:
            raise UserError(f"unknown task {name!r}; choose one of {sorted(TASK_MODULES)}")
        importlib.import_module(TASK_MODULES[name])
    loader = TASK_LOADERS[name]
    cfg = {k: v for k, v in cfg.items() if k not in ("name", "_target_")}
    params = inspect.signature(loader).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        unknown = sorted(set(cfg) - set(params))
        if unknown:
            raise UserError(f"task={name} does not take {unknown}; it takes {sorted(params)}")
    return loader(**cfg)


__all__ = ["TASK_LOADERS", "TASK_MODULES", "Problem", "TaskData", "load_task", "register_task", "render_prompt"]
