"""scale=tiny runs the paper's experiment files at CPU size: only the model, the task data and the sizes change;
the protocol (clean-up, arms, step counts, baseline policy) stays; each fact of the protocol is written once."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from s0repro.conf import compose, plan_runs, to_settings
from s0repro.errors import UserError
from s0repro.paths import REPO_ROOT

ROOT = REPO_ROOT


@pytest.mark.parametrize("exp, full_model, tiny_model", [
    ("qwen3_5", "qwen3_5_4b", "minicode_gdn"), ("falcon_h1", "falcon_h1_7b", "minicode_mamba2"),
    ("prefix_control", "qwen2_5_3b", "minicode_transformer"), ("lora_budget", "qwen3_5_4b", "minicode_gdn"),
    ("layer_groups", "qwen3_5_4b", "minicode_gdn"), ("alpha_falcon", "falcon_h1_7b", "minicode_mamba2"),
])
def test_tiny_changes_the_model_the_task_and_the_sizes_only(exp, full_model, tiny_model):
    full_cfg, tiny_cfg = compose([f"+exp={exp}"]), compose([f"+exp={exp}", "scale=tiny"])
    full, tiny = to_settings(full_cfg), to_settings(tiny_cfg)
    assert (full.model.name, full.task.name, full.scale.name) == (full_model, "humaneval", "full")
    assert (tiny.model.name, tiny.task.name, tiny.scale.name) == (tiny_model, "minicode", "tiny")
    assert (tiny.scale.model_from, tiny.scale.task_from) == (full_model, "humaneval")  # recorded in every result
    assert tiny.exp_name == "tiny_" + full.exp_name.replace("0.65", "1.0")  # alpha_falcon: its tiny alpha
    # the protocol stays the paper's
    assert (tiny.eval.cleanup, tiny.eval.baseline) == (full.eval.cleanup, full.eval.baseline) == ("authors", "shared")
    full_cells, tiny_cells = plan_runs(full_cfg), plan_runs(tiny_cfg)
    assert {s.label for s in tiny_cells} == {s.label for s in full_cells}
    assert {(s.label, s.method_config["steps"], s.ours) for s in tiny_cells} == \
        {(s.label, s.method_config["steps"], s.ours) for s in full_cells}
    # the sizes are the scale's
    assert {s.seed for s in tiny_cells} == {0, 1, 2}
    assert (tiny.eval.batch_size, tiny.eval.max_new_tokens, tiny.train.sample_max_new_tokens) == (16, 96, 96)
    assert (full.eval.batch_size, full.train.sample_max_new_tokens) == (1, 1024)


def test_each_method_preset_brings_its_own_tiny_values():
    cells = {s.label: s.method_config for s in plan_runs(compose(["+exp=lora_budget", "scale=tiny", "seed=0"]))}
    assert {k: (v["r"], v["alpha"]) for k, v in cells.items() if k.startswith("lora")} == {
        "lora_r24": (4, 8.0), "lora_r48": (8, 16.0), "lora_r64": (9, 18.0)}
    assert (cells["s0"]["alpha"], cells["s0"]["lr"]) == (1.0, 3.0e-3)
    groups = {s.label: s.method_config for s in plan_runs(compose(["+exp=layer_groups", "scale=tiny", "seed=0"]))}
    assert {k: (v["alpha"], v["layers"]) for k, v in groups.items() if k != "none"} == {
        "s0_early": (1.0, "early"), "s0_middle": (1.0, "middle"), "s0_late": (1.0, "late"), "s0_all": (1.0, "all")}


def test_the_command_line_wins_over_the_scale():
    cfg = compose(["+exp=falcon_h1", "scale=tiny", "seed=0..1", "eval=paper", "arms.s0.method.alpha=0.5",
                   "model=tiny_mamba2"])
    settings = to_settings(cfg)
    assert (settings.seed, settings.eval.batch_size, settings.model.name) == ("0..1", 1, "tiny_mamba2")
    assert settings.scale.model_from is None  # the user chose the model, the scale did not replace one
    assert {s.method_config["alpha"] for s in plan_runs(cfg) if s.label == "s0"} == {0.5}


def test_a_task_without_a_tiny_counterpart_is_one_line():
    with pytest.raises(UserError) as caught:
        compose(["+exp=spider", "scale=tiny"])
    assert str(caught.value) == ("task spider has no tiny counterpart (no `tiny:` in conf/task/spider.yaml); "
                                 "scale=tiny runs only experiments whose task has one")


def test_the_tiny_falcon_column_from_the_command_line(tmp_path):
    """`python -m s0repro.run +exp=falcon_h1 scale=tiny seed=0..2` is the tiny Falcon-H1 column (dry run)."""
    done = subprocess.run(
        [sys.executable, "-m", "s0repro.run", "+exp=falcon_h1", "scale=tiny", "seed=0..2", "dry_run=true", "logger=none",
         f"results_dir={tmp_path}", f"hydra.run.dir={tmp_path}/hydra"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "tiny_falcon_h1: 9 cells (3 methods x 3 seeds), 0 finished, 9 to run" in done.stdout
    saved = (tmp_path / "hydra/.hydra/config.yaml").read_text()  # Hydra's own record is the config that runs
    assert "name: minicode_mamba2" in saved and "model_from: falcon_h1_7b" in saved


# Facts that belong to one file each (issue 21): a second copy is how they drift apart.
SINGLE_FACTS = {
    r"1337, ?999, ?314": "conf/protocol/paper.yaml",  # the ten Qwen seeds, as a list
    r"requires_cuda: true": None,  # model configs only
    r"cleanup: authors": "conf/protocol/paper.yaml",
    r"sample_max_new_tokens: 1024": "conf/protocol/paper.yaml",
}


@pytest.mark.parametrize("pattern", SINGLE_FACTS)
def test_each_protocol_fact_is_written_once(pattern):
    places = ["conf", "experiments", "mk", "s0repro", "Makefile", "benchmarks"]
    found = subprocess.run(["grep", "-rlE", pattern, *places], cwd=ROOT, capture_output=True, text=True).stdout.split()
    found = [f for f in found if not re.search(r"\.(pyc)$", f) and "/transfer_math500.yaml" not in f]
    if SINGLE_FACTS[pattern] is None:
        assert found and all(f.startswith("conf/model/") for f in found), found
    else:
        assert found == [SINGLE_FACTS[pattern]], found
