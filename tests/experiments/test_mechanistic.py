"""The mechanistic report on synthetic stored generations, and the KL profile from a saved tiny S0 artefact."""

from __future__ import annotations

import json

import numpy as np
import torch
import yaml

from experiments import mechanistic
from experiments.mechanistic import binned_profile
from s0repro.methods import build_method
from s0repro.paths import REPO_ROOT
from s0repro.results import result_dir
from s0repro.tools import kl_profile
from tests.conftest import tiny


def _write(root, method, seed, records, *, artefact=None, config=None):
    folder = result_dir(root, "tiny_qwen3_5", "minicode", method, seed)
    (folder / "attempt-1").mkdir(parents=True, exist_ok=True)
    (folder / "attempt-1" / "eval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    payload = {"schema_version": 1, "exp": "tiny_qwen3_5", "task": "minicode", "method": method, "seed": seed,
               "run": {"config": config or {}}, "train": None, "meta": {"model": {"name": "tiny_gdn", "arch": "qwen3_5"}},
               "eval": {"metric": "pass@1", "score": 0.0, "n": len(records), "task_ids": [r["task_id"] for r in records],
                        "correct": [r["passed"] for r in records]},
               "artefact": artefact, "files": {"eval_records": "attempt-1/eval.jsonl"}}
    (folder / "result.json").write_text(json.dumps(payload))
    return folder


def _rec(task_id, passed, raw, authors=None):
    rec = {"task_id": task_id, "passed": passed, "raw": raw}
    if authors is not None:
        rec["by_cleanup"] = {"authors": {"passed": authors}, "lenient": {"passed": passed}}
    return rec


def test_first_divergence_pooled_over_seeds(results_dir, tmp_path, md_row):
    base = [_rec("a", False, "    return 1", authors=False), _rec("b", False, "    return x", authors=False),
            _rec("c", True, "    ok", authors=True)]
    _write(results_dir, "none", 0, base)
    _write(results_dir, "s0", 0, [_rec("a", True, "def f():\n    return 2", authors=True),
                                  _rec("b", True, "    return x + 1" + " " * 20, authors=True),
                                  _rec("c", True, "    ok", authors=True)])
    _write(results_dir, "s0", 1, [_rec("a", True, "def g(): pass", authors=True), _rec("b", False, "    z", authors=False),
                                  _rec("c", False, "    no", authors=False)])
    paths = mechanistic.main(["--results", str(results_dir), "--out", str(tmp_path / "t")])
    text = paths[0].read_text()
    assert md_row(text, "FAIL→PASS flips")[2] == "3 (2 seeds pooled)"
    assert md_row(text, "diverging at the first generated character")[2] == "2 of 3 (67 %)"
    assert md_row(text, "median divergence position (characters)")[2] == "0"
    assert md_row(text, "KL ratio at the last prompt token (median over prompts)")[2] == "not run"
    assert paths[2].stat().st_size > 0


def test_lenient_verdicts_change_the_flips(results_dir, tmp_path, md_row):
    """A problem that passes only after lenient clean-up is a flip under 'lenient', not under 'authors'."""
    _write(results_dir, "none", 0, [_rec("a", False, "    return 1", authors=False)])
    _write(results_dir, "s0", 0, [_rec("a", True, "    return 2", authors=False)])
    authors = mechanistic.main(["--results", str(results_dir), "--out", str(tmp_path / "a")])[0].read_text()
    lenient = mechanistic.main(["--results", str(results_dir), "--out", str(tmp_path / "l"), "--cleanup", "lenient"])
    assert md_row(authors, "FAIL→PASS flips")[2] == "0 (1 seeds pooled)"
    assert md_row(lenient[0].read_text(), "FAIL→PASS flips")[2] == "1 (1 seeds pooled)"


def test_kl_profile_from_a_saved_artefact(results_dir, tmp_path, md_row):
    loaded = tiny("tiny_gdn")
    method = build_method("s0", {"alpha": 1.0})
    method.attach(loaded.model)
    with torch.no_grad():
        for p in method.trainable_parameters():
            p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(3)))
    model_cfg = {**yaml.safe_load((REPO_ROOT / "conf" / "model" / "tiny_gdn.yaml").read_text()), "device": "cpu"}
    config = {"model": model_cfg, "task": {"name": "minicode", "args": {"seed": 0}}}
    _write(results_dir, "none", 0, [_rec("a", False, "x")])
    folder = _write(results_dir, "s0", 0, [_rec("a", True, "y")], artefact="attempt-1/artefact", config=config)
    method.save(folder / "attempt-1" / "artefact")
    before = mechanistic.main(["--results", str(results_dir), "--out", str(tmp_path / "t")])
    assert md_row(before[0].read_text(), "KL ratio at the last prompt token (median over prompts)")[2] == "not run"
    (written,) = kl_profile.main(["--results", str(results_dir), "--problems", "3"])
    assert written == folder / "kl_profile.json"
    measured = json.loads(written.read_text())
    assert measured["seed"] == 0 and len(measured["ratios"]) == 3
    assert all(r[0] == 1.0 for r in measured["ratios"])  # each a ratio to its first position
    paths = mechanistic.main(["--results", str(results_dir), "--out", str(tmp_path / "t")])
    kl = md_row(paths[0].read_text(), "KL ratio at the last prompt token (median over prompts)")[2]
    last = sorted(100 * r[-1] for r in measured["ratios"])[1]  # the median of three
    assert kl.startswith(f"{last:.3g} % (IQR") and kl.endswith("3 prompts)")


def test_binned_profile_takes_medians_over_prompts():
    short, long = np.array([1.0, 0.5]), np.linspace(1.0, 0.0, 11)
    prof = binned_profile([short, long], bins=2)
    # bin 0 holds positions < 0.5: short [1.0] and long [1, .9, .8, .7, .6] (median .8); bin 1 short [.5], long [.5 ... 0] (median .25)
    assert prof[0] == np.median([1.0, 0.8]) and prof[1] == np.median([0.5, 0.25])
