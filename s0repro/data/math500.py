"""MATH-500 (``HuggingFaceH4/MATH-500``, one ``test`` split of 500), split as in the paper: train on the first 250,
evaluate on the last 250. Hub only; ``data_path=`` points at a local copy."""

from __future__ import annotations

from s0repro.data.base import Problem, TaskData, register_task
from s0repro.data.hub import load_rows

DATASET = "HuggingFaceH4/MATH-500"
TEMPLATE = "Solve the following math problem step by step. Put the final answer in \\boxed{{}}.\n\n{prompt}"


@register_task("math500")
def load_math500(revision: str | None = None, data_path: str | None = None, n_train: int = 250) -> TaskData:
    rows, source = load_rows(DATASET, "test", revision=revision, path=data_path)
    problems = [Problem(task_id=r.get("unique_id") or f"math500/{i}", prompt=r["problem"], answer=str(r["answer"]),
                        meta={"subject": r.get("subject"), "level": r.get("level"), "index": i})
                for i, r in enumerate(rows)]
    return TaskData(name="math500", kind="math", train=problems[:n_train], eval=problems[n_train:],
                    source={**source, "split": f"train first {n_train}, eval the remaining {len(rows) - n_train}"},
                    prompt_template=TEMPLATE, answer_marker="boxed")
