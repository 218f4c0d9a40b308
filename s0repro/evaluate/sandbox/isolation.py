"""Probing the strongest isolation this machine allows (namespaces, a uid drop, an interpreter a program can use),
once per process, and saying which is in force."""

from __future__ import annotations

import math
import os
import shutil
import sys
import threading
from dataclasses import asdict, replace
from functools import cache
from typing import Any

from s0repro.errors import UserError
from s0repro.evaluate.sandbox.client import run_one
from s0repro.evaluate.sandbox.config import Plan, SandboxConfig

UNSHARE_FLAGS = ["-n", "-p", "-m", "-f", "--kill-child"]  # no network, own pid + mount namespace, die with unshare

# A program must be able to import the standard library after the uid drop (a python under /root cannot); the
# modules are ones the server does not import itself.
PROBE = ("import fractions, decimal, statistics, hashlib, heapq, json, bisect, string, sys\n"  # none preloaded
         "print(sys.version.split()[0])\n")


def candidates(python: str | None) -> list[str]:
    if python:
        return [python]
    found = [sys.executable]
    for name in ("/usr/bin/python3", shutil.which("python3")):
        if name and os.path.realpath(name) not in {os.path.realpath(p) for p in found}:
            found.append(name)
    return found


@cache
def probe_plan(python: str | None) -> Plan:
    """Probe the strongest isolation that works here; fall back gracefully and say so."""
    notes: list[str] = []
    prefixes: list[tuple[str, ...]] = []
    unshare = shutil.which("unshare")
    if unshare:
        if os.geteuid() != 0:
            prefixes.append((unshare, "-r", *UNSHARE_FLAGS))  # user namespace for the unprivileged
        else:
            prefixes.append((unshare, *UNSHARE_FLAGS))
    else:
        notes.append("unshare not found")
    prefixes.append(())
    root = os.geteuid() == 0
    for prefix in prefixes:
        for drop in ((True, False) if root and (not prefix or "-r" not in prefix) else (False,)):
            for interpreter in candidates(python):
                plan = Plan(prefix, interpreter, drop, tuple(notes))
                res = run_one(PROBE, SandboxConfig(timeout_s=5.0, workers=1), plan, 1 << 20)
                if res.status == "passed":
                    return replace(plan, python_version=res.stdout.strip())
                notes.append(f"probe failed: {' '.join(prefix) or 'no unshare'}, uid drop={drop}, "
                             f"{interpreter}: {res.detail or res.status}")
    raise UserError("sandbox: cannot run even an empty Python program here: " + "; ".join(notes[-3:]))


plan_lock = threading.Lock()


def isolation_plan(cfg: SandboxConfig) -> Plan:
    with plan_lock:
        plan = probe_plan(cfg.python)
    if cfg.require_network_isolation and not plan.prefix:
        raise UserError("sandbox.require_network_isolation=true but no network namespace can be created here "
                        "(unshare missing or not permitted)")
    return plan


def describe(cfg: SandboxConfig) -> dict[str, Any]:
    """The limits and isolation actually in force, for result files."""
    plan = probe_plan(cfg.python)
    return {**asdict(cfg), "workers": cfg.effective_workers, "cpu_limit_s": math.ceil(cfg.timeout_s),
            "wall_limit_s": cfg.wall_limit_s, "charged_limit_s": cfg.charged_limit_s, "isolation": plan.describe(),
            "load_average": list(os.getloadavg())}
