"""Math answer extraction and equivalence on fixtures with the tricky cases."""

from __future__ import annotations

import pytest

from s0repro.evaluate.answers import (
    gsm8k_correct,
    gsm8k_extract,
    last_boxed,
    math_equal,
    normalize_math,
    parse_number,
)


@pytest.mark.parametrize("text,value", [
    ("1,000", 1000.0), ("-12", -12.0), ("3.5", 3.5), ("\\frac{1}{2}", 0.5), ("\\dfrac{3}{4}", 0.75),
    ("-\\frac{1}{4}", -0.25), ("\\frac12", 0.5), ("3/4", 0.75), ("$12", 12.0), ("50\\%", 50.0), (".5", 0.5),
    ("90^\\circ", 90.0), ("x+1", None), ("1,00", None), ("\\frac{1}{0}", None),
])
def test_parse_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("completion,expected", [
    ("She pays 5 + 7 = 12 dollars.\n#### 12", "12"),
    ("#### 1,000", "1000"),
    ("#### $1,234.50", "1234.50"),
    ("The temperature drops to -3 degrees. Then 4 more... final -7", "-7"),
    ("no numbers here", None),
    ("#### -15\nextra text 99", "-15"),
])
def test_gsm8k_extract(completion: str, expected: str | None) -> None:
    assert gsm8k_extract(completion) == expected


def test_gsm8k_correct_uses_an_absolute_tolerance() -> None:
    assert gsm8k_correct("1000", "1,000") and gsm8k_correct("1000.0004", "1000")
    assert not gsm8k_correct("1000.01", "1000") and not gsm8k_correct(None, "3")
    assert gsm8k_correct("-7", "-7") and not gsm8k_correct("7", "-7")


def test_last_boxed_takes_the_last_with_nested_braces() -> None:
    text = "First \\boxed{1}, then finally \\boxed{\\frac{1}{2}} done"
    assert last_boxed(text) == "\\frac{1}{2}"
    assert last_boxed("\\boxed{\\sqrt{x^{2}}}") == "\\sqrt{x^{2}}"
    assert last_boxed("no box") is None and last_boxed("\\boxed{unclosed") is None


@pytest.mark.parametrize("pred,gold,same", [
    ("\\frac{1}{2}", "0.5", True), ("0.5", "\\dfrac12", True), ("1,000", "1000", True), ("-3", "-3.0", True),
    ("3", "-3", False), ("x = 5", "5", True), ("\\text{(B)}", "(B)", True), ("\\left( 1, 2 \\right)", "(1,2)", True),
    ("1.00001", "1", True), ("1.001", "1", False), ("\\sqrt{2}", "\\sqrt2", False), ("10^\\circ", "10", True),
])
def test_math_equal(pred: str, gold: str, same: bool) -> None:
    assert math_equal(pred, gold) is same


def test_normalize_math() -> None:
    assert normalize_math(" $\\dfrac{3}{4}$. ") == "\\frac{3}{4}"
    assert not math_equal(None, "1")
