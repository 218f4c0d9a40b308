"""The ablation experiments plan the cells their tables read, and every make target names an experiment that exists."""

from __future__ import annotations

import re
import subprocess

import pytest

from s0repro.conf import compose, group_options, plan_runs
from s0repro.paths import REPO_ROOT


@pytest.mark.parametrize("scale, seeds", [("full", {42}), ("tiny", {0, 1, 2})])
def test_layer_groups_plan_one_arm_per_group(scale, seeds):
    specs = plan_runs(compose(["+exp=layer_groups", f"scale={scale}"]))
    layers = {s.label: s.method_config.get("layers") for s in specs}
    assert layers == {"none": None, "s0_early": "early", "s0_middle": "middle", "s0_late": "late", "s0_all": "all"}
    assert {s.seed for s in specs} == seeds


@pytest.mark.parametrize("scale, exp, alpha", [("full", "alpha_falcon", 0.65), ("tiny", "tiny_alpha_falcon", 1.0)])
def test_alpha_sweep_names_one_experiment_per_alpha(scale, exp, alpha):
    cfg = compose(["+exp=alpha_falcon", f"scale={scale}"])
    assert cfg.exp_name == f"{exp}_a{alpha}"  # at tiny: the s0 preset's own tiny alpha, the name follows it
    swept = compose(["+exp=alpha_falcon", f"scale={scale}", "arms.s0.method.alpha=0.3"])
    assert swept.exp_name == f"{exp}_a0.3"  # the command line wins over the scale
    assert {s.method_config["alpha"] for s in plan_runs(swept) if s.label == "s0"} == {0.3}


def test_data_size_without_a_size_is_the_full_set():
    assert compose(["+exp=data_size"]).exp_name == "data_size_nall"
    sized = compose(["+exp=data_size", "scale=tiny", "train.data_size=10"])
    assert sized.exp_name == "tiny_data_size_n10"
    assert {s.train.data_size for s in plan_runs(sized)} == {10}  # every arm, the base one included
    assert {s.label for s in plan_runs(compose(["+exp=data_size", "scale=tiny"]))} == {"none", "lora", "s0"}


@pytest.mark.parametrize("exp, scale, n, batch", [("passk", "full", 16, 8), ("passk", "tiny", 16, 16),
                                                   ("alpha_qwen", "tiny", 16, 16)])
def test_sampled_experiments_draw_n_samples_on_top_of_their_greedy_eval(exp, scale, n, batch):
    cfg = compose([f"+exp={exp}", f"scale={scale}"])
    assert (cfg.eval.sampled.n, cfg.eval.sampled.temperature, cfg.eval.batch_size) == (n, 0.7, batch)
    assert compose(["+exp=qwen3_5", "scale=tiny"]).eval.sampled.n == 0  # off unless an experiment asks


def test_passk_samples_with_the_authors_humaneval_budget():
    """1024 new tokens in the pass@k experiment (their HumanEval sampling helper), 512 in Table 1's greedy runs."""
    assert compose(["+exp=passk"]).eval.max_new_tokens == 1024
    assert compose(["+exp=qwen3_5"]).eval.max_new_tokens == 512


def test_every_ablation_target_names_existing_experiments():
    exps = set(group_options("exp"))
    for scale in ("full", "tiny"):
        dry = subprocess.run(["make", "-n", "reproduce-ablations", f"SCALE={scale}"], cwd=REPO_ROOT, capture_output=True,
                             text=True, timeout=60)
        assert dry.returncode == 0, dry.stderr
        named = re.findall(r"\+exp=(\w+)", dry.stdout)
        for line in dry.stdout.replace("\\\n", " ").splitlines():  # argparse: a sweep's -m before every override
            args = line.split("s0repro.run", 1)[1].split() if "s0repro.run" in line else []
            assert "-m" not in args[1:] and (not args or "results_dir=results" in args), line
        assert len(named) == 5 and set(named) <= exps, named
        runs = [line for line in dry.stdout.splitlines() if "s0repro.run" in line]
        assert len(runs) == 5 and all(f"scale={scale}" in line for line in runs), runs
