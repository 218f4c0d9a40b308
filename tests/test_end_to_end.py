"""One tiny seed of S0, end to end through the CLI: sample, verify, tune, evaluate, write the result file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from s0repro.methods import build_method
from s0repro.paths import REPO_ROOT
from s0repro.results import read_result
from tests.conftest import tiny

pytestmark = pytest.mark.slow


def test_one_tiny_s0_seed_end_to_end(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "s0repro.run", "+exp=qwen3_5", "scale=tiny", "method=s0", "seed=0", "logger=none",
           f"results_dir={tmp_path}", "progress=false"]
    done = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]

    folder = tmp_path / "tiny_qwen3_5" / "minicode" / "s0" / "seed_0"
    result = read_result(folder / "result.json")
    assert (result["exp"], result["task"], result["method"], result["seed"]) == ("tiny_qwen3_5", "minicode", "s0", 0)

    ev, tr = result["eval"], result["train"]
    assert ev["n"] == 84 and len(ev["correct"]) == 84 and len(set(ev["task_ids"])) == 84
    assert ev["score"] == pytest.approx(sum(ev["correct"]) / 84)
    assert sum(ev["failure_types"].values()) == 84
    assert tr["verified"] is True and tr["n_train_problems"] == 80
    assert tr["verified_cleanup"] == ev["cleanup"] == "authors"  # the protocol's clean-up kept the training set
    assert result["run"]["config"]["scale"]["model_from"] == "qwen3_5_4b"  # what scale=tiny replaced
    assert 1 <= tr["num_examples"] == len(tr["train_task_ids"]) <= 80
    assert not set(tr["train_task_ids"]) & set(ev["task_ids"])  # train and eval problems never overlap
    assert tr["steps"] == 20 and len(tr["losses"]) == 20
    assert tr["trainable_params"] == 3 * 4 * 24 * 24  # 3 GDN layers x [4 heads, 24, 24] in minicode_gdn

    # The saved state reloads onto the model and is the trained (nonzero) state.
    artefact = folder / result["artefact"]
    method = build_method("s0", {"alpha": 1.0})
    method.attach(tiny("minicode_gdn").model)
    method.load(artefact)
    assert all(p.abs().sum() > 0 for p in method.trainable_parameters())
    assert json.loads((artefact / "s0_config.json").read_text())["model"]["model_type"] == "qwen3_5_text"
    assert torch.isfinite(torch.stack([p.norm() for p in method.trainable_parameters()])).all()
