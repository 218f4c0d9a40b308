"""Writing results so that a killed run leaves nothing half-written and nothing finished is lost or duplicated.

A cell (exp, task, method label, seed) is finished exactly when its ``result.json`` exists; that file is the commit
point. Everything one attempt produces (the tuned artefact, per-problem records) goes first into a fresh
``attempt-<id>/`` folder beside it, which the result names; the result itself is written to a temporary file and
moved into place with ``os.replace`` (atomic on POSIX). A kill before the replace leaves the previous state intact
(no result, or the old result with its old attempt folder); folders no result names are removed on the next attempt.

Two processes on the same cell (a Slurm array launched twice) do not both run it: an attempt holds an ``flock`` on the
cell's ``.lock`` file, released by the kernel when the process dies, so a stale lock cannot block a rerun.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from s0repro.errors import CellSkipped
from s0repro.results.schema import RESULT_FILE, CorruptResultError, read_result, result_dir

ATTEMPT_PREFIX = "attempt-"
LOCK_FILE = ".lock"


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_json(path: Path, payload: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


class CellBusyError(CellSkipped, RuntimeError):
    """Another live process holds this cell."""


@dataclass
class Attempt:
    """One try at a cell: write files under ``folder``, then :meth:`ResultStore.commit`."""

    cell: Path  # results/<exp>/<task>/<method>/seed_<n>
    folder: Path  # cell / attempt-<id>
    committed: bool = False  # once the result names this folder, nothing may remove it

    @property
    def name(self) -> str:
        return self.folder.name


class ResultStore:
    """The results tree under ``root``: status of a cell, attempts, atomic commits."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def cell(self, exp: str, task: str, method: str, seed: int) -> Path:
        return result_dir(self.root, exp, task, method, seed)

    def check_writable(self) -> None:
        """Fail before any work if the root is not a directory we can write (a file, no permission)."""
        if self.root.exists() and not self.root.is_dir():
            raise NotADirectoryError(f"{self.root} exists and is not a directory")
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise PermissionError(f"{self.root} is not writable")

    def existing(self, exp: str, task: str, method: str, seed: int) -> dict[str, Any] | None:
        """The finished result of a cell, None if it has none; :class:`CorruptResultError` if it is unreadable."""
        path = self.cell(exp, task, method, seed) / RESULT_FILE
        for folder in reversed(path.parents):
            if folder.exists() and not folder.is_dir():
                raise CorruptResultError(f"{folder}: a file where a results folder belongs")
        if path.is_dir():
            raise CorruptResultError(f"{path}: is a directory, not a result file")
        if not path.exists():
            return None
        return read_result(path)

    @contextlib.contextmanager
    def attempt(self, exp: str, task: str, method: str, seed: int) -> Iterator[Attempt]:
        """Lock the cell and give a fresh attempt folder; on an exception the folder is removed."""
        cell = self.cell(exp, task, method, seed)
        cell.mkdir(parents=True, exist_ok=True)
        with open(cell / LOCK_FILE, "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise CellBusyError(f"{cell} is being run by another process") from None
            try:
                self._remove_orphans(cell)
                folder = cell / f"{ATTEMPT_PREFIX}{uuid.uuid4().hex[:12]}"
                folder.mkdir()
                attempt = Attempt(cell=cell, folder=folder)
                try:
                    yield attempt
                except BaseException:
                    if not attempt.committed:
                        shutil.rmtree(folder, ignore_errors=True)
                    raise
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def commit(self, attempt: Attempt, payload: dict[str, Any]) -> Path:
        """Make ``payload`` the cell's result (atomically) and drop the attempts it no longer names."""
        path = attempt.cell / RESULT_FILE
        atomic_write_json(path, payload)
        attempt.committed = True
        self._remove_orphans(attempt.cell, keep=attempt.name)
        return path

    def _remove_orphans(self, cell: Path, keep: str | None = None) -> None:
        """Attempt folders no committed result refers to (killed or superseded attempts)."""
        referenced = {keep} if keep else set()
        path = cell / RESULT_FILE
        if keep is None and path.is_file():
            try:
                referenced.add(str(json.loads(path.read_text()).get("attempt")))
            except (OSError, ValueError):
                return  # never delete anything next to a result we cannot read
        for child in cell.glob(f"{ATTEMPT_PREFIX}*"):
            if child.name not in referenced:
                shutil.rmtree(child, ignore_errors=True)
        for tmp in cell.glob(f".{RESULT_FILE}.tmp-*"):
            pid = tmp.name.split("tmp-", 1)[1].split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
