"""Provenance: what made a number. Versions, hardware, git state, the seeding of every RNG, and a code digest,
recorded in every artefact and result (and keyed into cached baselines) so a result can be traced to what made it."""

from __future__ import annotations

import hashlib
import json
import platform
import random
import subprocess
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from typing import Any

import numpy as np
import torch

from s0repro.paths import PACKAGE_DIR, REPO_ROOT

TRACKED_PACKAGES = ("s0repro", "torch", "transformers", "peft", "safetensors", "hydra-core", "wandb")


def package_versions() -> dict[str, str]:
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def hardware() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                            "cpu_threads": torch.get_num_threads(), "cuda": torch.cuda.is_available()}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


@cache
def _git_state() -> tuple[str | None, bool | None]:
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "HEAD"), None if status is None else bool(status)


def git_state() -> dict[str, Any]:
    """The commit this code is at and whether tracked files differ from it (asked once per process)."""
    commit, dirty = _git_state()
    return {"git_commit": commit, "git_dirty": dirty}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def code_digest(stages: tuple[str, ...] = ("data", "models", "evaluate")) -> str:
    """A hash of the code a baseline evaluation depends on: editing a scorer invalidates cached baselines."""
    digest = hashlib.sha256()
    for path in sorted(p for stage in stages for p in (PACKAGE_DIR / stage).rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def digest(payload: Any) -> str:
    """A short stable hash of a JSON-able value (config sections, cache keys)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]
