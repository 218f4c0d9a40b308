"""One line of a foreign exception, for messages that must never carry a traceback."""

from __future__ import annotations

from s0repro.errors import one_line


def test_one_line_keeps_the_first_line_cut_to_the_limit_or_names_the_type():
    err = OSError("connection refused\n  at socket.py line 1\n")
    assert one_line(err) == "connection refused"
    assert one_line(err, 10) == "connection"
    assert one_line(err, with_type=True) == "OSError: connection refused"
    assert one_line(RuntimeError()) == "RuntimeError" and one_line(RuntimeError(), with_type=True) == "RuntimeError"
