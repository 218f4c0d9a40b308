"""Ctrl-C on ``python -m s0repro.run``: one line, exit status 130, finished results kept, nothing half-written.

The run is a child process whose evaluation stage is a stand-in (tests/results/fake_evaluate.py, handed to
``s0repro.run.main``) that blocks in the second cell's evaluation, so SIGINT arrives in the middle of a cell, as from a
terminal: to the whole process group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from s0repro.paths import REPO_ROOT
from s0repro.results.schema import iter_results

CLI = """\
import sys, time
from pathlib import Path
sys.path.insert(0, {repo!r})
from tests.results import fake_evaluate
from s0repro.run import main


class BlockingEvaluator(fake_evaluate.FakeEvaluator):
    \"\"\"Blocks in the second tuned evaluation (the second cell), after saying so in a marker file.\"\"\"

    def evaluate(self, *args, method=None, **kwargs):
        if method is not None and self.calls["evaluate_tuned"] == 1:
            Path({marker!r}).write_text("blocking")
            time.sleep(300)
        return super().evaluate(*args, method=method, **kwargs)


main(evaluator=BlockingEvaluator())
"""


def test_ctrl_c_is_one_line_exit_130_and_keeps_what_finished(tmp_path):
    cli, marker, results = tmp_path / "blocking_cli.py", tmp_path / "blocking", tmp_path / "results"
    cli.write_text(CLI.format(repo=str(REPO_ROOT), marker=str(marker)))
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), WANDB_MODE="disabled", OMP_NUM_THREADS="1")
    child = subprocess.Popen(
        [sys.executable, str(cli), "+exp=qwen3_5", "scale=tiny", "model=tiny_gdn", "logger=none", "progress=false",
         "train.steps=1", "method=s0", "seed=0,1", "workers=1", f"results_dir={results}", f"hydra.run.dir={tmp_path / 'hydra'}"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert marker.exists(), f"the run never reached the second cell: {child.poll()}"
        first = (results / "tiny_qwen3_5/minicode/s0/seed_0/result.json").read_bytes()
        os.killpg(child.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    assert child.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err.splitlines()[-1] == "interrupted; 1 finished cells kept (1 of 2 to go); re-run the same command to resume"
    assert "[1/2] tiny_qwen3_5/minicode/s0 seed=0: pass@1" in out
    assert [r["seed"] for r in iter_results(results)] == [0]
    assert (results / "tiny_qwen3_5/minicode/s0/seed_0/result.json").read_bytes() == first
    interrupted = results / "tiny_qwen3_5/minicode/s0/seed_1"
    assert [p.name for p in interrupted.iterdir()] == [".lock"]  # its attempt folder went with it
