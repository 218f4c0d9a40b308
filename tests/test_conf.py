"""The configuration: every experiment composes, typos are one line, seeds parse, arms expand into the right cells."""

from __future__ import annotations

import pytest
import yaml

from s0repro.conf import (
    CONF_DIR,
    arm_label,
    arm_labels,
    compose,
    expand_suite,
    group_options,
    parse_seeds,
    plan_runs,
    to_settings,
)
from s0repro.errors import UserError
from s0repro.methods import REGISTRY, method_config
from s0repro.run import precheck

EXPERIMENTS = group_options("exp")


def test_the_paper_experiments_are_all_there():
    expected = {"qwen3_5", "falcon_h1", "prefix_control", "transfer_gsm8k", "transfer_math500", "spider",
                "lora_budget", "scaling", "table1"}
    assert expected <= set(EXPERIMENTS)
    assert not [e for e in EXPERIMENTS if e.startswith("tiny_")]  # one file an experiment: scale=tiny sizes it


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
    members = expand_suite(compose(["+exp=table1", "scale=tiny", "seed=0"]), ["+exp=table1", "scale=tiny", "seed=0"])
    assert [m.exp_name for m, _ in members] == ["tiny_qwen3_5", "tiny_falcon_h1"]
    assert all(m.seed == 0 for m, _ in members)


def test_table1_arms_and_seeds_match_the_paper():
    qwen = plan_runs(compose(["+exp=qwen3_5"]))
    assert [s.seed for s in qwen if s.label == "s0"] == [42, 7, 123, 1337, 999, 314, 256, 777, 555, 2024]
    assert {s.label for s in qwen} == {"none", "lora", "state_offset", "s0", "s0_unverified"}
    assert {s.label for s in qwen if s.ours} == {"s0_unverified"}  # the control is ours, marked as such
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
    (["method=s0", "method.alpah=1"], "unknown config key 'method.alpah'; allowed keys there: name, lr, steps, tiny, alpha"),
    (["+exp=qwen3_5", "arms.s0.train.stepz=2"], "unknown config key 'arms.s0.train.stepz'; allowed keys there:"),
    (["+exp=nope"], "unknown exp 'nope'; choose one of: "),
    (["model=gpt5"], "unknown model 'gpt5'"),
    (["method=magic"], "unknown method 'magic'"),
    (["task=mmlu"], "unknown task 'mmlu'"),
    (["model.arch=llama"], "model.arch='llama' is not one of"),
    (["logger.kind=tensorboard"], "logger.kind='tensorboard'"),
    (["+colour=blue"], "unknown config key 'colour'"),
    (["seed='3..1'"], "seed='3..1'"),
    (["+exp=qwen3_5", "scale=tiny", "model=tiny_gdn", "method=prefix"], "does not compare method 'prefix'"),
    (["+exp=layer_groups", "method=s0_late"], "arm=s0_late runs that arm (arms of layer_groups: none, s0_early, "),
    (["+exp=layer_groups", "arm=s0_lat"], "experiment layer_groups has no arm 's0_lat'; its arms are none, s0_early"),
    (["model=tiny_gdn"], "nothing to run"),
    (["-m", "+exp=qwen3_5", "scale=tiny", "seed=0,1", "train.stpes=2"], "unknown config key 'train.stpes'"),  # a sweep
    (["-m", "+exp=qwen3_5", "scale=tiny", "seed=0,a"], "seed='a'"),
    (["-m", "+exp=qwen3_5,nope", "scale=tiny"], "unknown exp 'nope'"),
    (["eval.baseline=each"], "eval.baseline='each' is not one of ('shared', 'per_seed')"),
    (["train.sample_max_new_tokens=0"], "train.sample_max_new_tokens=0 must be >= 1"),
])
def test_bad_input_is_one_line_naming_the_key(overrides, expected):
    with pytest.raises(UserError) as info:
        precheck(overrides)
    message = str(info.value)
    assert expected in message and "\n" not in message


