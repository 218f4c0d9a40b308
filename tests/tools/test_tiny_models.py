"""The tiny-checkpoint builder: exact evaluation format, weighted loss, pinned slow heads, deterministic,
self-describing checkpoints, no pipeline stage imports it; and the shipped tiny checkpoints load, are small, and score
their recorded base pass@1 on the held-out minicode split."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from s0repro.data import render_prompt
from s0repro.data.minicode import load_minicode
from s0repro.models import ModelConfig, find_recurrent_layers, load_model
from s0repro.models.architectures import build_config
from s0repro.models.tiny import SLOW_DT, build_tiny_model, step_projection
from s0repro.models.tokenizer import IM_END, build_char_tokenizer
from s0repro.paths import REPO_ROOT
from s0repro.tools.tiny_models import (
    HABIT_FAMILIES,
    RECORD_FILE,
    PretrainConfig,
    _batch,
    _lr_factor,
    _param_groups,
    hub_config,
    init_previous_token_heads,
    load_model_yaml,
    main,
    measure_base_score,
    pretrain,
)

SHIPPED = ["minicode_gdn", "minicode_mamba2", "minicode_transformer"]
TINY_STEPS = PretrainConfig(steps=3, batch=2, warmup=1, threads=1, pinned_heads=2)


def _dims(name: str) -> dict:
    tokenizer = build_char_tokenizer()
    return {"vocab_size": len(tokenizer), "pad_token_id": tokenizer.pad_token_id,
            **load_model_yaml(REPO_ROOT / f"conf/model/{name}.yaml").dims}


def test_no_pipeline_stage_imports_the_builder():
    stages = REPO_ROOT / "s0repro"
    offenders = [str(path.relative_to(REPO_ROOT)) for path in stages.rglob("*.py")
                 if "tools" not in path.parts and "tiny_models" in path.read_text()]
    assert offenders == []


def test_optimiser_does_not_weight_decay_the_decay_parameters():
    model = build_tiny_model(build_config("falcon_h1", _dims("tiny_mamba2")), seed=0)
    plain, exempt = _param_groups(model, 0.01)
    names = {id(p): n for n, p in model.named_parameters()}
    assert plain["weight_decay"] == 0.01 and exempt["weight_decay"] == 0.0
    assert sorted({names[id(p)].rsplit(".", 1)[-1] for p in exempt["params"]}) == ["A_log", "D", "dt_bias"]
    assert len(plain["params"]) + len(exempt["params"]) == len(list(model.parameters()))


def test_batch_weights_prompt_body_and_padding():
    tokenizer = load_model(load_model_yaml(REPO_ROOT / "conf/model/tiny_gdn.yaml")).tokenizer
    ids, weights = _batch(tokenizer, [("ab", "xy"), ("abcd", "z")], prompt_weight=0.1)
    assert ids.shape == (2, 6)  # "abcd" + "z" + <|im_end|>
    assert weights[0].tolist() == pytest.approx([0.1, 0.1, 1.0, 1.0, 1.0, 0.0])
    assert weights[1].tolist() == pytest.approx([0.1, 0.1, 0.1, 0.1, 1.0, 1.0])
    assert ids[1, -1].item() == tokenizer.convert_tokens_to_ids(IM_END)
    assert ids[0, -1].item() == tokenizer.pad_token_id


def test_lr_schedule_warms_up_then_decays_to_a_tenth():
    cfg = PretrainConfig(steps=100, warmup=10)
    assert _lr_factor(0, cfg) == pytest.approx(0.1)
    assert _lr_factor(9, cfg) == pytest.approx(1.0)
    assert _lr_factor(99, cfg) == pytest.approx(0.1, abs=0.01)
    assert HABIT_FAMILIES and cfg.wrong_rate_habit > 0.5 > cfg.wrong_rate_other


def test_pretrain_is_deterministic_and_writes_a_loadable_checkpoint(tmp_path):
    model_cfg = load_model_yaml(REPO_ROOT / "conf/model/tiny_gdn.yaml")
    first = pretrain(model_cfg, TINY_STEPS, tmp_path / "a", log_every=0)
    second = pretrain(model_cfg, TINY_STEPS, tmp_path / "b", log_every=0)
    # the same seed on the same machine gives the same weights, byte for byte
    assert (tmp_path / "a" / "model.safetensors").read_bytes() == (tmp_path / "b" / "model.safetensors").read_bytes()
    assert first["loss_curve"] == second["loss_curve"] and len(first["loss_curve"]) == 3
    assert first["loss_curve"][-1] < first["loss_curve"][0]
    other = pretrain(model_cfg, replace(TINY_STEPS, seed=1), tmp_path / "c", log_every=0)
    assert other["loss_curve"] != first["loss_curve"]
    record = json.loads((tmp_path / "a" / RECORD_FILE).read_text())
    assert record["steps"] == 3 and record["pretrain"]["seed"] == 0 and record["arch"] == "qwen3_5"
    assert record["stored_as"] == "Qwen3_5ForConditionalGeneration" and record["cores"] == os.cpu_count()
    assert record["minutes"] >= 0 and record["cpu_minutes"] >= 0 and len(record["load_average"]) == 2
    loaded = load_model(hub_config(tmp_path / "a", REPO_ROOT / "conf/model/tiny_gdn.yaml"))
    assert type(loaded.model).__name__ == "Qwen3_5ForCausalLM"
    assert loaded.model.generation_config.eos_token_id == [loaded.tokenizer.convert_tokens_to_ids(IM_END),
                                                            loaded.tokenizer.eos_token_id]
    assert record["params"] == sum(p.numel() for p in loaded.model.parameters())
    assert record["script"].endswith("--steps 3 --pinned-heads 2 --form-rate 0.7")
    init = find_recurrent_layers(build_tiny_model(loaded.model.config, seed=0))
    trained = find_recurrent_layers(loaded.model)
    assert len(trained) == 3
    for before, after in zip(init, trained, strict=True):  # pinned heads 0-1 kept their slow decay, head 2+ trained
        mixer = after.module
        assert mixer.A_log[:2].tolist() == [0.0, 0.0]
        assert torch.nn.functional.softplus(mixer.dt_bias[:2]).tolist() == pytest.approx([SLOW_DT, 2 * SLOW_DT],
                                                                                        rel=1e-4)
        assert step_projection(after)[:2].abs().max().item() == 0.0
        assert not torch.equal(mixer.A_log[2:], before.module.A_log[2:])
        assert not torch.equal(step_projection(after)[2:], step_projection(before)[2:])


def test_seeded_previous_token_head_attends_to_the_previous_token():
    fresh = build_tiny_model(build_config("qwen2", _dims("tiny_transformer")), seed=0)
    model = build_tiny_model(build_config("qwen2", _dims("tiny_transformer")), seed=0)
    init_previous_token_heads(model, 1)
    model.config._attn_implementation = "eager"  # returns attention weights
    ids = torch.randint(3, model.config.vocab_size, (2, 120), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        weights = model(input_ids=ids, output_attentions=True).attentions
    on_previous = weights[0][:, 0].diagonal(-1, dim1=-2, dim2=-1)  # layer 0, head 0: weight of token i on i - 1
    assert on_previous.min().item() > 0.9  # by position alone, whatever the tokens, at every distance from the start
    assert weights[1][:, 0].diagonal(-1, dim1=-2, dim2=-1).mean().item() < 0.5  # a later layer: not seeded
    for (name, after), before in zip(model.named_parameters(), fresh.parameters(), strict=True):
        touched = name.startswith("model.layers.0.self_attn.") and name.split(".")[-2] in ("q_proj", "k_proj")
        assert torch.equal(after, before) != touched, name


def test_bad_model_path_is_one_line(capsys):
    assert main(["--model", "conf/model/nope.yaml", "--out", "/tmp/never"]) == 2
    assert capsys.readouterr().err.strip().startswith("error: model config conf/model/nope.yaml not found")


# --- shipped checkpoints -----------------------------------------------------------------------------------------


def _shipped(name: str) -> tuple[ModelConfig, Path]:
    cfg = ModelConfig.from_yaml(REPO_ROOT / f"conf/model/{name}.yaml", device="cpu")
    checkpoint = REPO_ROOT / cfg.hub_id
    if not (checkpoint / "config.json").is_file():
        pytest.skip(f"{checkpoint} not built (make tiny-models)")
    return cfg, checkpoint


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_checkpoint_loads_small_and_recorded(name):
    cfg, checkpoint = _shipped(name)
    loaded = load_model(cfg)
    assert (checkpoint / "model.safetensors").stat().st_size < 3 * 2**20
    record = json.loads((checkpoint / RECORD_FILE).read_text())
    assert record["name"] == name and record["params"] == sum(p.numel() for p in loaded.model.parameters())
    for key in ("script", "steps", "final_loss", "minutes", "cpu_minutes", "build_minutes", "base_form_mix"):
        assert record[key] is not None, key
    scores = record["base_pass_at_1"]
    for mode in ("authors", "lenient"):
        low, high = record["base_pass_at_1_range"][mode]
        assert low <= scores[mode] <= high <= 0.8, mode  # not saturated
    assert scores["lenient"] >= scores["authors"]  # lenient passes every form the authors' clean-up passes


# Issue 22's calibration: base greedy pass@1 under the authors' clean-up >= 25 % and lenient minus authors >= 10 pp,
# so that both format and skill are there to learn. The two hybrids meet it (1,500 steps); the Transformer control,
# which only the prefix control uses, does not (11.9 % / 13.1 % at 1,500 steps, docs/tiny-models.md): strict, so a
# rebuild that meets it fails here until the mark is removed.
BELOW_BAR = pytest.mark.xfail(strict=True, reason="issue 22 bar not met by the shipped Transformer (docs/tiny-models.md)")


@pytest.mark.parametrize("name", [pytest.param(n, marks=BELOW_BAR if n == "minicode_transformer" else ())
                                  for n in SHIPPED])
def test_shipped_checkpoint_has_format_and_skill_to_learn(name):
    _cfg, checkpoint = _shipped(name)
    scores = json.loads((checkpoint / RECORD_FILE).read_text())["base_pass_at_1"]
    assert scores["authors"] >= 0.25 and scores["lenient"] - scores["authors"] >= 0.10


def test_shipped_transformer_keeps_its_seeded_previous_token_head():
    cfg, checkpoint = _shipped("minicode_transformer")
    loaded = load_model(cfg)
    record = json.loads((checkpoint / RECORD_FILE).read_text())
    assert record["pretrain"]["previous_token_heads"] == 1 and "copying_cause" in record
    loaded.model.config._attn_implementation = "eager"  # returns attention weights
    task = load_minicode(seed=0)
    ids = loaded.tokenizer(render_prompt(loaded.tokenizer, task, task.eval[0]), return_tensors="pt",
                           add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        weights = loaded.model(input_ids=ids, output_attentions=True).attentions
    assert weights[0][0, 0].diagonal(-1).mean().item() > 0.8  # training kept it


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_checkpoint_base_pass_at_1_in_recorded_range(name):
    _cfg, checkpoint = _shipped(name)
    record = json.loads((checkpoint / RECORD_FILE).read_text())
    result = measure_base_score(checkpoint, REPO_ROOT / f"conf/model/{name}.yaml")
    assert len(result.correct) == 84
    for mode, view in result.by_cleanup.items():
        low, high = record["base_pass_at_1_range"][mode]
        assert low <= view["score"] <= high, f"{name}: base pass@1 ({mode}) {view['score']:.3f} outside [{low}, {high}]"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_tiny_models_builds_every_shipped_checkpoint_from_nothing():
    """No earlier checkpoint and no git history: one builder command per shipped model, written where its config
    loads it from."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    done = subprocess.run(["make", "--no-print-directory", "-n", "-B", "tiny-models"], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    builds = [line for line in done.stdout.replace("\\\n", "").splitlines() if "s0repro.tools.tiny_models" in line]
    assert len(builds) == len(SHIPPED) and "git" not in done.stdout
    for name, line in zip(SHIPPED, builds, strict=True):
        hub_id = ModelConfig.from_yaml(REPO_ROOT / f"conf/model/{name}.yaml").hub_id
        assert f"--model conf/model/{name}.yaml" in line and f"--out {hub_id}" in line
        assert "--init-from" not in line and "--steps" in line
