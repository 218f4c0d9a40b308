"""A task's user message comes from its data: the paper's HumanEval message inside the chat template, thinking
disabled; the other tasks ask for what their scorer extracts."""

from __future__ import annotations

import pytest

from s0repro.data import Problem, TaskData, gsm8k, load_task, math500, render_prompt, spider
from s0repro.data.base import CODE_TEMPLATE
from tests.conftest import tiny


@pytest.mark.parametrize("name", ["humaneval", "minicode"])
def test_code_prompt_is_the_papers(name: str) -> None:
    task = load_task(name)
    problem = task.eval[0]
    text = render_prompt(tiny("tiny_gdn").tokenizer, task, problem)
    expected_user = ("Complete the following Python function. Only output the function body, no explanation. "
                     "No markdown.\n\n" + problem.prompt)
    assert task.user_message(problem) == expected_user
    assert text == f"<|im_start|>user\n{expected_user}<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"


def test_other_tasks_ask_for_what_their_scorer_extracts() -> None:
    q = Problem("x", "What is {2}+2?", "4", meta={"schema": "CREATE TABLE t (a INT);"})
    gsm = TaskData("gsm8k", "math", [], [q], prompt_template=gsm8k.TEMPLATE, answer_marker="####")
    assert gsm.user_message(q) == ("Solve the following math problem step by step. Write the final answer as a number "
                                   "after '####'.\n\nWhat is {2}+2?")
    assert TaskData("m", "math", [], [q], prompt_template=math500.TEMPLATE).user_message(q) == (
        "Solve the following math problem step by step. Put the final answer in \\boxed{}.\n\nWhat is {2}+2?")
    sql = TaskData("spider", "sql", [], [q], prompt_template=spider.TEMPLATE).user_message(q)
    assert sql == ("Given the SQLite database schema below, write one SQL query that answers the question. Only output "
                   "the SQL query, no explanation. No markdown.\n\nSchema:\nCREATE TABLE t (a INT);\n\n"
                   "Question: What is {2}+2?")
    assert TaskData("c", "code", [], [q], prompt_template=CODE_TEMPLATE).user_message(q).endswith("\n\nWhat is {2}+2?")