def test_method_narrows_an_experiment_and_unverified_gets_its_own_label():
    base = ["+exp=qwen3_5", "scale=tiny", "model=tiny_gdn", "seed=0..1"]
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
    args = ["+exp=qwen3_5", "scale=tiny", "model=tiny_gdn", "method=lora", "method.r=2", "train.batch=3", "seed=0"]
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
    # r, alpha, and the preset's own values for a tiny model (conf/scale: r 8 for the r48 arm)
    assert {k for k in lora if lora[k] != r48[k]} == {"r", "alpha", "tiny"} and (r48.r, r48.alpha) == (48, 96.0)
    text = (CONF_DIR / "method" / "lora_r48.yaml").read_text()
    assert "target_modules" not in text and "lora" in yaml.safe_load(text)["defaults"]


def test_method_files_are_typed_by_their_config_dataclass():
    with pytest.raises(UserError, match="bad value for method.r"):
        compose(["method=lora", "method.r=many"])


def tiny_arms() -> int:
    """How many arms qwen3_5 compares at scale tiny: counts below follow the experiment, not a number written here."""
    return len(arm_labels(compose(["+exp=qwen3_5", "scale=tiny"])))


def test_a_plan_above_max_cells_is_refused_with_its_size_and_the_override():
    arms = tiny_arms()
    args = ["+exp=qwen3_5", "scale=tiny", "seed=0..100000"]
    with pytest.raises(UserError) as info:
        precheck(args)
    cells = arms * 100_001
    assert str(info.value) == (f"this asks for {cells:,} cells ({arms} methods x 100,001 seeds), more than "
                               f"max_cells=1000; add max_cells={cells} to run them all (or choose fewer seeds)")
    seeds = 1000 // arms  # at most 1,000 cells: allowed without the override
    at_limit = ["+exp=qwen3_5", "scale=tiny", f"seed=0..{seeds - 1}"]
    assert len(plan_runs(compose(at_limit), at_limit)) == arms * seeds


def test_a_large_plan_types_each_arm_once_and_stamps_its_seeds(monkeypatch):
    import s0repro.conf.plan as plan

    typed = []
    real = plan.typed_method_config
    monkeypatch.setattr(plan, "typed_method_config", lambda name, *a: typed.append(name) or real(name, *a))
    args = ["+exp=qwen3_5", "scale=tiny", "seed=0..2999", f"max_cells={3000 * tiny_arms()}"]
    specs = plan_runs(compose(args), args)
    assert len(specs) == 3000 * tiny_arms() and sorted(typed) == sorted(s.method for s in specs if s.seed == 0)  # once an arm
    assert [(s.label, s.seed) for s in specs[:6]] == [(label, 0) for label in
                                                      ("none", "lora", "state_offset", "s0", "s0_unverified")] + [
        ("none", 1)]
    first, last = specs[3], specs[-2]  # s0 at seed 0 and at seed 2999: the same arm, another seed
    assert (first.label, last.label, last.seed) == ("s0", "s0", 2999)
    assert first.method_config == last.method_config and first.train == last.train


@pytest.mark.parametrize("args", [["method.lr=abc"], ["+exp=qwen3_5", "scale=tiny", "method.lr=0.1"], ["+method.lr=0.1"],
                                  ["+exp=qwen3_5", "scale=tiny", "+method.lr=0.1"]])
def test_method_keys_without_a_method_say_that_they_need_one(args):
    with pytest.raises(UserError) as info:
        precheck(args)
    presets = group_options("method")  # every conf/method file, a plug-in's included
    assert str(info.value).startswith(f"method.lr needs a method: add method=<name> before it (one of: "
                                      f"{', '.join(presets)})")
    assert {"lora", "none", "prefix", "s0", "state_offset"} <= set(presets)


def test_a_multirun_sweep_counts_all_its_jobs_against_max_cells():
    arms = tiny_arms()
    jobs = 1000 // arms + 1  # one job more than max_cells allows
    with pytest.raises(UserError) as info:
        precheck(["-m", "+exp=qwen3_5", "scale=tiny", f"seed=range(0,{jobs})"])
    assert str(info.value) == (f"this asks for {jobs * arms:,} cells ({jobs} sweep jobs of {arms} cells like the "
                               f"first), more than max_cells=1000; add max_cells={jobs * arms} to run them all (or "
                               "choose fewer seeds)")
    precheck(["-m", "+exp=qwen3_5", "scale=tiny", f"seed=range(0,{jobs})", f"max_cells={jobs * arms}"])
    precheck(["-m", "+exp=qwen3_5", "scale=tiny", f"seed=range(0,{jobs - 1})"])  # within max_cells: no override needed


