"""A launcher's jobs on the terminal: a failed job's own line, each job's per-cell lines, no empty ``%j`` folder."""

from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf
from submitit.core.utils import UncompletedJobError

from s0repro.run.jobs import JobReport, job_error_line

SUBMITIT_MESSAGE = """Job 4242 (task: 0) with path /sweep/.submitit/4242/4242_0_result.pkl
has not produced any output (state: FINISHED)
Error stream produced:
----------------------------------------
[2026-12-07 01:00:00,000][HYDRA] Launching 1 jobs locally
Traceback (most recent call last):
  File "submitit/core/submission.py", line 55, in process_job
""" + "\n".join(f"    frame {i}" for i in range(25)) + """
error: tiny checkpoint /nonexistent/ckpt not found; give model.checkpoint a directory a tiny model was saved to
submitit ERROR (2026-12-07 01:00:01,000) - Submitted job triggered an exception
"""


def test_a_failed_job_is_its_own_error_line_and_where_its_log_is():
    line = job_error_line(UncompletedJobError(SUBMITIT_MESSAGE))
    assert line == ("tiny checkpoint /nonexistent/ckpt not found; give model.checkpoint a directory a tiny model was "
                    "saved to (job log: /sweep/.submitit/4242)")
    assert job_error_line(UncompletedJobError("Job 1 has not produced any output")) is None  # nothing to show
    assert job_error_line(RuntimeError(SUBMITIT_MESSAGE)) is None  # only submitit's error is rewritten


def test_a_failed_multirun_leaves_no_empty_template_folder(tmp_path: Path, monkeypatch, capsys):
    import pytest

    from s0repro.run import cli

    sweep = tmp_path / "sweep"
    (sweep / ".submitit" / "%j").mkdir(parents=True)
    (sweep / ".submitit" / "4242").mkdir()
    message = SUBMITIT_MESSAGE.replace("/sweep/", f"{sweep}/")

    def failing_job() -> None:
        raise UncompletedJobError(message)

    monkeypatch.setattr(cli, "precheck", lambda argv: None)
    monkeypatch.setattr(cli.hydra, "main", lambda **_: lambda _job: failing_job)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["-m", "hydra/launcher=submitit_local", "+exp=qwen3_5"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == ("error: tiny checkpoint /nonexistent/ckpt not found; give model.checkpoint a "
                                       f"directory a tiny model was saved to (job log: {sweep}/.submitit/4242)\n")
    assert not (sweep / ".submitit" / "%j").exists() and (sweep / ".submitit" / "4242").is_dir()


def test_after_a_multirun_the_cell_lines_show_and_no_empty_template_folder_is_left(tmp_path: Path, capsys):
    sweep = tmp_path / "multirun"
    (sweep / ".submitit" / "%j").mkdir(parents=True)
    for job, seed in (("101", 0), ("102", 1)):
        (sweep / ".submitit" / job).mkdir()
        (sweep / ".submitit" / job / f"{job}_0_log.out").write_text(
            f"loading\n[1/1] tiny_qwen3_5/minicode/s0 seed={seed}: pass@1 50.0%\n")
    JobReport().on_multirun_end(OmegaConf.create({"hydra": {"sweep": {"dir": str(sweep)}}}))
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["[1/1] tiny_qwen3_5/minicode/s0 seed=0: pass@1 50.0%",
                       "[1/1] tiny_qwen3_5/minicode/s0 seed=1: pass@1 50.0%"]
    assert out[2] == f"each job's full output: {sweep}/.submitit/<job>/<job>_0_log.out (2 jobs)"
    assert not (sweep / ".submitit" / "%j").exists()
