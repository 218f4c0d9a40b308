"""The rlimits a program runs under, and the process count RLIMIT_NPROC must leave room for (it counts every
process of the user when the uid is not dropped)."""

from __future__ import annotations

import contextlib
import math
import os
import resource

from s0repro.evaluate.sandbox.config import SandboxConfig


def count_own_processes() -> int:
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):  # the process ended meanwhile
                count += entry.stat().st_uid == uid
    return count


def rlimits(cfg: SandboxConfig, nproc: int) -> dict[str, list[int]]:
    hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nproc = nproc if hard == resource.RLIM_INFINITY else min(nproc, hard)  # an unprivileged user cannot raise it
    cpu = math.ceil(cfg.timeout_s)
    mem = cfg.memory_mb * 2**20
    fsize = cfg.file_size_mb * 2**20
    return {"RLIMIT_AS": [mem, mem], "RLIMIT_CPU": [cpu, cpu + 1], "RLIMIT_FSIZE": [fsize, fsize],
            "RLIMIT_NPROC": [nproc, nproc], "RLIMIT_CORE": [0, 0]}

