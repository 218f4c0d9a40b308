"""Hydra's per-invocation folder (conf/config.yaml, ``hydra:``): a log file only where there is something in it."""

from __future__ import annotations

import os
import subprocess
import sys

from s0repro.paths import REPO_ROOT


def test_a_dry_run_leaves_no_empty_run_log(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), WANDB_MODE="disabled", OMP_NUM_THREADS="1")
    out = tmp_path / "hydra"
    done = subprocess.run(
        [sys.executable, "-m", "s0repro.run", "+exp=qwen3_5", "scale=tiny", "logger=none", "dry_run=true",
         f"results_dir={tmp_path / 'results'}", f"hydra.run.dir={out}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "to run" in done.stdout
    assert (out / ".hydra" / "config.yaml").is_file()  # the composed config is still recorded
    assert not list(out.glob("*.log"))
