"""The make entry points (Makefile, mk/tables.mk): SCALE=auto picks what this machine can run, tables what is on disk.

``make -n`` prints the commands without running them; a fake interpreter that answers the CUDA question stands in
for a GPU machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from s0repro.paths import REPO_ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make_n(*args: str) -> str:
    # A clean environment for make: under `make test` the inherited MAKELEVEL/MAKEFLAGS add "Entering directory" lines.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    done = subprocess.run(["make", "--no-print-directory", "-n", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_auto_scale_without_cuda_runs_the_cpu_sized_table1_and_says_so():
    out = make_n("reproduce-table1", f"PY={sys.executable}")  # this test machine: torch without CUDA
    if "no GPU" not in out:
        pytest.skip("CUDA is available here")
    lines = out.splitlines()
    assert lines[0] == 'echo "no GPU: running the CPU-sized Table 1; SCALE=full to insist"'
    assert "+exp=table1" in out and "scale=tiny" in out
    assert "experiments.table1 --results results --out results/tables --scale tiny" in out


def test_auto_scale_with_cuda_and_explicit_scales(tmp_path):
    gpu_python = tmp_path / "python"
    gpu_python.write_text("#!/bin/sh\necho full\n")  # answers the CUDA probe like a GPU machine
    gpu_python.chmod(0o755)
    out = make_n("reproduce-table1", f"PY={gpu_python}")
    assert "no GPU" not in out and "scale=full +exp=table1" in out and "--scale full" in out
    assert "seed=" not in out  # the experiments' own seeds (conf/protocol/paper.yaml), not a copy in make
    insisted = make_n("reproduce-table1", "SCALE=full", f"PY={sys.executable}")
    assert "no GPU" not in insisted and "scale=full +exp=table1" in insisted
    tiny = make_n("reproduce-table1", "SCALE=tiny", f"PY={gpu_python}")
    assert "no GPU" not in tiny and "scale=tiny +exp=table1" in tiny


def test_tables_render_what_is_on_disk_by_default():
    assert "-m experiments --results results --out results/tables --scale auto" in make_n("tables")
    assert "--scale tiny" in make_n("tables", "SCALE=tiny")