@pytest.mark.parametrize("exp, batch, cleanup, sample_budget", [
    ("qwen3_5", 1, "authors", 1024), ("falcon_h1", 1, "authors", 1024), ("lora_budget", 1, "authors", 1024),
    ("prefix_control", 1, "authors", 1024), ("scaling", 1, "authors", 1024), ("layer_groups", 1, "authors", 1024),
    ("transfer_gsm8k", 8, "authors", 512), ("transfer_math500", 16, "authors", 1024), ("spider", 8, "authors", 512),
])
def test_paper_experiments_score_as_the_authors_did(exp, batch, cleanup, sample_budget):
    """The authors' clean-up in the paper's experiments, one prompt at a time (eval=paper) where they evaluated so
    (HumanEval), batched with pads that decay S0 where they batched (the transfer tasks: 8 / 16 / 8, with ours,
    exact, evaluated beside)."""
    settings = to_settings(compose([f"+exp={exp}"]))
    ev, tr = settings.eval, settings.train
    assert (ev.batch_size, ev.cleanup, ev.baseline, tr.sample_max_new_tokens) == (batch, cleanup, "shared",
                                                                                 sample_budget)
    authors_batched = exp in ("transfer_gsm8k", "transfer_math500", "spider")
    assert (ev.pads, ev.exact_beside) == (("decay", True) if authors_batched else ("neutral", False))


def test_eval_fast_and_per_seed_baseline_override_an_experiment():
    ev = to_settings(compose(["+exp=qwen3_5", "eval=fast", "eval.baseline=per_seed"])).eval
    assert (ev.batch_size, ev.cleanup, ev.baseline) == (8, "authors", "per_seed")
    assert to_settings(compose(["eval=paper"])).eval.batch_size == 1


def test_the_k16_variant_changes_only_k_the_name_and_the_seed():
    """conf/exp/qwen3_5_k16.yaml: Table 1's Qwen experiment with 16 samples per problem, one seed, nothing else."""
    from dataclasses import asdict

    k4, k16 = (asdict(to_settings(compose([f"+exp={e}"]))) for e in ("qwen3_5", "qwen3_5_k16"))
    assert (k4["train"].pop("samples_per_problem"), k16["train"].pop("samples_per_problem")) == (4, 16)
    assert (k16.pop("exp_name"), k16.pop("seed")) == ("qwen3_5_k16", [42])
    k4.pop("exp_name"), k4.pop("seed")
    assert k16 == k4


@pytest.mark.parametrize("args, labels", [
    (["+exp=lora_budget", "method=lora_r64"], ["lora_r64"]),  # the arm built from that preset, not every LoRA arm
    (["+exp=lora_budget", "method=lora"], ["lora_r24"]),
    (["+exp=layer_groups", "method=s0"], ["s0_early", "s0_middle", "s0_late", "s0_all"]),  # no preset arm: by method
    (["+exp=layer_groups", "arm=s0_late"], ["s0_late"]),
    (["+exp=prefix_control", "arm=prefix_lr1e-3"], ["prefix_lr1e-3"]),
    (["+exp=lora_budget", "arm=[lora_r64,none]"], ["lora_r64", "none"]),
    (["+exp=lora_budget", "arm='lora_r64,none'"], ["lora_r64", "none"]),  # the command line quotes a,b (normalise_argv)
])
def test_arms_are_picked_by_the_label_results_use(args, labels):
    assert list(dict.fromkeys(s.label for s in plan_runs(compose(args), args))) == labels


def test_a_comma_list_of_arms_is_one_run_not_a_sweep():
    from s0repro.run.cli import normalise_argv

    assert normalise_argv(["+exp=lora_budget", "arm=lora_r64,none"]) == ["+exp=lora_budget", "arm='lora_r64,none'"]
