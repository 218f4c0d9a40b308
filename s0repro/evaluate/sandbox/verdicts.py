"""How a program ended: its own report (found by the per-run token), its exit code and the harness's time limit
become a status and a one-word detail."""

from __future__ import annotations

import ast
import signal
from typing import Any


def main_report(text: str, token: str) -> dict[str, Any] | None:
    for line in text.splitlines():
        if token not in line:  # only the server and the program's process know the token
            continue
        try:
            rec = ast.literal_eval(line)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(rec, dict) and rec.get("token") == token and rec.get("main"):
            return rec
    return None


def signal_of(rc: int | None) -> int | None:
    if rc is None:
        return None
    if rc < 0:
        return -rc
    if rc > 128:
        return rc - 128
    return None


def classify(report: dict[str, Any] | None, rc: int | None, time_limit: str) -> tuple[str, str]:
    """(status, detail) from the program's report, the exit code and the harness's time limit that ended it."""
    if time_limit:
        return "timeout", time_limit
    kind = report.get("kind") if report else None
    if kind == "end" and rc == 0:
        return "passed", ""
    if kind == "compile":
        return "error", report["exc"]
    if kind == "exit":
        return "failed", f"early exit (SystemExit {report.get('code')})"
    if kind == "exception":
        exc = report.get("exc", "")
        if exc == "AssertionError":
            return "failed", exc
        if exc == "TimeoutError":  # a check's own per-call time limit (HumanEval+), or the program's
            return "timeout", exc
        if report.get("limit"):  # MemoryError (any subclass), OSError EFBIG: the program hit an rlimit
            return "killed", f"{report['limit']} limit ({exc})"
        return "error", exc
    sig = signal_of(rc)
    if sig == signal.SIGXCPU:
        return "timeout", "cpu limit"
    if sig is not None:
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return "killed", f"signal {name}"
    if rc is None:
        return "error", "the sandbox server ended before the program did"
    return "failed", f"exited with status {rc} before the program's end"
