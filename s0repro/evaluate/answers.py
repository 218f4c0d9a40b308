"""Final answers of math and SQL completions, and when they count as correct: the authors' checkers and ours.

Two rule sets, chosen per run (``authors`` reproduces the paper's numbers, ``lenient`` is robust to form):

* **authors** -- what the authors' transfer scripts do (``experiments/state_peft/{gsm8k,math500,spider}.py`` in
  their repository, rewritten here from its behaviour):
  - every completion first loses ``<think>...</think>`` blocks and surrounding whitespace;
  - GSM8K: the number after the *first* ``####`` (regex ``####\\s*(-?[\\d,]+\\.?\\d*)``), else the *last* match of
    ``-?[\\d,]+\\.?\\d*`` anywhere, commas removed; correct iff both parse as floats within 1e-3, else iff the
    stripped strings are equal (so a lone ``,`` extracts as ``""`` and is wrong);
  - MATH-500: the content of the last ``\\boxed{`` with balanced braces (unbalanced: no answer), else the token after
    the last ``\\boxed `` ; gold is the last boxed expression of the reference *solution*, else the dataset's
    ``answer``; both normalised by a fixed list of string rewrites, equal as strings (with or without spaces), else
    as numbers when both evaluate as arithmetic (relative tolerance 1e-4; absolute 1e-6 when gold is 0). The
    authors evaluate with Python's ``eval``; here an AST walker gives the same value on the same string for the
    operators and names their ``eval`` accepts (including ``^`` as XOR and ``pi`` replaced by digits inside
    words), and never runs model text;
  - Spider: the first fenced block (optional ``sql`` tag), else the text from the first
    SELECT/INSERT/UPDATE/DELETE/WITH/CREATE on; trailing ``;`` normalised to one; correct iff the predicted and gold
    rows are equal *as sets* (ORDER BY ignored; a failing query is wrong).
* **lenient** (ours): GSM8K the number after the *last* ``####``, else the last number; numbers parsed with
  LaTeX fractions, percent and dollar signs. MATH-500 the last ``\\boxed{...}``/``\\fbox{...}``, normalised
  (``\\text{}``, ``\\left``, a leading ``x =``, degree signs); equal as strings or as numbers (rel. 1e-4).
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Iterable

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


# ---------------------------------------------------------------------------------------------------------------
# The authors' rules.
THINK = re.compile(r"<think>.*?</think>", re.DOTALL)
AUTHORS_GSM8K_MARKED = re.compile(r"####\s*(-?[\d,]+\.?\d*)")
AUTHORS_GSM8K_NUMBER = re.compile(r"-?[\d,]+\.?\d*")
AUTHORS_SQL_FENCE = re.compile(r"```(?:sql)?\s*\n?(.*?)```", re.DOTALL)
AUTHORS_SQL_START = re.compile(r"((?:SELECT|INSERT|UPDATE|DELETE|WITH|CREATE)\b.+)", re.DOTALL | re.IGNORECASE)


def authors_strip(text: str) -> str:
    """``<think>...</think>`` removed, then surrounding whitespace: what every authors' checker sees."""
    return THINK.sub("", text).strip()


def authors_gsm8k_extract(text: str) -> str | None:
    match = AUTHORS_GSM8K_MARKED.search(text)
    if match:
        return match.group(1).replace(",", "")
    numbers = AUTHORS_GSM8K_NUMBER.findall(text)
    return numbers[-1].replace(",", "") if numbers else None


def authors_gsm8k_correct(prediction: str | None, gold: str) -> bool:
    if prediction is None:
        return False
    try:
        return abs(float(prediction) - float(gold)) < GSM8K_TOL
    except ValueError:
        return prediction.strip() == gold.strip()


def authors_boxed(text: str) -> str | None:
    """The last ``\\boxed{...}`` (balanced, else None), or the token after the last ``\\boxed `` when there is no brace form."""
    start = text.rfind("\\boxed{")
    if start == -1:
        start = text.rfind("\\boxed ")
        if start == -1:
            return None
        token = re.match(r"(\S+)", text[start + 7:].strip())
        return token.group(1) if token else None
    depth, i = 1, start + 7
    while i < len(text) and depth > 0:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return text[start + 7:i - 1] if depth == 0 else None


def authors_math_gold(solution: str | None, answer: str | None) -> str | None:
    """The authors' MATH-500 reference: the solution's last boxed expression, else the dataset's answer."""
    boxed = authors_boxed(solution or "")
    return boxed if boxed is not None else answer


