"""Clean-up modes: ``authors`` is the authors' helper exactly, ``lenient`` keeps the code, ``none`` touches nothing."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from s0repro.data import TaskData
from s0repro.errors import UserError
from s0repro.evaluate.sandbox import SandboxConfig
from s0repro.evaluate.sanitize import authors_cleanup, fenced_blocks, sanitize, strip_fences, strip_think
from s0repro.evaluate.scoring import build_program, score

BODY = "    return x + 1\n"


# -- A faithful transcription of the authors' helper (experiments/humaneval.py in JackYoung27/s0-tuning) ----------
def their_strip_thinking(text: str) -> str:
    text = re.sub(r"<think>.*?</think>", "", text, flags=re.DOTALL)
    text = re.sub(r"^```python\s*\n?", "", text.strip())
    text = re.sub(r"\n?```\s*$", "", text.strip())
    return text.strip()


def their_verdict(problem, completion: str) -> bool:
    """Their ``execute_completion``: the program in a plain subprocess, a pass is exit status 0 (our fixtures only)."""
    check_program = (problem.prompt + completion + "\n" + problem.test + "\n" + f"check({problem.entry_point})")
    try:
        return subprocess.run([sys.executable, "-c", check_program], capture_output=True, text=True,
                              timeout=10.0).returncode == 0
    except subprocess.TimeoutExpired:
        return False


ADD = "def add(x: int, y: int):\n    return x + y\n"
# name -> (raw completion for HumanEval/53 ``add``, the authors' verdict, lenient's verdict)
SHAPES = {
    "indented-body": ("    return x + y\n", False, True),
    "whole-function": (ADD, True, True),
    "fenced-whole-function": ("```python\n" + ADD + "```\n", True, True),
    "fenced-body": ("```python\n    return x + y\n```", False, True),  # \s* eats the body's indentation
    "prose-around-fence": ("Here is the function:\n```python\n" + ADD + "```\nIt adds two numbers.", False, True),
    "fence-without-language": ("```\n" + ADD + "```", False, True),
    "fence-py-tag": ("```py\n" + ADD + "```", False, True),
    "think-block": ("<think>\nAdd them.\n</think>\n\n" + ADD, True, True),
    "think-then-fenced-body": ("<think>ok</think>\n```python\n    return x + y\n```\n", False, True),
    "trailing-junk": (ADD + "\nprint(add(1, 2))\nThat's all!", False, False),
    "body-then-lone-closing-fence": ("    return x + y\n```\nThis returns the sum.", False, True),
    "unindented-body": ("return x + y\n", False, False),
    "wrong-answer": ("```python\ndef add(x: int, y: int):\n    return x - y\n```", False, False),
}
SANDBOX = SandboxConfig(timeout_s=5.0, wall_factor=2.0)


@pytest.fixture(scope="module")
def add_problem(humaneval: TaskData):
    (problem,) = [p for p in humaneval.train + humaneval.eval if p.task_id == "HumanEval/53"]
    return problem


def test_authors_cleanup_is_their_helper_character_for_character(add_problem) -> None:
    for raw, _, _ in SHAPES.values():
        assert authors_cleanup(raw) == their_strip_thinking(raw)
        ours = build_program(add_problem, sanitize(raw, mode="authors"))
        theirs = (add_problem.prompt + their_strip_thinking(raw) + "\n" + add_problem.test + "\n"
                  + f"check({add_problem.entry_point})")
        assert ours == theirs


def test_authors_mode_gives_their_verdict_and_lenient_differs_where_it_should(add_problem) -> None:
    names = list(SHAPES)
    raws = [SHAPES[n][0] for n in names]
    theirs = {n: their_verdict(add_problem, their_strip_thinking(raw)) for n, raw in zip(names, raws, strict=True)}
    assert theirs == {n: SHAPES[n][1] for n in names}  # the fixture table states their helper's verdicts
    authors = score_all(add_problem, raws, "authors")
    lenient = score_all(add_problem, raws, "lenient")
    assert dict(zip(names, authors, strict=True)) == theirs
    assert dict(zip(names, lenient, strict=True)) == {n: SHAPES[n][2] for n in names}


def score_all(problem, raws: list[str], cleanup: str) -> list[bool]:
    return [s.passed for s in score(TaskData("humaneval", "code", [], [problem]), [problem] * len(raws), raws,
                                    SANDBOX, cleanup=cleanup)]


@pytest.mark.parametrize("raw", [
    BODY,
    "<think>\nlet me think\n</think>\n\n" + BODY,
    "```python\n" + BODY + "```\n",
    "Here is the body:\n```python\n" + BODY + "```\nHope it helps.",
    "<think>\n\n</think>\n\n```\n" + BODY + "```",
    "```python\n" + BODY,  # unclosed fence: runs to the end
    BODY + "<|im_end|>\nuser: more",
    BODY + "```\nThis adds one.",  # a lone closing fence after the code
    BODY + "```\n\nUsage:\n```python\nprint(inc(1))\n```",
], ids=["plain", "think", "fence", "chatty-fence", "think+bare-fence", "unclosed-fence", "end-marker",
        "lone-closing-fence", "closing-fence-then-example"])
def test_lenient_keeps_the_code_body(raw: str) -> None:
    assert sanitize(raw) == BODY


def test_lenient_prefers_the_block_that_defines_the_entry_point() -> None:
    raw = ("Usage:\n```python\nprint(inc(1))\n```\nThe function:\n```python\ndef inc(x):\n" + BODY + "```\n")
    assert sanitize(raw, entry_point="inc") == "def inc(x):\n" + BODY
    assert sanitize(raw) == "print(inc(1))\n"  # no entry point named: the first block
    assert strip_fences("Intro:\n```\nprose only\n") == "prose only\n"  # bare fence after prose opens a block
    assert fenced_blocks("no fence") == []


def test_none_is_the_raw_text_and_indentation_is_kept() -> None:
    raw = "<think>x</think>```python\n" + BODY + "```<|im_end|>"
    assert sanitize(raw, mode="none") == raw
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
    with pytest.raises(UserError, match="authors, lenient, evalplus, none"):
        sanitize(BODY, mode="paper")
