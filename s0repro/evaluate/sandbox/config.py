"""The sandbox's types: its limits (:class:`SandboxConfig`), how programs are launched on this machine
(:class:`Plan`, found by :mod:`.isolation`) and how one program ended (:class:`ExecResult`)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any, Literal

from s0repro.errors import UserError
from s0repro.evaluate.sandbox.clock import has_schedstat
from s0repro.evaluate.sandbox.environment import PRIVATE_DIRS

Status = Literal["passed", "failed", "timeout", "error", "killed"]


@dataclass
class SandboxConfig:
    timeout_s: float = 10.0  # CPU seconds per program: the authors' 10 s limit
    memory_mb: int = 2048  # address-space limit per process
    max_processes: int = 64  # RLIMIT_NPROC (threads count too); stops fork bombs
    workers: int | None = None  # parallel programs; None = the cores this process may use
    wall_factor: float = 3.0  # wall-clock limit = wall_factor * timeout_s (+1 s): CPU waits on a busy box are free
    file_size_mb: int = 16  # RLIMIT_FSIZE on files the program writes (stdout/stderr are pipes, see output_bytes)
    output_bytes: int = 65536  # stdout/stderr kept per program; the rest is read and dropped
    require_network_isolation: bool = False  # True: refuse to run where no network namespace can be made
    python: str | None = None  # interpreter for programs; None = first of this one / python3 that works

    def __post_init__(self) -> None:
        if self.timeout_s <= 0 or self.memory_mb <= 0 or self.max_processes <= 0:
            raise UserError("sandbox: timeout_s, memory_mb and max_processes must be positive")
        if self.workers is not None and self.workers <= 0:
            raise UserError(f"sandbox.workers={self.workers} must be positive (or null for one per core)")

    @property
    def effective_workers(self) -> int:
        return self.workers or len(os.sched_getaffinity(0))

    @property
    def wall_limit_s(self) -> float:
        return self.wall_factor * self.timeout_s + 1.0

    @property
    def charged_limit_s(self) -> float | None:
        """Wall-clock seconds less CPU waits after which a program ends (None: this kernel cannot tell the two)."""
        return self.timeout_s + 1.0 if has_schedstat() else None


@dataclass
class ExecResult:
    status: Status
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    detail: str = ""  # why: "AssertionError", "early exit (SystemExit 0)", "cpu limit", "memory limit", ...
    exc_type: str = ""  # the exception that ended the program, if one did
    stage: str = ""  # "compile" or "run" for exceptions


# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """How programs are launched on this machine (found once per process by probing)."""

    prefix: tuple[str, ...]  # ("unshare", ...) or ()
    python: str
    drop_uid: bool
    notes: tuple[str, ...] = field(default=())
    python_version: str = ""  # as the probe printed it

    @property
    def is_harness_python(self) -> bool:
        return os.path.realpath(self.python) == os.path.realpath(sys.executable)

    def describe(self) -> dict[str, Any]:
        return {"network": "namespace (unshare -n)" if self.prefix else "shared: no network namespace here",
                "tmp": f"private tmpfs on {', '.join(PRIVATE_DIRS)}" if self.prefix else "shared",
                "pid": "namespace (unshare -p)" if self.prefix else "shared: process group only",
                "uid": "random unprivileged uid per program" if self.drop_uid else "same user as the harness",
                "python": self.python, "python_version": self.python_version,
                "python_is_the_harness's": self.is_harness_python,
                "notes": list(self.notes)}
