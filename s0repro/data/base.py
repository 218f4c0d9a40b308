"""The shape every task's data takes, whatever its source.

A :class:`Problem` is one item as the dataset gives it; a :class:`TaskData` is a task's train and eval splits plus
where they came from (dataset id, revision, content hash), so a result can name exactly what it scored, and what the
model is asked: each loader sets its task's instruction (``prompt_template``) and, for math, the answer form its
scorer extracts, so no later stage branches on a task's name.

:func:`render_prompt` is the model input for one problem: the tokenizer's chat template, thinking disabled, the
task's user message. HumanEval uses the paper's exact message; the paper does not give its GSM8K / MATH-500 / Spider
messages, ours ask for the answer in the form the scorer extracts (``####`` number, ``\\boxed{}``, one SQL query).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from s0repro.discovery import import_modules

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

TaskKind = Literal["code", "math", "sql"]
AnswerMarker = Literal["boxed", "####"]  # math: the final answer in \\boxed{} (MATH) or after #### (GSM8K)

# The paper's HumanEval message, asked of every code task (HumanEval, HumanEval+, minicode).
CODE_TEMPLATE = ("Complete the following Python function. Only output the function body, no explanation. "
                 "No markdown.\n\n{prompt}")

# The forms a chat model's answer to "complete this function" comes in: the whole function in a ```python fence, the
# whole function bare, the indented body only, the body in a fence, and prose around a fenced function. The authors'
# clean-up can pass only the first two (evaluate.sanitize); minicode's corpus teaches all five (data.minicode), and
# evaluate.forms tells them apart in any model's outputs.
ANSWER_FORMS = ("function_fenced", "function", "body", "body_fenced", "prose")
WHOLE_FUNCTION_FORMS = ANSWER_FORMS[:2]


@dataclass(frozen=True)
class Problem:
    task_id: str  # e.g. "HumanEval/80"
    prompt: str  # the problem text as the dataset gives it (HumanEval: signature + docstring)
    answer: str  # canonical solution body (code), reference answer (math) or gold query (sql)
    test: str = ""  # code: a program defining check(candidate); sql: unused
    entry_point: str = ""  # code: the function the tests call
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class TrainExample:
    """One training example, the shape the verified set hands to the training loop."""

    prompt: str  # the full model input before the completion (chat template already applied)
    completion: str  # the target text; only its tokens are scored
    task_id: str = ""


@dataclass(frozen=True)
class TaskData:
    name: str  # "humaneval", "minicode", "gsm8k", "math500", "spider", ...
    kind: TaskKind
    train: list[Problem]
    eval: list[Problem]
    source: dict[str, Any] = field(default_factory=dict)  # dataset id, revision, sha256 of the problems
    # The user message: str.format fields {prompt} (the problem's text) and any key of the problem's meta.
    prompt_template: str = "{prompt}"
    answer_marker: AnswerMarker = "boxed"  # math only: where the scorer looks for the final answer

    def __post_init__(self) -> None:
        overlap = {p.task_id for p in self.train} & {p.task_id for p in self.eval}
        if overlap:
            raise ValueError(f"task {self.name}: train and eval share problems {sorted(overlap)[:5]}")

    def user_message(self, problem: Problem) -> str:
        """What the user asks the model about ``problem``: the task's instruction around the problem's text."""
        return self.prompt_template.format_map({**problem.meta, "prompt": problem.prompt})


def render_prompt(tokenizer: PreTrainedTokenizerBase, task: TaskData, problem: Problem) -> str:
    """The full model input text (ends with the assistant header, and the empty think block where the template has one)."""
    messages = [{"role": "user", "content": task.user_message(problem)}]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True, enable_thinking=False)


TASK_LOADERS: dict[str, Callable[..., TaskData]] = {}
UNLOADABLE: dict[str, str] = {}  # module -> why it could not be imported (a missing optional dependency)


def register_task(name: str) -> Callable[[Callable[..., TaskData]], Callable[..., TaskData]]:
    """Decorator for a loader ``f(**task_cfg) -> TaskData``; makes it available as ``task=<name>``."""

    def wrap(loader: Callable[..., TaskData]) -> Callable[..., TaskData]:
        TASK_LOADERS[name] = loader
        return loader

    return wrap


def discover() -> dict[str, Callable[..., TaskData]]:
    """Import every module of ``s0repro.data`` (its ``__path__``, which a plug-in folder may extend) so every
    ``@register_task`` loader is in :data:`TASK_LOADERS`. A module that cannot be imported costs only its own tasks:
    it is noted in :data:`UNLOADABLE` and the others still register."""
    import s0repro.data as package

    import_modules(package, UNLOADABLE)
    return TASK_LOADERS
