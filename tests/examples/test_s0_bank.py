"""The S0 bank demo prints what its docstring (and the docs) show, from any directory, leaving no files behind."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

from s0repro.paths import REPO_ROOT

REPO = REPO_ROOT
DEMO = REPO / "examples" / "s0_bank.py"


def documented_lines() -> list[str]:
    """The indented output block of the demo's docstring."""
    doc = ast.get_docstring(ast.parse(DEMO.read_text()), clean=True)
    return [line.strip() for line in doc.splitlines() if " | " in line and "->" in line]


@pytest.mark.slow
def test_the_demo_prints_the_documented_rows_from_another_directory(tmp_path):
    if not (REPO / "assets/tiny/minicode_gdn/config.json").is_file():
        pytest.skip("assets/tiny/minicode_gdn not built (make tiny-models)")
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(DEMO)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=1800)
    assert done.returncode == 0, done.stderr[-2000:]
    assert [line.strip() for line in done.stdout.splitlines()] == documented_lines()
    assert list(tmp_path.iterdir()) == []  # the states went to a temporary folder, not ./my_states


def test_the_documented_rows_cover_every_row_the_demo_serves():
    from examples import s0_bank  # noqa: PLC0415 - the demo's own row list

    lines = documented_lines()
    assert [line.split(" | ")[0].strip() for line in lines] == [str(task) for task, _ in s0_bank.ROWS]
    assert lines[2].endswith('->     """')  # the base model's row, as it prints with the shipped checkpoint
