"""The form classifier: each form a chat model answers in, and what is none of them."""

from __future__ import annotations

import pytest

from s0repro.evaluate.forms import FORM_CLASSES, answer_form, form_mix

FUNCTION = "def add(x: int) -> int:\n    return x + 1\n"
BODY = "    return x + 1\n"


@pytest.mark.parametrize(("raw", "form"), [
    (f"```python\n{FUNCTION}```\n<|im_end|>", "function_fenced"),
    (f"```\n{FUNCTION}```", "function_fenced"),  # a bare fence is still a fence
    (FUNCTION + "<|im_end|>", "function"),
    (f"\n\n{FUNCTION}", "function"),
    (FUNCTION + "\nThis adds one.\n", "function"),  # prose after an unfenced function: still the function form
    (BODY + "<|im_end|>", "body"),
    ("\treturn x + 1\n", "body"),
    (f"```python\n{BODY}```\n", "body_fenced"),
    (f"Here it is:\n\n```python\n{FUNCTION}```\n", "prose"),
    (f"```python\n{FUNCTION}```\n\nIt returns x plus 1.\n", "prose"),
    (f"<think>\nhmm\n</think>\n\n{BODY}", "body"),  # think blocks are not the answer
    ("return x + 1\n", "other"),  # an unindented body
    ("It returns x plus one.", "other"),
    ("<|im_end|>", "other"),
    ("", "other"),
])
def test_answer_form(raw, form):
    assert answer_form(raw) == form


def test_form_mix_counts_every_class():
    mix = form_mix([FUNCTION, FUNCTION, BODY, "nothing"])
    assert list(mix) == list(FORM_CLASSES)
    assert mix == {"function_fenced": 0, "function": 2, "body": 1, "body_fenced": 0, "prose": 0, "other": 1}
