"""Synthetic result files (valid per the schema) written into tmp_path for the table tests.

The repository root goes on sys.path so ``import experiments`` works however pytest is started.
"""

import json
import sys

import pytest

from s0repro.paths import REPO_ROOT
from s0repro.results import result_path, validate_result

sys.path.insert(0, str(REPO_ROOT))


def write_result(root, exp, task, method, seed, n_correct, *, n=84, arch="qwen3_5", params=None, cost=None,
                 model_name=None, hub_id=None, baseline=None, exact=None):
    """One result.json whose first ``n_correct`` problems (rotated by seed) are solved; ``exact``: the count solved
    one prompt at a time, recorded beside (``eval.beside.exact``) as the transfer experiments do."""
    ids = [f"HumanEval/{80 + i}" for i in range(n)]
    correct = [((i - seed) % n) < n_correct for i in range(n)]
    payload = {
        "schema_version": 1, "exp": exp, "task": task, "method": method, "method_name": method.split("_r")[0],
        "seed": seed, "run": {"config": {}, "git_commit": "x", "git_dirty": False},
        "train": None if method == "none" else {"trainable_params": params, "steps": 20},
        "eval": {"metric": "pass@1", "score": n_correct / n, "n": n, "task_ids": ids, "correct": correct,
                 "failure_types": {"passed": n_correct}, "baseline_score": baseline},
        "method_info": {"method": method, "inference_cost": cost, "trainable_params": params},
        "meta": {"model": {"arch": arch, "name": model_name or arch, "hub_id": hub_id}},
        "artefact": None,
    }
    if exact is not None:
        payload["eval"]["beside"] = {"exact": {"score": exact / n}}
    validate_result(payload)
    path = result_path(root, exp, task, method, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload))
    return path


@pytest.fixture
def results_dir(tmp_path):
    root = tmp_path / "results"
    root.mkdir()
    return root


def _md_row(text, label):
    """The cells of the Markdown table row whose first cell is ``label`` (first match)."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == label:
            return cells
    raise AssertionError(f"no row {label!r} in:\n{text}")


@pytest.fixture
def md_row():
    return _md_row


@pytest.fixture
def write():
    return write_result


SEEDS = (42, 7, 123)


def populate(root):
    """A small paper-like results tree: every experiment the tables read, three seeds, 84 problems."""
    w = write_result
    for s in SEEDS:
        w(root, "qwen3_5", "humaneval", "none", s, 41, hub_id="Qwen/Qwen3.5-4B")
        w(root, "falcon_h1", "humaneval", "none", s, 34, arch="falcon_h1")
        w(root, "lora_budget", "humaneval", "none", s, 41)
        w(root, "prefix_control", "humaneval", "none", s, 40, arch="qwen2")
        w(root, "transfer_gsm8k", "gsm8k", "none", s, 70)
    for s, k in zip(SEEDS, (50, 52, 55), strict=True):
        w(root, "qwen3_5", "humaneval", "lora", s, k, params=4_718_592, cost="merge", hub_id="Qwen/Qwen3.5-4B")
        w(root, "lora_budget", "humaneval", "lora_r24", s, k, params=4_718_592, cost="merge")
    for s, k in zip(SEEDS, (60, 61, 62), strict=True):
        w(root, "qwen3_5", "humaneval", "s0", s, k, params=12_582_912, cost="none", hub_id="Qwen/Qwen3.5-4B")
        w(root, "lora_budget", "humaneval", "s0", s, k, params=12_582_912, cost="none")
    for s, k in zip(SEEDS, (63, 64, 66), strict=True):
        w(root, "qwen3_5", "humaneval", "state_offset", s, k, params=12_582_912, cost="per_step",
          hub_id="Qwen/Qwen3.5-4B")
    for s, k in zip(SEEDS, (60, 4, 45), strict=True):
        w(root, "lora_budget", "humaneval", "lora_r48", s, k, params=9_437_184, cost="merge")
    for s, k in zip(SEEDS, (30, 25, 35), strict=True):
        w(root, "lora_budget", "humaneval", "lora_r64", s, k, params=12_582_912, cost="merge")
    for s, k in zip(SEEDS, (59, 61, 60), strict=True):
        w(root, "falcon_h1", "humaneval", "lora", s, k, arch="falcon_h1", params=22_200_000, cost="merge")
    for s, k in zip(SEEDS, (62, 59, 60), strict=True):
        w(root, "falcon_h1", "humaneval", "s0", s, k, arch="falcon_h1", params=34_603_008, cost="none")
    for lr, ks in (("prefix_lr1e-4", (35, 36, 30)), ("prefix_lr1e-3", (28, 25, 33))):
        for s, k in zip(SEEDS, ks, strict=True):
            w(root, "prefix_control", "humaneval", lr, s, k, arch="qwen2", params=1000, cost="per_token_prefix")
    for s, k in zip(SEEDS, (72, 73, 73), strict=True):
        w(root, "transfer_gsm8k", "gsm8k", "s0", s, k)
    w(root, "spider", "spider", "none", 42, 60)
    w(root, "spider", "spider", "s0_a003", 42, 59)
    w(root, "spider", "spider", "s0_a007", 42, 61)
    for size, base, gains in (("0.8B", 12, (1, 3, 2)), ("2B", 14, (15, 16, 17)), ("9B", 27, (36, 37, 38))):
        exp = "scaling_qwen3_5_" + size.lower().replace(".", "_")
        for s, g in zip(SEEDS, gains, strict=True):
            w(root, exp, "humaneval", "none", s, base, hub_id=f"Qwen/Qwen3.5-{size}")
            w(root, exp, "humaneval", "s0", s, base + g, hub_id=f"Qwen/Qwen3.5-{size}")


@pytest.fixture
def paper_like(results_dir):
    populate(results_dir)
    return results_dir


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """The table scripts read SCALE / S0REPRO_* defaults from the environment; tests pass them explicitly."""
    for name in ("SCALE", "S0REPRO_RESULTS", "S0REPRO_SCALE", "S0REPRO_TABLES_OUT"):
        monkeypatch.delenv(name, raising=False)
