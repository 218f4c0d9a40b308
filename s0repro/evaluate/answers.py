"""Final answers of math completions, and when two answers are the same number.

GSM8K (paper protocol): the number after ``####``, else the last number in the text; correct if |a - b| < 1e-3.
MATH-500: the last ``\\boxed{...}`` (braces balanced), normalised; equal if the normalised strings match or both parse
as numbers within relative tolerance 1e-4 (so ``\\frac{1}{2}`` equals ``0.5``, ``1,000`` equals ``1000``).
"""

from __future__ import annotations

import math
import re

NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
GSM8K_TOL = 1e-3
MATH_REL_TOL = 1e-4


def parse_number(text: str) -> float | None:
    """A plain or LaTeX number: ``-1,000.5``, ``$12``, ``50\\%``, ``\\frac{1}{2}``, ``-\\dfrac34``, ``3/4``."""
    s = text.strip().strip("$").strip()
    s = re.sub(r"\\(?:left|right|!|,|;|\s)", "", s)
    s = re.sub(r"\\text\{[^{}]*\}|\\mbox\{[^{}]*\}", "", s)
    s = s.replace("\\%", "").replace("%", "").replace("\\$", "").replace("$", "").replace(" ", "")
    s = re.sub(r"\^\{?\\circ\}?", "", s)
    s = re.sub(r"\\[dt]frac", r"\\frac", s)
    s = re.sub(r"\\frac(\d)(\d)", r"\\frac{\1}{\2}", s)
    sign = 1.0
    while s.startswith(("-", "+")):
        sign, s = (-sign if s[0] == "-" else sign), s[1:]
    frac = re.fullmatch(r"\\frac\{([^{}]+)\}\{([^{}]+)\}", s) or re.fullmatch(r"([^/]+)/([^/]+)", s)
    if frac:
        num, den = parse_number(frac.group(1)), parse_number(frac.group(2))
        if num is None or den is None or den == 0:
            return None
        return sign * num / den
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?|\d+(\.\d*)?|\.\d+", s):
        return sign * float(s.replace(",", ""))
    return None


def gsm8k_extract(text: str) -> str | None:
    """The answer after the last ``####``, else the last number in the text."""
    if "####" in text:
        tail = text.rsplit("####", 1)[1]
        match = NUMBER.search(tail.replace("$", ""))
        if match:
            return match.group(0).replace(",", "")
    numbers = NUMBER.findall(text.replace("$", ""))
    return numbers[-1].replace(",", "") if numbers else None


def gsm8k_correct(prediction: str | None, gold: str) -> bool:
    a, b = parse_number(prediction or ""), parse_number(gold)
    return a is not None and b is not None and abs(a - b) < GSM8K_TOL


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` (or ``\\fbox{...}``), nested braces allowed."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    i = text.find("{", start)
    if i < 0:
        return None
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1 : j]
    return None


def normalize_math(answer: str) -> str:
    """Remove what does not change a MATH answer: spaces, ``\\left``/``\\right``, ``\\text{}`` wrappers, ``$``, a
    trailing period, ``\\dfrac``/``\\tfrac``, a leading ``x =``, degree signs."""
    s = answer.strip().rstrip(".").strip().strip("$").strip()
    s = re.sub(r"\\text\{\s*([^{}]*)\}", r"\1", s)
    s = re.sub(r"\\(?:left|right|!|,|;)", "", s)
    s = re.sub(r"\\[dt]frac", r"\\frac", s)
    s = re.sub(r"\\frac(\d)(\d)", r"\\frac{\1}{\2}", s)
    s = re.sub(r"\^\{?\\circ\}?", "", s)
    s = re.sub(r"^[a-zA-Z]\s*=\s*", "", s)
    s = s.replace(" ", "").rstrip(".")
    return s


def math_equal(prediction: str | None, gold: str) -> bool:
    if prediction is None:
        return False
    p, g = normalize_math(prediction), normalize_math(gold)
    if p == g:
        return True
    a, b = parse_number(p), parse_number(g)
    return a is not None and b is not None and math.isclose(a, b, rel_tol=MATH_REL_TOL, abs_tol=1e-12)
