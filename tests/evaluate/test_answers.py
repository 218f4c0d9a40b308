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


# ---------------------------------------------------------------------------------------------------------------
# The authors' checkers: every case below states what their code does with that text.
from s0repro.evaluate import answers as A  # noqa: E402


@pytest.mark.parametrize("completion,expected", [
    ("5 + 7 = 12\n#### 12", "12"),
    ("#### 3\nthen #### 4", "3"),                 # the first ####, not the last (ours takes the last)
    ("#### $12", "12"),                           # '$' stops the marked regex: falls back to the last number
    ("#### 1,234.50", "1234.50"),
    ("it is -3, then 4 more: final 7.", "7."),   # the trailing dot belongs to the number pattern
    ("a, b", ""),                                 # a lone comma is a 'number' that becomes ""
    ("no digits", None),
])
def test_authors_gsm8k_extract(completion, expected):
    assert A.authors_gsm8k_extract(completion) == expected


def test_authors_gsm8k_correct():
    assert A.authors_gsm8k_correct("7.", "7") and A.authors_gsm8k_correct("1000.0004", "1000")
    assert not A.authors_gsm8k_correct("", "7") and not A.authors_gsm8k_correct(None, "7")
    assert A.authors_gsm8k_correct("", "")  # both unparsable: compared as strings
    # ours and theirs disagree on a completion with two #### markers
    text = "#### 3\nCorrection: #### 4"
    assert A.authors_gsm8k_correct(A.authors_gsm8k_extract(text), "4") is False
    assert gsm8k_correct(gsm8k_extract(text), "4") is True


def test_authors_strip_removes_think_blocks():
    assert A.authors_strip("  <think>#### 9</think>\n#### 4 \n") == "#### 4"


@pytest.mark.parametrize("text,expected", [
    ("so \\boxed{\\frac{1}{2}}.", "\\frac{1}{2}"),
    ("\\boxed{1} then \\boxed{2}", "2"),
    ("\\boxed{unclosed {x}", None),               # unbalanced: no answer (no fallback to an earlier box)
    ("answer \\boxed 5 done", "5"),
    ("\\fbox{3}", None),                          # only \boxed counts
])
def test_authors_boxed(text, expected):
    assert A.authors_boxed(text) == expected


def test_authors_gold_prefers_the_solution_box():
    assert A.authors_math_gold("so \\boxed{\\dfrac{1}{2}}", "\\frac12") == "\\dfrac{1}{2}"
    assert A.authors_math_gold("no box here", "7") == "7"


@pytest.mark.parametrize("pred,gold,equal", [
    ("\\dfrac{1}{2}", "0.5", True),
    ("\\frac12", "0.5", False),                   # no braces: 'frac12' is not arithmetic for them
    ("\\text{(B)}", "(B)", True),
    ("3 \\cdot 4", "12", True),
    ("2^3", "8", False),                          # '^' is XOR in Python: 2^3 = 1
    ("2^3", "1", True),
    ("2\\pi", "2 \\pi", True),                    # equal once spaces are removed
    ("\\sqrt{2}", "1.41421356", True),
    ("1,000", "1000", False),                     # '1,000' evaluates to a tuple
    ("0.0000001", "0", True),                     # gold 0: absolute 1e-6
    ("x = 5", "5", False),
])
def test_authors_math_equal(pred, gold, equal):
    assert A.authors_math_equal(pred, gold) is equal


@pytest.mark.parametrize("expr", ["(1)/(2)", "2^3", "3 * 4 - 1", "-(2)**-1", "1 < 2", "(1, 2)", "7 // 2 % 3",
                                  "1e3", "1_000", "'2.5'", "not 0", "1 and 0 or 3", "~5", "2 << 3", "23.5 ^ 1"])
def test_safe_evaluator_gives_pythons_value(expr):
    """The AST walker agrees with an empty-builtins eval of the same test-authored constant expression."""
    try:
        expected = float(eval(expr, {"__builtins__": {}}, {}))  # noqa: S307 - a fixed test string, not model output
    except Exception:  # noqa: BLE001 - the authors' code maps every failure to None
        expected = None
    assert A.authors_try_float(expr) == expected


@pytest.mark.parametrize("expr", ["9**9**9", "'1' * 10**9", "().__class__", "open('x')", "__import__('os')",
                                  "(" * 300 + "1" + ")" * 300, "2 << 10**6"])
def test_safe_evaluator_refuses_without_running(expr):
    assert A.authors_try_float(expr) is None


@pytest.mark.parametrize("text,query", [
    ("```sql\nSELECT a FROM t;\n```", "SELECT a FROM t;"),
    ("Here:\n```\nSELECT 1\n```\nthanks", "SELECT 1;"),
    ("Sure! select name from singer;;", "select name from singer;"),
    ("<think>SELECT x</think>nothing", "nothing;"),
])
def test_authors_sql_extract(text, query):
    assert A.authors_sql_extract(text) == query


def test_authors_sql_match_ignores_order_and_duplicates():
    assert A.authors_sql_match([(1, "a"), (2, "b")], [[2, "b"], [1, "a"], [1, "a"]])
    assert not A.authors_sql_match(None, [(1,)]) and not A.authors_sql_match([(1,)], [(2,)])
