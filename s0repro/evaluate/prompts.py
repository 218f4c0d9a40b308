"""The model input for one problem: the tokenizer's chat template, thinking disabled, a task-specific user message.

HumanEval uses the paper's exact message. The paper does not give its GSM8K / MATH-500 / Spider messages; ours ask
for the answer in the form the scorer extracts (``####`` number, ``\\boxed{}``, one SQL query).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from s0repro.data.base import Problem, TaskData

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

CODE_INSTRUCTION = ("Complete the following Python function. Only output the function body, no explanation. "
                    "No markdown.\n\n")
GSM8K_INSTRUCTION = ("Solve the following math problem step by step. Write the final answer as a number after "
                     "'####'.\n\n")
MATH_INSTRUCTION = "Solve the following math problem step by step. Put the final answer in \\boxed{}.\n\n"
SQL_INSTRUCTION = ("Given the SQLite database schema below, write one SQL query that answers the question. Only output "
                   "the SQL query, no explanation. No markdown.\n\n")


def user_message(task: TaskData, problem: Problem) -> str:
    if task.kind == "code":
        return CODE_INSTRUCTION + problem.prompt
    if task.kind == "sql":
        return f"{SQL_INSTRUCTION}Schema:\n{problem.meta.get('schema', '')}\n\nQuestion: {problem.prompt}"
    return (GSM8K_INSTRUCTION if task.name == "gsm8k" else MATH_INSTRUCTION) + problem.prompt


def render_prompt(tokenizer: PreTrainedTokenizerBase, task: TaskData, problem: Problem) -> str:
    """The full model input text (ends with the assistant header, and the empty think block where the template has one)."""
    messages = [{"role": "user", "content": user_message(task, problem)}]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True, enable_thinking=False)
