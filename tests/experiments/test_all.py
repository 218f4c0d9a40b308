"""``python -m experiments`` renders every table, figure and the claims report; ``--scale tiny`` reads tiny_."""

import subprocess
import sys

from experiments.__main__ import main
from s0repro.paths import REPO_ROOT


def test_renders_everything(paper_like, tmp_path):
    paths = main(["--results", str(paper_like), "--out", str(tmp_path / "out")])
    names = sorted(p.name for p in paths)
    assert len(names) == 37 and "claims.md" in names and "table1.png" in names
    assert {"failures.md", "mechanistic.md", "mechanistic.png"} <= set(names)
    assert all(p.stat().st_size > 0 for p in paths)


def test_tiny_scale_ignores_full_results(paper_like, tmp_path, md_row, write):
    for s in (0, 1, 2):
        write(paper_like, "tiny_qwen3_5", "minicode", "none", s, 5, n=20)
        write(paper_like, "tiny_qwen3_5", "minicode", "s0_unverified", s, 6, n=20)
    main(["--results", str(paper_like), "--out", str(tmp_path / "out"), "--scale", "tiny"])
    text = (tmp_path / "out" / "table1.md").read_text()
    assert md_row(text, "S0")[2] == "not run"
    assert md_row(text, "S0, unverified data (control)")[2] == "30.0 ± 0.0"
    assert md_row(text, "baseline")[2] == "25.0 ± 0.0"


def test_module_entry_point_defaults_out_to_results_tables(paper_like):
    done = subprocess.run([sys.executable, "-m", "experiments.table2", "--results", str(paper_like)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (paper_like / "tables" / "table2.md").exists()