def authors_normalize_math(answer: str | None) -> str:
    if answer is None:
        return ""
    s = answer.strip().strip("$")
    s = re.sub(r"\\text\w*\{([^}]*)\}", r"\1", s)
    s = re.sub(r"\\(?:d|t)?frac\{([^}]*)\}\{([^}]*)\}", r"(\1)/(\2)", s)
    s = re.sub(r"\\sqrt\{([^}]*)\}", r"sqrt(\1)", s)
    s = s.replace("\\left", "").replace("\\right", "")
    s = re.sub(r"\\[,;!\s]", "", s)
    for old, new in (("\\cdot", "*"), ("\\times", "*"), ("\\div", "/"), ("\\pi", "pi"), ("\\infty", "inf"),
                     ("\\", "")):
        s = s.replace(old, new)
    return re.sub(r"\s+", " ", s).strip()


_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow, ast.BitXor: operator.xor,
           ast.BitAnd: operator.and_, ast.BitOr: operator.or_, ast.LShift: operator.lshift, ast.RShift: operator.rshift}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert, ast.Not: operator.not_}
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
            ast.Gt: operator.gt, ast.GtE: operator.ge}
_NAMES = {"sqrt": math.sqrt, "___sqrt___": math.sqrt, "pi": math.pi, "inf": math.inf}
_MAX_REPEAT = 10_000  # 'x' * n: no string that long is a number the authors' checker could match
_MAX_INT_BITS = 1100  # beyond float range: float() of it overflows, which the authors' code reads as "no number"


class _NotArithmetic(Exception):
    """The string is not something the authors' eval would turn into a number."""


def _bounded(value: object) -> object:
    if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
        raise _NotArithmetic("integer beyond float range")
    return value


def _eval(node: ast.AST) -> object:
    """Python's value of an arithmetic expression tree, for the node types an empty-builtins eval can reach with
    the names sqrt / pi / inf; anything else (attributes, subscripts, other names, lambdas...) is not a number."""
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | complex | str | bytes | bool):
        return node.value
    if isinstance(node, ast.Name) and node.id in _NAMES:
        return _NAMES[node.id]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow | ast.LShift) and isinstance(left, int) and isinstance(right, int):
            bits = right if isinstance(node.op, ast.LShift) else right * max(abs(left), 1).bit_length()
            if abs(left) > 1 and bits > _MAX_INT_BITS:
                raise _NotArithmetic("integer beyond float range")
        if isinstance(node.op, ast.Mult) and any(isinstance(v, str | bytes | tuple) for v in (left, right)):
            count = right if isinstance(right, int) else left
            if isinstance(count, int) and count > _MAX_REPEAT:
                raise _NotArithmetic("repeated sequence too long to be a number")
        return _bounded(_BINARY[type(node.op)](left, right))
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        left = _eval(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _eval(comparator)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.BoolOp):
        value = _eval(node.values[0])
        for nxt in node.values[1:]:
            if bool(value) == isinstance(node.op, ast.Or):
                return value
            value = _eval(nxt)
        return value
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return tuple(_eval(e) for e in node.elts)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("sqrt", "___sqrt___")
            and not node.keywords and len(node.args) == 1):
        return math.sqrt(_eval(node.args[0]))
    raise _NotArithmetic(type(node).__name__)


def authors_try_float(expression: str) -> float | None:
    """The number the authors' ``eval`` gives for a normalised answer (``pi`` spelled out first), else None."""
    expression = expression.replace("pi", str(math.pi)).replace("sqrt", "___sqrt___")
    try:
        return float(_eval(ast.parse(expression.lstrip(" \t"), mode="eval")))
    except (_NotArithmetic, SyntaxError, ValueError, TypeError, ArithmeticError, RecursionError, MemoryError):
        return None


def authors_math_equal(prediction: str | None, gold: str | None) -> bool:
    if prediction is None or gold is None:
        return False
    p, g = authors_normalize_math(prediction), authors_normalize_math(gold)
    if p == g or p.replace(" ", "") == g.replace(" ", ""):
        return True
    a, b = authors_try_float(p), authors_try_float(g)
    if a is None or b is None:
        return False
    if b == 0:
        return abs(a) < 1e-6
    return abs(a - b) / max(abs(b), 1e-12) < MATH_REL_TOL


def authors_sql_extract(text: str) -> str:
    """The query the authors execute: fenced block, else from the first SQL keyword on; one trailing ``;``."""
    cleaned = authors_strip(text)
    fence = AUTHORS_SQL_FENCE.search(cleaned)
    if fence:
        cleaned = fence.group(1).strip()
    else:
        start = AUTHORS_SQL_START.search(cleaned)
        if start:
            cleaned = start.group(1).strip()
    return cleaned.strip().rstrip(";") + ";"


def authors_sql_match(predicted_rows: Iterable[Iterable] | None, gold_rows: Iterable[Iterable] | None) -> bool:
    """Rows compared as sets of tuples, whatever the ORDER BY; a query that failed (None) is wrong."""
    if predicted_rows is None or gold_rows is None:
        return False
    return {tuple(r) for r in predicted_rows} == {tuple(r) for r in gold_rows}
