"""Sanitising keeps the model's code and drops only think blocks, code fences and end markers."""

from __future__ import annotations

import pytest

from s0repro.evaluate.sanitize import sanitize, strip_fences, strip_think

BODY = "    return x + 1\n"


@pytest.mark.parametrize("raw", [
    BODY,
    "<think>\nlet me think\n</think>\n\n" + BODY,
    "```python\n" + BODY + "```\n",
    "Here is the body:\n```python\n" + BODY + "```\nHope it helps.",
    "<think>\n\n</think>\n\n```\n" + BODY + "```",
    "```python\n" + BODY,  # unclosed fence: runs to the end
    BODY + "<|im_end|>\nuser: more",
], ids=["plain", "think", "fence", "chatty-fence", "think+bare-fence", "unclosed-fence", "end-marker"])
def test_code_body_survives(raw: str) -> None:
    assert sanitize(raw) == BODY


def test_indentation_is_kept_so_format_failures_stay_visible() -> None:
    assert sanitize("return x + 1") == "return x + 1\n"  # not repaired: scored as a syntax failure
    assert sanitize("\n\n    a = 1\n    return a\n\n") == "    a = 1\n    return a\n"


def test_think_edge_cases() -> None:
    assert strip_think("<think>never closed") == ""
    assert strip_think("stray</think>answer") == "answer"
    assert strip_think("a<think>x</think>b<think>y</think>c") == "abc"
    assert strip_fences("no fence") == "no fence"


def test_answers_are_stripped_and_evalplus_mode_extracts_the_function() -> None:
    assert sanitize("<think>hmm</think>  The answer is 5.  ", kind="math") == "The answer is 5."
    raw = "Sure! Here it is:\n\ndef add(x):\n    return x + 1\n\nprint(add(2))\nThis adds one."
    out = sanitize(raw, entry_point="add", mode="evalplus")
    assert out.startswith("def add(x):\n    return x + 1") and "This adds one" not in out and "print" not in out
    with pytest.raises(ValueError):
        sanitize(BODY, mode="bogus")
