"""The configuration: every experiment composes, typos are one line, seeds parse, arms expand into the right cells."""

from __future__ import annotations

import pytest
import yaml

from s0repro.conf import CONF_DIR, arm_label, compose, expand_suite, group_options, parse_seeds, plan_runs
from s0repro.errors import UserError
from s0repro.methods import REGISTRY, method_config
from s0repro.run import precheck

EXPERIMENTS = group_options("exp")


def test_the_paper_experiments_are_all_there():
    expected = {"qwen3_5", "falcon_h1", "prefix_control", "transfer_gsm8k", "transfer_math500", "spider",
                "lora_budget", "scaling", "tiny_qwen3_5", "tiny_falcon_h1", "tiny_prefix_control"}
    assert expected <= set(EXPERIMENTS)


@pytest.mark.parametrize("exp", EXPERIMENTS)
def test_every_experiment_composes_and_plans(exp):
    cfg = compose([f"+exp={exp}"])
    assert cfg.exp_name.startswith(exp)
    for member, overrides in expand_suite(cfg, [f"+exp={exp}"]):  # a suite: each of its experiments
        specs = plan_runs(member, overrides)
        seeds = {s.seed for s in specs}
        labels = {s.label for s in specs}
        assert len(specs) == len(seeds) * len(labels)
        assert "none" in labels  # every comparison is against the frozen base
        assert all(s.exp == member.exp_name and s.task == member.task.name for s in specs)


def test_tiny_table1_runs_both_table1_columns():
    members = expand_suite(compose(["+exp=tiny_table1", "seed=0"]), ["+exp=tiny_table1", "seed=0"])
    assert [m.exp_name for m, _ in members] == ["tiny_qwen3_5", "tiny_falcon_h1"]
    assert all(m.seed == 0 for m, _ in members)


def test_table1_arms_and_seeds_match_the_paper():
    qwen = plan_runs(compose(["+exp=qwen3_5"]))
    assert [s.seed for s in qwen if s.label == "s0"] == [42, 7, 123, 1337, 999, 314, 256, 777, 555, 2024]
    assert {s.label for s in qwen} == {"none", "lora", "state_offset", "s0"}
    falcon = plan_runs(compose(["+exp=falcon_h1"]))
    lora = next(s for s in falcon if s.label == "lora")
    assert lora.method_config["lr"] == pytest.approx(1e-4)
    assert "in_proj" in lora.method_config["target_modules"]
    assert {s.seed for s in falcon} == {42, 7, 123}
    budget = {s.label: s.method_config["r"] for s in plan_runs(compose(["+exp=lora_budget", "seed=1"]))
              if s.method == "lora"}
    assert budget == {"lora_r24": 24, "lora_r48": 48, "lora_r64": 64}


def test_scaling_puts_the_model_in_the_experiment_name():
    cfg = compose(["+exp=scaling", "model=qwen3_5_9b"])
    assert cfg.exp_name == "scaling_qwen3_5_9b"
    assert cfg.model.hub_id == "Qwen/Qwen3.5-9B"


@pytest.mark.parametrize("spec, seeds", [
    (0, [0]), ("0..2", [0, 1, 2]), ("3..3", [3]), ("42,7,123", [42, 7, 123]), ([42, 7], [42, 7]),
    ("5", [5]), ("1,1,2", [1, 2]),
])
def test_seed_specs(spec, seeds):
    assert parse_seeds(spec) == seeds


@pytest.mark.parametrize("spec", ["3..1", "a", "1,a", "-1", [], True, "0..", 1.5])
def test_bad_seed_specs_are_one_line(spec):
    with pytest.raises(UserError) as info:
        parse_seeds(spec)
    assert "\n" not in str(info.value) and "seed" in str(info.value)


def test_seed_zero_is_a_real_seed():
    specs = plan_runs(compose(["model=tiny_gdn", "method=s0", "seed=0"]))
    assert [s.seed for s in specs] == [0]


