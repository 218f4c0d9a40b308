"""The charged clock: wall-clock time less the time a program's processes waited for a CPU (``run_delay`` in
``/proc/PID/schedstat``), so that a busy machine does not fail a correct program."""

from __future__ import annotations

import contextlib
import math
import os
from functools import cache


@cache
def has_schedstat() -> bool:
    return os.path.exists(f"/proc/{os.getpid()}/schedstat")


def process_tree(root: int) -> list[int]:
    """``root`` and its live descendants (orphans inside a pid namespace are re-parented to its pid 1, in the tree)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        with contextlib.suppress(OSError):  # the process ended meanwhile
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
    return found


def run_delay(pid: int) -> float | None:
    with contextlib.suppress(OSError, ValueError, IndexError), open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[1]) / 1e9
    return None


class ChargedClock:
    """Wall-clock seconds since ``start`` less the seconds the program's processes waited for a CPU.

    ``root`` is the server's process, alive before the program started: the waits of the processes already there
    count from now on only. Each process's wait (``run_delay``) is read whenever :meth:`charged` is called and the last
    value kept after it ends; waits of processes that ran at the same time all count, so on a crowded machine the
    clock errs towards the program (the wall-clock backstop still bounds it)."""

    def __init__(self, root: int, start: float) -> None:
        self.root, self.start, self.read_at = root, start, -math.inf
        self.before = {pid: wait for pid in process_tree(root) if (wait := run_delay(pid)) is not None}
        self.waits: dict[int, float] = {}

    def charged(self, now: float) -> float:
        if now - self.read_at >= 0.1:  # a tenth of a second is the resolution the watcher polls at anyway
            self.read_at = now
            for pid in process_tree(self.root):
                if (wait := run_delay(pid)) is not None:
                    self.waits[pid] = wait - self.before.get(pid, 0.0)
        return now - self.start - sum(self.waits.values())
