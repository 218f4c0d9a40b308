"""Why a sample failed, in classes that separate output format from skill: the taxonomy behind "how much of the
gain is format".

The authors' clean-up strips a completion's leading indentation, so an indented function body (what their
instruction asks for) no longer compiles; a tuned model that writes whole functions instead gains without solving
more. The classes, for one executed sample:

- ``passed``;
- ``no_code``: nothing left to run after clean-up (empty or whitespace only) -- a format failure;
- ``format``: the program does not compile because of the completion's layout: a syntax error on the completion's
  first non-blank line when that line starts at column 0 (a body that lost its indentation, prose before the code),
  or an ``IndentationError``/``TabError`` anywhere in it (an indented body whose first line lost its indentation
  reports "unexpected indent" on line 2, not line 1);
- ``syntax``: any other compile error (the code itself is malformed, or the error lies outside the completion);
- ``runtime_error``: an exception other than ``AssertionError`` while running, an early exit, a resource limit;
- ``wrong_answer``: a test's assertion failed;
- ``timeout``: CPU or wall-clock limit.

:func:`classify` is a pure function of what the sandbox returned (status, exception, stage, the traceback's line
number in ``main.py``) and the text that preceded and formed the completion.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from s0repro.evaluate.sandbox import PROGRAM_NAME, ExecResult

FAILURE_CLASSES = ("passed", "no_code", "format", "syntax", "runtime_error", "wrong_answer", "timeout")
FORMAT_CLASSES = ("no_code", "format")
LAYOUT_ERRORS = {"IndentationError", "TabError"}
COMPILE_ERRORS = {"SyntaxError"} | LAYOUT_ERRORS
_LINE = re.compile(rf'File "{re.escape(PROGRAM_NAME)}", line (\d+)')


def error_line(stderr: str) -> int | None:
    """The program line the last traceback frame in ``main.py`` names (1-based), if any."""
    found = _LINE.findall(stderr)
    return int(found[-1]) if found else None


def first_code_line(prefix: str, completion: str) -> int:
    """Program line (1-based) of the completion's first non-blank line, when the program is prefix + completion + ...
    (a prefix without a final newline shares its last line with the completion's first)."""
    skipped = 0
    for line in completion.split("\n"):
        if line.strip():
            break
        skipped += 1
    return prefix.count("\n") + 1 + skipped


def classify(result: ExecResult, *, prefix: str, completion: str) -> str:
    """The failure class of one executed sample (see the module docstring)."""
    if result.status == "passed":
        return "passed"
    if not completion.strip():
        return "no_code"
    if result.status == "timeout":
        return "timeout"
    if result.exc_type in COMPILE_ERRORS and result.stage in ("compile", ""):
        start = first_code_line(prefix, completion)
        end = prefix.count("\n") + completion.count("\n") + 1
        line = error_line(result.stderr)
        in_completion = line is not None and start <= line <= end
        first = completion.split("\n")[start - prefix.count("\n") - 1]
        if (line == start and not first[:1].isspace()) or (result.exc_type in LAYOUT_ERRORS and in_completion):
            return "format"
        return "syntax"
    if result.exc_type == "AssertionError":
        return "wrong_answer"
    return "runtime_error"


def class_counts(classes: Iterable[str]) -> dict[str, int]:
    """Counts per class, every class present (zero where none), in :data:`FAILURE_CLASSES` order."""
    counts = Counter(classes)
    unknown = set(counts) - set(FAILURE_CLASSES)
    if unknown:
        raise ValueError(f"unknown failure classes {sorted(unknown)}; expected {FAILURE_CLASSES}")
    return {c: counts.get(c, 0) for c in FAILURE_CLASSES}


@dataclass(frozen=True)
class GainSplit:
    """A method's gain over base, in problems, split by the failure class each solved (or newly failed) problem
    had: gain = sum over classes of (base failures - method failures), because passes = n - all failures."""

    gain: int
    by_class: dict[str, int]  # base count - method count, per failure class (passed excluded)

    @property
    def from_format(self) -> int:
        return sum(self.by_class[c] for c in FORMAT_CLASSES)

    @property
    def format_share(self) -> float | None:
        """Fraction of the gain that fewer format failures account for; None when there is no gain to share."""
        return self.from_format / self.gain if self.gain else None


def split_gain(base: Mapping[str, int], method: Mapping[str, int]) -> GainSplit:
    """Decompose ``method``'s gain over ``base`` (class counts over the same problems) by failure class."""
    if sum(base.values()) != sum(method.values()):
        raise ValueError(f"base and method counted different numbers of problems: {sum(base.values())} vs "
                         f"{sum(method.values())}")
    by_class = {c: base.get(c, 0) - method.get(c, 0) for c in FAILURE_CLASSES if c != "passed"}
    return GainSplit(method.get("passed", 0) - base.get("passed", 0), by_class)