@pytest.mark.parametrize("overrides, expected", [
    (["train.stpes=3"], "unknown config key 'train.stpes'; allowed keys there: steps"),
    (["train.batch=abc"], "bad value for train.batch"),
    (["method=s0", "method.alpah=1"], "unknown config key 'method.alpah'; allowed keys there: name, lr, steps, alpha"),
    (["+exp=qwen3_5", "arms.s0.train.stepz=2"], "unknown config key 'arms.s0.train.stepz'; allowed keys there:"),
    (["+exp=nope"], "unknown exp 'nope'; choose one of: "),
    (["model=gpt5"], "unknown model 'gpt5'"),
    (["method=magic"], "unknown method 'magic'"),
    (["task=mmlu"], "unknown task 'mmlu'"),
    (["model.arch=llama"], "model.arch='llama' is not one of"),
    (["logger.kind=tensorboard"], "logger.kind='tensorboard'"),
    (["+colour=blue"], "unknown config key 'colour'"),
    (["seed='3..1'"], "seed='3..1'"),
    (["+exp=tiny_qwen3_5", "model=tiny_gdn", "method=prefix"], "does not compare method 'prefix'"),
    (["model=tiny_gdn"], "nothing to run"),
    (["-m", "+exp=tiny_qwen3_5", "seed=0,1", "train.stpes=2"], "unknown config key 'train.stpes'"),  # a sweep
    (["-m", "+exp=tiny_qwen3_5", "seed=0,a"], "seed='a'"),
    (["-m", "+exp=tiny_qwen3_5,nope"], "unknown exp 'nope'"),
])
def test_bad_input_is_one_line_naming_the_key(overrides, expected):
    with pytest.raises(UserError) as info:
        precheck(overrides)
    message = str(info.value)
    assert expected in message and "\n" not in message


def test_method_narrows_an_experiment_and_unverified_gets_its_own_label():
    base = ["+exp=tiny_qwen3_5", "model=tiny_gdn", "seed=0..1"]
    everything = plan_runs(compose(base))
    assert [s.label for s in everything[:5]] == ["none", "lora", "state_offset", "s0", "s0_unverified"]
    assert [(s.seed, s.label) for s in everything][::5] == [(0, "none"), (1, "none")]  # seeds outermost
    only = plan_runs(compose([*base, "method=s0"]), [*base, "method=s0"])
    assert [(s.label, s.seed, s.train.verified) for s in only] == [("s0", 0, True), ("s0", 1, True)]
    control = [*base, "method=s0", "train.verified=false"]
    only = plan_runs(compose(control), control)
    assert [(s.label, s.train.verified) for s in only] == [("s0_unverified", False)] * 2
    assert arm_label("s0", "s0", False) == "s0_unverified" and arm_label("none", "none", False) == "none"


def test_command_line_overrides_beat_the_experiment():
    args = ["+exp=tiny_qwen3_5", "model=tiny_gdn", "method=lora", "method.r=2", "train.batch=3", "seed=0"]
    (spec,) = plan_runs(compose(args), args)
    assert spec.method_config["r"] == 2  # the experiment says 4
    assert spec.method_config["lr"] == pytest.approx(5e-3)  # the experiment's value survives where not overridden
    assert spec.train.batch == 3
    train = spec.train.resolve(type("M", (), {"steps": 50, "lr": 5e-3, "batch": 1})(), seed=0, progress=False)
    assert (train.steps, train.batch, train.seed) == (50, 3, 0)


def test_method_presets_fill_steps_lr_and_batch():
    args = ["model=tiny_gdn", "method=lora", "seed=7"]
    (spec,) = plan_runs(compose(args), args)
    train = spec.train.resolve(method_config(spec.method, spec.method_config), seed=spec.seed, progress=False)
    assert (train.steps, train.lr, train.batch, train.seed) == (50, pytest.approx(5e-4), 1, 7)


def test_every_method_file_is_a_valid_config_of_its_method():
    for name in group_options("method"):
        args = ["model=tiny_gdn", f"method={name}"]
        (spec,) = plan_runs(compose(args), args)
        assert spec.method == compose(args).method.name and spec.method in REGISTRY


def test_a_lora_preset_inherits_lora_and_changes_only_what_it_says():
    lora = compose(["method=lora"]).method
    r48 = compose(["method=lora_r48"]).method
    assert {k for k in lora if lora[k] != r48[k]} == {"r", "alpha"} and (r48.r, r48.alpha) == (48, 96.0)
    text = (CONF_DIR / "method" / "lora_r48.yaml").read_text()
    assert "target_modules" not in text and "lora" in yaml.safe_load(text)["defaults"]


def test_method_files_are_typed_by_their_config_dataclass():
    with pytest.raises(UserError, match="bad value for method.r"):
        compose(["method=lora", "method.r=many"])
