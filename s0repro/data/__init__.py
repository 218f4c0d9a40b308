"""Stage 0: data. Problems of each task (HumanEval, minicode, GSM8K, MATH-500, Spider) in one shape.

Loaders live one module per task and register themselves in :data:`TASK_LOADERS`; the evaluation stage scores
them and the runner turns verified solutions into training examples.
"""

from s0repro.data.base import TASK_LOADERS, Problem, TaskData, register_task

__all__ = ["TASK_LOADERS", "Problem", "TaskData", "register_task"]
