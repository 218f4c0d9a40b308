"""What the user sees of each cell: one status line per cell, the same from the serial loop and the worker pool,
and the failure summary (:class:`CellsFailed`) at the end of a run whose cells partly crashed."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


class CellsFailed(RuntimeError):
    """Some cells raised; the others were run and written."""


def summary_line(i: int, n: int, payload: dict[str, Any], seconds: float) -> str:
    """A finished cell: its score (and the other clean-ups'), the change over the base model, training in brief."""
    ev, tr = payload["eval"], payload.get("train")
    others = ", ".join(f"{mode} {100 * view['score']:.1f}%" for mode, view in ev.get("by_cleanup", {}).items()
                       if mode != ev.get("cleanup"))
    line = (f"[{i}/{n}] {payload['exp']}/{payload['task']}/{payload['method']} seed={payload['seed']}: "
            f"{ev['metric']} {100 * ev['score']:.1f}%" + (f" [{others}]" if others else ""))
    if tr is not None:
        line += f" (base {100 * ev['baseline_score']:.1f}%, {100 * (ev['score'] - ev['baseline_score']):+.1f} pp)"
        line += f" | {tr['num_examples']} examples, {tr['steps']} steps"
        if tr["losses"]:
            line += f", loss {tr['losses'][0]:.3f} -> {tr['losses'][-1]:.3f}"
    if ev.get("sampled"):
        line += f" | sampled pass@1 {100 * ev['sampled']['pass_at_1']:.1f}% (n {ev['sampled']['n']})"
    return line + f" | {seconds:.1f}s"


def print_finished(i: int, n: int, payload: dict[str, Any], seconds: float) -> None:
    print(summary_line(i, n, payload, seconds), flush=True)


def print_busy(i: int, n: int, name: str, why: str) -> None:
    """Another process holds the cell's lock: this run leaves it to that one."""
    print(f"[{i}/{n}] {name}: skipped, {why}", flush=True)


def print_failed(i: int, n: int, name: str, why: str, detail: str = "") -> None:
    """A cell that raised: the traceback goes to the log, one line to the user."""
    log.error("cell %s failed\n%s", name, detail)
    print(f"[{i}/{n}] {name}: FAILED ({why})", flush=True)


def raise_failed(failed: list[str], n: int) -> None:
    if failed:
        raise CellsFailed(f"{len(failed)} of {n} cells failed ({', '.join(failed[:5])}); nothing was written "
                          "for them, re-running the same command retries only those")
