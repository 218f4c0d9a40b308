"""Prompts: the paper's HumanEval message inside the chat template with thinking disabled."""

from __future__ import annotations

from s0repro.data import Problem, TaskData
from s0repro.evaluate.prompts import CODE_INSTRUCTION, render_prompt, user_message


def test_humaneval_prompt_is_the_papers(humaneval: TaskData, tiny) -> None:
    problem = humaneval.eval[0]
    text = render_prompt(tiny.tokenizer, humaneval, problem)
    expected_user = ("Complete the following Python function. Only output the function body, no explanation. "
                     "No markdown.\n\n" + problem.prompt)
    assert CODE_INSTRUCTION + problem.prompt == expected_user
    assert text == f"<|im_start|>user\n{expected_user}<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"


def test_other_tasks_ask_for_what_their_scorer_extracts() -> None:
    q = Problem("x", "What is 2+2?", "4", meta={"schema": "CREATE TABLE t (a INT);"})
    assert "####" in user_message(TaskData("gsm8k", "math", [], [q]), q)
    assert "\\boxed{}" in user_message(TaskData("math500", "math", [], [q]), q)
    sql = user_message(TaskData("spider", "sql", [], [q]), q)
    assert "CREATE TABLE t (a INT);" in sql and sql.endswith("Question: What is 2+2?")
