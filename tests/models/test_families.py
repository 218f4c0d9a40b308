"""Mixer kinds found by the scan function they call; refusals; one-token prompts train; pads stay neutral."""

from __future__ import annotations

import pytest
import torch
from transformers import CONFIG_MAPPING, AutoModelForCausalLM

from s0repro.methods import build_method
from s0repro.models import NoRecurrentLayersError, find_recurrent_layers
from s0repro.models.families import kind_of
from s0repro.models.recurrent import SUPPORTED_TYPES
from s0repro.models.support import support_config
from s0repro.models.tokenizer import build_char_tokenizer
from s0repro.tools.support import build

REFUSED_CONFIGS = {
    "minimax": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
                    num_key_value_heads=1, head_dim=32, num_local_experts=2, num_experts_per_tok=1,
                    layer_types=["linear_attention", "full_attention"]),
    "xlstm": dict(hidden_size=64, embedding_dim=64, num_hidden_layers=1, num_heads=2),
    "rwkv": dict(hidden_size=64, num_hidden_layers=1, attention_hidden_size=64, intermediate_size=128),
    "recurrent_gemma": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
                            num_key_value_heads=1, head_dim=32, lru_width=64, block_types=["recurrent", "attention"]),
}
REASON = {"minimax": "lightning attention", "xlstm": "xLSTMCache", "rwkv": "no attention mask",
          "recurrent_gemma": "resets its state at position 0"}


@pytest.mark.parametrize("model_type", sorted(REFUSED_CONFIGS))
def test_unreachable_recurrences_are_refused_in_one_line_naming_the_supported(model_type):
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(CONFIG_MAPPING[model_type](vocab_size=64,
                                                                            **REFUSED_CONFIGS[model_type]))
    with pytest.raises(NoRecurrentLayersError) as err:
        build_method("s0").attach(model)
    message = str(err.value)
    assert "\n" not in message and REASON[model_type] in message
    assert message.endswith("supported: " + ", ".join(SUPPORTED_TYPES))


def test_support_config_refuses_an_unknown_type_naming_the_supported():
    with pytest.raises(ValueError, match=r"rwkv.*no attention mask.*supported: qwen3_5, "):
        support_config("rwkv", vocab_size=64, pad_token_id=0, eos_token_id=1)


def test_detection_is_by_scan_function_not_class_name():
    tok = build_char_tokenizer()
    model = build("granitemoehybrid", tok)  # its mixer class ends in "MambaLayer", not "Mixer"
    (layer,) = find_recurrent_layers(model)
    renamed = type("SomethingElse", (type(layer.module),), {})
    layer.module.__class__ = renamed
    assert kind_of(layer.module) == "mamba2"
    assert kind_of(model.model.layers[1].self_attn) is None  # attention reads no recurrent state


@pytest.mark.parametrize("model_type", ["falcon_h1", "mamba"])
def test_a_one_token_prompt_trains(model_type):
    """The single-step update writes its state in place; the gradient must still reach S0, and equal the one the
    same prompt gives through the full scan path (two tokens, the first of which is then masked out as padding).
    Two layers: only then does the step's decay depend on S0 (through layer 0), so autograd keeps the state that the
    step overwrites, and backward raised before the fix."""
    tok = build_char_tokenizer()
    model = build(model_type, tok, num_hidden_layers=2)
    method = build_method("s0", {"alpha": 1.0, "alpha_mode": "train_and_inference"})
    method.attach(model)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in method.trainable_parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    ids = tok(["x"], return_tensors="pt")
    model(**ids, **method.model_kwargs(1, training=True)).logits[0, -1].logsumexp(-1).backward()
    one_step = [p.grad.clone() for p in method.trainable_parameters()]
    assert all(g.abs().max() > 0 for g in one_step)
    for p in method.trainable_parameters():
        p.grad = None
    padded = tok(["xy"], return_tensors="pt")
    padded["input_ids"][0, 0] = tok.pad_token_id
    padded["input_ids"][0, 1] = ids["input_ids"][0, 0]
    padded["attention_mask"][0, 0] = 0
    model(**padded, **method.model_kwargs(1, training=True)).logits[0, -1].logsumexp(-1).backward()
    for a, b in zip(one_step, (p.grad for p in method.trainable_parameters()), strict=True):
        assert torch.allclose(a, b, atol=1e-4 * b.abs().max().item(), rtol=0)
