"""What a Hydra launcher's jobs leave on the terminal: the failed job's own one line, and where each job's lines are.

With ``hydra/launcher=submitit_local`` (or ``submitit_slurm``) each job runs in its own process and writes its
per-cell lines to ``<sweep dir>/.submitit/<job id>/<job id>_0_log.out``; a job that fails reaches the parent as
submitit's ``UncompletedJobError``, whose many lines bury the job's own ``error: ...``. :func:`job_error_line` digs that
line out; :class:`JobReport` (a Hydra callback, conf/config.yaml) says where the logs are after a multirun (and prints their per-cell lines) and removes
the empty ``.submitit/%j`` folder submitit leaves from its path template.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

_ERROR = re.compile(r"^error: (.+)$", re.MULTILINE)
_PATH = re.compile(r"with path (\S+)")


def job_error_line(err: BaseException) -> str | None:
    """The failed job's own ``error:`` line (and where its log is), from submitit's ``UncompletedJobError``; None for
    any other exception or a job that printed no such line."""
    if type(err).__name__ != "UncompletedJobError":
        return None
    found = _ERROR.findall(str(err))
    if not found:
        return None
    folder = job_folder(err)
    return found[-1].strip() + (f" (job log: {folder})" if folder else "")


def job_folder(err: BaseException) -> Path | None:
    """``<sweep dir>/.submitit/<job id>`` of the job submitit's error names, if it names one."""
    where = _PATH.search(str(err))
    return Path(where.group(1)).parent if where else None


def remove_empty_template(sweep_dir: Path) -> None:
    """submitit creates ``.submitit/%j`` from its path template before a job id exists, and leaves it empty."""
    template = sweep_dir / ".submitit" / "%j"
    if template.is_dir() and not any(template.iterdir()):
        template.rmdir()


def job_logs(sweep_dir: Path) -> list[Path]:
    """Each job's stdout (its per-cell lines), in job order."""
    return sorted(sweep_dir.glob(".submitit/*/*_log.out"))


class JobReport(Callback):
    """After a multirun with a submitit launcher: one line saying where each job's per-cell lines are; and no empty
    ``.submitit/%j`` left behind."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep = Path(str(config.hydra.sweep.dir))
        remove_empty_template(sweep)
        logs = job_logs(sweep)
        for log in logs:
            for line in log.read_text(errors="replace").splitlines():
                if line.startswith("["):  # a cell's summary line, as the serial run prints it
                    print(line, flush=True)
        if logs:
            print(f"each job's full output: {sweep}/.submitit/<job>/<job>_0_log.out ({len(logs)} jobs)", flush=True)
