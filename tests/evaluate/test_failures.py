"""The failure taxonomy on real sandbox runs of every shape, and the gain split on counts."""

from __future__ import annotations

import pytest

from s0repro.evaluate.failures import (
    FAILURE_CLASSES,
    class_counts,
    classify,
    error_line,
    first_code_line,
    split_gain,
)
from s0repro.evaluate.sandbox import PROGRAM_NAME, ExecResult, SandboxConfig, run_programs

PROMPT = 'def inc(x):\n    """Return x + 1."""\n'
TEST = "\n\nassert inc(1) == 2\n"

CASES = {  # completion after clean-up -> expected class
    "    return x + 1\n": "passed",
    "": "no_code",
    "  \n\n": "no_code",
    "return x + 1\n": "format",                              # stripped body: 'return' outside function, line 1
    "y = x + 1\n    return y\n": "format",                    # stripped body: unexpected indent on line 2
    "if x:\n        return 2\n    return x + 1\n": "format",  # stripped body: unindent mismatch further down
    "Here is the code:\n    return x + 1\n": "format",        # prose first
    "    return x +\n": "syntax",                             # malformed code, not layout
    "def inc(x):\n    return x +\n": "syntax",               # a whole function, malformed on its second line
    "def inc(x):\n    return x + 1\n": "passed",             # a whole function (redefines the prompt's)
    "    return x + 2\n": "wrong_answer",
    "    return x / 0\n": "runtime_error",
    "    import sys\n    sys.exit(0)\n": "runtime_error",     # early exit is not a pass
    "    while True:\n        pass\n": "timeout",
}


@pytest.fixture(scope="module")
def executed():
    completions = list(CASES)
    results = run_programs([PROMPT + c + TEST for c in completions], SandboxConfig(timeout_s=1.0, wall_factor=2.0))
    return dict(zip(completions, results, strict=True))


@pytest.mark.parametrize("completion", list(CASES), ids=[CASES[c] + str(i) for i, c in enumerate(CASES)])
def test_classify_real_sandbox_outcomes(executed, completion):
    assert classify(executed[completion], prefix=PROMPT, completion=completion) == CASES[completion]


def test_line_helpers():
    assert error_line('  File "<string>", line 63, in _main\n  File "main.py", line 4\n') == 4
    assert error_line("no traceback") is None
    assert first_code_line(PROMPT, "\n\nreturn 1") == 5  # prompt lines 1-2, blank 3-4
    assert first_code_line("def f():", " return 1") == 1  # no final newline: same line


def test_syntax_error_outside_the_completion_is_not_format():
    """A completion that leaves a string open breaks the test code below it: malformed code, not layout."""
    result = ExecResult("error", 1, "", 'File "main.py", line 9\nSyntaxError: unterminated', 0.1, "SyntaxError",
                        "SyntaxError", "compile")
    assert classify(result, prefix=PROMPT, completion="    return '''x\n") == "syntax"


def test_counts_and_gain_split():
    base = class_counts(["passed"] * 40 + ["format"] * 30 + ["wrong_answer"] * 14)
    tuned = class_counts(["passed"] * 60 + ["format"] * 5 + ["wrong_answer"] * 16 + ["timeout"] * 3)
    split = split_gain(base, tuned)
    assert split.gain == 20 and split.from_format == 25 and split.format_share == 1.25
    assert split.by_class == {"no_code": 0, "format": 25, "syntax": 0, "runtime_error": 0, "wrong_answer": -2,
                              "timeout": -3}
    assert sum(split.by_class.values()) == split.gain
    assert split_gain(base, base).format_share is None
    assert list(class_counts([])) == list(FAILURE_CLASSES)
    with pytest.raises(ValueError, match="unknown failure classes"):
        class_counts(["syntax_error"])
    with pytest.raises(ValueError, match="different numbers"):
        split_gain(base, class_counts(["passed"]))


def test_error_line_reads_the_tracebacks_the_sandbox_writes():
    """failures.py parses tracebacks by the file name the sandbox server gives every program (PROGRAM_NAME)."""
    (result,) = run_programs(["x = 1\n\nraise ValueError('on line 3')\n"], SandboxConfig(timeout_s=2.0, workers=1))
    assert f'File "{PROGRAM_NAME}", line 3' in result.stderr
    assert error_line(result.stderr) == 3
