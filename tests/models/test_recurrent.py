"""Recurrent-layer discovery and the parameter counts the paper reports, on the meta device (no weights)."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM

from s0repro.methods import build_method
from s0repro.models import NoRecurrentLayersError, find_recurrent_layers, require_recurrent_layers
from s0repro.models.architectures import build_config
from tests.conftest import model_config


def meta_model(name: str):
    cfg = model_config(name)
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(build_config(cfg.arch, cfg.dims))


def test_tiny_gdn_layers_and_shapes(tiny_gdn):
    layers = find_recurrent_layers(tiny_gdn.model)
    assert [l.layer_idx for l in layers] == [0, 1, 2]  # layer 3 is full attention (interval 4)
    assert {l.kind for l in layers} == {"gated_deltanet"}
    assert {l.state_shape for l in layers} == {(4, 16, 16)}  # [num_v_heads, head_k_dim, head_v_dim]


def test_tiny_mamba2_layers_and_shapes(tiny_mamba2):
    layers = find_recurrent_layers(tiny_mamba2.model)
    assert [l.layer_idx for l in layers] == [0, 1]
    assert {l.state_shape for l in layers} == {(4, 16, 16)}  # [num_heads, head_dim, d_state]


def test_pure_transformer_has_none_and_s0_suggests_alternatives(tiny_transformer):
    assert find_recurrent_layers(tiny_transformer.model) == []
    with pytest.raises(NoRecurrentLayersError, match="method=lora or method=prefix"):
        require_recurrent_layers(tiny_transformer.model, "s0")
    with pytest.raises(NoRecurrentLayersError):
        build_method("s0").attach(tiny_transformer.model)


@pytest.mark.parametrize(
    ("name", "n_layers", "shape", "expected"),
    [
        ("qwen3_5_4b", 24, (32, 128, 128), 12_582_912),  # paper: 12.6M, ~48 MiB fp32
        ("falcon_h1_7b", 44, (24, 128, 256), 34_603_008),  # paper: 34.6M
    ],
)
def test_s0_parameter_count_at_real_size(name, n_layers, shape, expected):
    model = meta_model(name)
    layers = find_recurrent_layers(model)
    assert len(layers) == n_layers
    assert {l.state_shape for l in layers} == {shape}
    method = build_method("s0")
    method.attach(model)
    assert method.num_trainable_parameters() == expected
    assert method.trainable_bytes() == expected * 4
    method.detach()


def test_qwen2_control_has_no_recurrent_layers_at_real_size():
    assert find_recurrent_layers(meta_model("qwen2_5_3b")) == []
