"""GSM8K (``openai/gsm8k``, config ``main``), split as in the paper: train on the first 200 training problems,
evaluate on the 1,319 test problems. Hub only; ``data_path=`` points at a local copy."""

from __future__ import annotations

from s0repro.data.base import Problem, TaskData, register_task
from s0repro.data.hub import load_rows

DATASET = "openai/gsm8k"
TEMPLATE = "Solve the following math problem step by step. Write the final answer as a number after '####'.\n\n{prompt}"


def gold_answer(solution: str) -> str:
    """The reference number after ``####``, commas removed."""
    return solution.rsplit("####", 1)[-1].strip().replace(",", "")


@register_task("gsm8k")
def load_gsm8k(revision: str | None = None, data_path: str | None = None, n_train: int = 200,
               n_eval: int | None = None) -> TaskData:
    train_rows, train_src = load_rows(DATASET, "train", config="main", revision=revision, path=data_path)
    test_rows, test_src = load_rows(DATASET, "test", config="main", revision=revision, path=data_path)

    def problems(rows: list[dict], split: str) -> list[Problem]:
        return [Problem(task_id=f"gsm8k/{split}/{i}", prompt=r["question"], answer=gold_answer(r["answer"]),
                        meta={"solution": r["answer"]}) for i, r in enumerate(rows)]

    return TaskData(name="gsm8k", kind="math", train=problems(train_rows, "train")[:n_train],
                    eval=problems(test_rows, "test")[:n_eval], source={"train": train_src, "eval": test_src,
                                                                       "split": f"train first {n_train}, eval test"},
                    prompt_template=TEMPLATE, answer_marker="####")
