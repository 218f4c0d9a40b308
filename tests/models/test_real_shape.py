"""The paper's models at real width, head layout and bf16 on CPU: every method's whole life cycle.

Weights cannot be downloaded here, so each hub config's recorded dims build its real architecture with random weights
and depth cut to one layer pattern (s0repro/models/real_shape.py). For every applicable method: attach, one training
step with the paper's settings (S0's fp32 state into the bf16 model, its preset lr, L2 and clip), greedy generation
with left padding, save, load into a freshly built model, and the same tokens again. Slow: ``make test-all``.
"""

from __future__ import annotations

import copy

import pytest
import torch

from s0repro.conf import method_preset
from s0repro.methods import build_method
from s0repro.models import find_recurrent_layers
from s0repro.models.real_shape import build_real_shape, pattern_depth, real_shape_dims
from s0repro.train import TrainConfig, TrainExample, train
from tests.conftest import model_config

HUB_MODELS = ["qwen3_5_0_8b", "qwen3_5_2b", "qwen3_5_4b", "qwen3_5_9b", "falcon_h1_7b", "qwen2_5_3b"]
PROMPTS = ["def add(a, b):\n", "def is_even(n):\n    \"\"\"True if n is even.\"\"\"\n"]  # unequal: left padding
EXAMPLE = TrainExample(prompt="def double(x):\n", completion="    return 2 * x\n")
NEW_TOKENS = 3


# Methods each model is run with in the paper's experiments (conf/exp): the scaling family only with S0; the state
# offset (implemented for both families) on Falcon-H1 too, where `make gpu-check` also times it.
METHODS = {
    "qwen3_5_4b": ["none", "lora", "s0", "state_offset"],
    "falcon_h1_7b": ["none", "lora_falcon", "s0", "state_offset"],
    "qwen2_5_3b": ["none", "lora", "prefix"],
}
SCALING_METHODS = ["none", "s0"]


def _methods(name: str) -> list[tuple[str, dict]]:
    """(registry name, conf/method preset) of every method the model is run with."""
    presets = [method_preset(stem) for stem in METHODS.get(name, SCALING_METHODS)]
    return [(preset["name"], preset) for preset in presets]


def _generate(model, tokenizer, method) -> torch.Tensor:
    enc = tokenizer(PROMPTS, return_tensors="pt", padding=True)
    assert (enc["attention_mask"][:, 0] == 0).any(), "the batch must be left-padded"
    with torch.no_grad():
        out = model.generate(**enc, **method.model_kwargs(len(PROMPTS)), max_new_tokens=NEW_TOKENS,
                             min_new_tokens=NEW_TOKENS, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    return out[:, enc["input_ids"].shape[1]:]


def _life_cycle(loaded, fresh, method_name: str, preset: dict, tmp_path) -> None:
    """Attach, train one step, generate, save, detach; attach to the pristine copy, load, generate the same tokens."""
    weights = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    method = build_method(method_name, preset)
    model = method.attach(loaded.model)
    params = method.trainable_parameters()
    before = [p.detach().clone() for p in params]
    if params:
        result = train(method, loaded.tokenizer, [EXAMPLE],
                       TrainConfig(steps=1, lr=preset["lr"], batch=0, grad_clip=1.0, progress=False))
        assert all(torch.isfinite(torch.tensor(result.losses))), result.losses
        moved = sum(not torch.equal(b, p.detach()) for b, p in zip(before, params, strict=True))
        assert moved > 0, f"{method_name}: one step changed no trainable parameter"
    if method_name in ("s0", "state_offset"):
        assert {p.dtype for p in params} == {torch.float32}, "the state is fp32 in a bf16 model"
    tokens = _generate(model, loaded.tokenizer, method)
    assert tokens.shape == (len(PROMPTS), NEW_TOKENS)
    method.save(tmp_path / method_name)
    base = method.detach()
    for key, value in base.state_dict().items():  # training and detaching left every frozen weight as it was
        assert torch.equal(value, weights[key]), key

    again = build_method(method_name, preset)
    model2 = again.attach(fresh.model)
    again.load(tmp_path / method_name)
    assert torch.equal(_generate(model2, fresh.tokenizer, again), tokens), f"{method_name}: reload changed tokens"
    again.detach()


def _check_shape(cfg, loaded) -> None:
    """The built model has the real width, head layout and dtype of the recorded dims."""
    config = loaded.model.config
    for key, value in real_shape_dims(cfg).items():
        if key not in ("vocab_size", "num_hidden_layers", "full_attention_interval"):  # interval -> layer_types
            assert getattr(config, key) == value, key
    assert config.num_hidden_layers == pattern_depth(cfg)
    assert {p.dtype for p in loaded.model.parameters()} <= {torch.bfloat16, torch.float32}
    assert loaded.model.get_input_embeddings().weight.dtype == torch.bfloat16
    layers = find_recurrent_layers(loaded.model)
    d = cfg.dims
    if cfg.arch == "qwen3_5":
        assert config.layer_types == ["linear_attention"] * 3 + ["full_attention"]
        assert [l.layer_idx for l in layers] == [0, 1, 2]  # layer 3 is the full-attention one
        assert {l.state_shape for l in layers} == {(d["linear_num_value_heads"], d["linear_key_head_dim"],
                                                    d["linear_value_head_dim"])}
    elif cfg.arch == "falcon_h1":
        assert [l.layer_idx for l in layers] == [0, 1]
        assert {l.state_shape for l in layers} == {(d["mamba_n_heads"], d["mamba_d_head"], d["mamba_d_state"])}
    else:
        assert layers == []


def _family(names: list[str], tmp_path) -> None:
    torch.set_num_threads(min(2, torch.get_num_threads()))
    for name in names:
        cfg = model_config(name)
        loaded = build_real_shape(cfg)
        _check_shape(cfg, loaded)
        fresh = copy.deepcopy(loaded)  # a second, untouched model with the same weights to load artefacts into
        for method_name, preset in _methods(name):
            _life_cycle(loaded, fresh, method_name, preset, tmp_path / name)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in HUB_MODELS if n.startswith("qwen3_5")])
def test_qwen3_5_family_at_real_shape(name, tmp_path):
    _family([name], tmp_path)


@pytest.mark.slow
def test_falcon_h1_at_real_shape(tmp_path):
    _family(["falcon_h1_7b"], tmp_path)


@pytest.mark.slow
def test_qwen2_control_at_real_shape(tmp_path):
    _family(["qwen2_5_3b"], tmp_path)


def test_depth_cut_keeps_the_layer_pattern():
    """Fast: the cut dims (not the model) for every hub config."""
    for name in HUB_MODELS:
        cfg = model_config(name)
        dims = real_shape_dims(cfg)
        assert dims["num_hidden_layers"] == {"qwen3_5": 4, "falcon_h1": 2, "qwen2": 2}[cfg.arch]
        assert dims["hidden_size"] == cfg.dims["hidden_size"]
    with pytest.raises(ValueError, match="3:1 pattern"):
        real_shape_dims(model_config("qwen3_5_4b"), layers=6)
