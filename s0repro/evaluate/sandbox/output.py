"""Collecting a program's stdout and stderr until the server says it ended (or a time limit): the first bytes kept,
the rest read and dropped, so printing never blocks or fails a program."""

from __future__ import annotations

import contextlib
import marshal
import math
import os
import selectors
import socket
import time

from s0repro.evaluate.sandbox.clock import ChargedClock
from s0repro.evaluate.sandbox.config import SandboxConfig


def collect(pipes: tuple[int, int], control: socket.socket, limit: int, cfg: SandboxConfig, start: float,
             clock: ChargedClock | None) -> tuple[str, str, str, int | None]:
    """Read the program's stdout and stderr until the server answers that it ended, or a time limit; keep the first
    ``limit`` bytes of each and drop the rest, so that output never blocks or fails a program.
    ``(out, err, limit hit or "", exit code or None)``; None: no answer (a time limit, or the server died).

    A straggler outside the program's pid namespace (only possible without namespaces) may hold the pipes open after
    the program ended: reading then stops half a second after the end."""
    kept = {fd: bytearray() for fd in pipes}
    dropped = dict.fromkeys(kept, 0)
    deadline, drained = start + cfg.wall_limit_s, math.inf
    hit, rc, ended = "", None, False
    with selectors.DefaultSelector() as sel:
        for fd in kept:
            sel.register(fd, selectors.EVENT_READ)
        sel.register(control, selectors.EVENT_READ)
        while not hit:
            now = time.monotonic()
            if ended:  # no time limit applies any more
                drained = min(drained, now + 0.5)
                if not sel.get_map() or now >= drained:
                    break
            elif now >= deadline:
                hit = f"wall-clock limit {cfg.wall_limit_s:g}s"
            elif clock and clock.charged(now) > cfg.charged_limit_s:
                hit = f"wall-clock limit {cfg.charged_limit_s:g}s, less waits for a CPU"
            for key, _ in sel.select(0.1) if not hit else ():
                if key.fileobj is control:
                    with contextlib.suppress(OSError):
                        answer = control.recv(64)
                        rc = marshal.loads(answer) if answer else None
                    ended = True
                    sel.unregister(control)
                    continue
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    sel.unregister(key.fd)
                room = max(limit - len(kept[key.fd]), 0)
                kept[key.fd] += chunk[:room]
                dropped[key.fd] += len(chunk) - min(room, len(chunk))
    out, err = (bytes(kept[fd]).decode("utf-8", errors="replace") + ("\n[output truncated]" if dropped[fd] else "")
                for fd in kept)
    return out, err, hit, rc


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
