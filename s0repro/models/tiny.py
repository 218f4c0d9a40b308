"""Tiny models of the real families, with recurrent heads that remember.

transformers' default decay init (GatedDeltaNet: dt_bias=1, A~U(0.01,16); Falcon-H1: dt_bias=1, A=1..H) makes a
small model's heads forget an initial state within a few tokens, and then S0 has nothing to act on. Real checkpoints
have long-memory heads, so tiny ones are initialised the way flash-linear-attention and mamba-ssm do it:
A ~ U(0, 16) (Mamba: U(1, 16)) and dt ~ log-uniform(1e-3, 1e-1) stored through the inverse softplus.

That init alone is not enough at tiny scale (measured, see ``assets/tiny/*/build_record.json``): with 4 heads a layer
the random draw rarely lands on the long end of the range, and pre-training then grows the *input-dependent* part of
the step size (the dt / ``a`` projection: its per-token spread rose ~10x) into forgetting spikes, which the
independent, one-problem-per-sequence corpus rewards; A_log and dt_bias themselves barely move. A real model has
hundreds of heads, some of which stay slow. :func:`pin_slow_decay` gives a tiny model such heads on purpose: a few
heads per layer get the slow end of the same init range (A = 1, dt = 1e-3 * 2^i) with no input-dependent step, and
keep it through training (their keys, values, gates and outputs still train).
"""

from __future__ import annotations

import math

import torch
from transformers import (
    AutoModelForCausalLM,
    PretrainedConfig,
    PreTrainedModel,
    Qwen3_5ForConditionalGeneration,
)
from transformers.models.qwen3_5.configuration_qwen3_5 import Qwen3_5Config

from s0repro.models.recurrent import RecurrentLayer, find_recurrent_layers

LONG_MEMORY_KINDS = ("gated_deltanet", "mamba2")
# The vision tower a tiny Qwen3.5 is stored with: one block, as small as the class allows. It is never run (the tasks
# are text); it is there so that the checkpoint has the real repository's layout.
TINY_VISION = {"depth": 1, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2, "patch_size": 4,
               "spatial_merge_size": 2, "temporal_patch_size": 2, "num_position_embeddings": 16}
SLOW_DT = 1e-3  # pinned head i steps dt = SLOW_DT * 2**i with A = 1: the long end of mamba-ssm's / fla's init range


def _inverse_softplus(x: torch.Tensor) -> torch.Tensor:
    return x + torch.log(-torch.expm1(-x))


@torch.no_grad()
def init_long_memory(model: PreTrainedModel, generator: torch.Generator) -> None:
    """Re-initialise the decay parameters (A_log, dt_bias: one per head) of every GatedDeltaNet / Mamba-2 layer for
    long memory (KDA and Mamba-1 keep transformers' init, whose per-channel ranges are already the reference ones)."""
    for layer in find_recurrent_layers(model):
        if layer.kind not in LONG_MEMORY_KINDS:
            continue
        mixer = layer.module
        n = mixer.A_log.numel()
        low = 0.0 if layer.kind == "gated_deltanet" else 1.0
        a = torch.rand(n, generator=generator) * (16.0 - low) + low
        a = a.clamp_min(1e-4)  # keeps log(A) finite
        dt = torch.exp(torch.rand(n, generator=generator) * (math.log(1e-1) - math.log(1e-3)) + math.log(1e-3))
        mixer.A_log.copy_(torch.log(a).to(mixer.A_log))
        mixer.dt_bias.copy_(_inverse_softplus(dt).to(mixer.dt_bias))


def build_tiny_model(config: PretrainedConfig, seed: int) -> PreTrainedModel:
    """A randomly initialised model of ``config``'s family; deterministic in ``seed``."""
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    init_long_memory(model, torch.Generator().manual_seed(seed))
    return model.eval()


def hub_layout(model: PreTrainedModel, seed: int) -> PreTrainedModel:
    """``model`` in the class its real repository stores: Qwen3.5 as ``Qwen3_5ForConditionalGeneration`` (the text
    model's weights, plus a tiny vision tower seeded by ``seed``); Falcon-H1 and Qwen2 are already stored as their
    causal-LM classes. ``AutoModelForCausalLM`` loads the multimodal checkpoint back as ``Qwen3_5ForCausalLM``,
    dropping the vision tower, as it does for the real Qwen3.5."""
    if type(model).__name__ != "Qwen3_5ForCausalLM":
        return model
    text = model.config
    config = Qwen3_5Config(text_config=text.to_dict(), vision_config={**TINY_VISION, "out_hidden_size": text.hidden_size},
                           tie_word_embeddings=text.tie_word_embeddings)
    torch.manual_seed(seed)
    full = Qwen3_5ForConditionalGeneration(config).to(next(model.parameters()).dtype)
    full.model.language_model.load_state_dict(model.model.state_dict(), strict=True)
    if not text.tie_word_embeddings:
        full.lm_head.load_state_dict(model.lm_head.state_dict())
    full.generation_config = model.generation_config
    return full.eval()


def step_projection(layer: RecurrentLayer) -> torch.Tensor:
    """The weight rows that make each head's step size input-dependent, one row per head ([heads, hidden])."""
    mixer = layer.module
    if layer.kind == "gated_deltanet":  # g = -exp(A_log) * softplus(in_proj_a(x) + dt_bias)
        return mixer.in_proj_a.weight
    return mixer.in_proj.weight[-mixer.num_heads:]  # Mamba-2: in_proj's last rows are dt, one per head


def pin_slow_decay(model: PreTrainedModel, heads_per_layer: int) -> list[torch.utils.hooks.RemovableHandle]:
    """Give heads ``0 .. heads_per_layer-1`` of every recurrent layer a fixed slow decay and keep it fixed.

    Pinned head i gets A = 1, dt_bias = softplus^-1(SLOW_DT * 2**i) and a zero step projection, so its per-token
    log-decay is exactly ``-SLOW_DT * 2**i`` whatever the input; gradient hooks zero those entries' gradients (AdamW
    then leaves them alone provided A_log / dt_bias are not weight-decayed, as in mamba-ssm). Returns the hooks'
    handles (remove them to train everything).
    """
    handles = []
    for layer in find_recurrent_layers(model):
        mixer = layer.module
        n = min(heads_per_layer, mixer.A_log.numel())
        if n <= 0:
            continue
        with torch.no_grad():
            mixer.A_log[:n] = 0.0
            dt = SLOW_DT * 2.0 ** torch.arange(n, dtype=torch.float32)
            mixer.dt_bias[:n] = _inverse_softplus(dt).to(mixer.dt_bias)
            step_projection(layer)[:n] = 0.0
        for param, rows in ((mixer.A_log, n), (mixer.dt_bias, n)):
            handles.append(param.register_hook(_zero_rows(0, rows)))
        weight = mixer.in_proj_a.weight if layer.kind == "gated_deltanet" else mixer.in_proj.weight
        first = 0 if layer.kind == "gated_deltanet" else weight.shape[0] - mixer.num_heads
        handles.append(weight.register_hook(_zero_rows(first, first + n)))
    return handles


def _zero_rows(start: int, stop: int):
    """A gradient hook that zeroes rows ``start:stop`` (returns a new tensor: hooks must not modify in place)."""
    def hook(grad: torch.Tensor) -> torch.Tensor:
        grad = grad.clone()
        grad[start:stop] = 0.0
        return grad
    return hook
