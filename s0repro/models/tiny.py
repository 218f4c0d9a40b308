"""Tiny models of the real families, with recurrent heads that remember.

transformers' default decay init (GatedDeltaNet: dt_bias=1, A~U(0.01,16); Falcon-H1: dt_bias=1, A=1..H) makes a
small model's heads forget an initial state within a few tokens, and then S0 has nothing to act on. Real checkpoints
have long-memory heads, so tiny ones are initialised the way flash-linear-attention and mamba-ssm do it:
A ~ U(0, 16) (Mamba: U(1, 16)) and dt ~ log-uniform(1e-3, 1e-1) stored through the inverse softplus.
"""

from __future__ import annotations

import math

import torch
from transformers import AutoModelForCausalLM, PretrainedConfig, PreTrainedModel

from s0repro.models.recurrent import find_recurrent_layers


def _inverse_softplus(x: torch.Tensor) -> torch.Tensor:
    return x + torch.log(-torch.expm1(-x))


@torch.no_grad()
def init_long_memory(model: PreTrainedModel, generator: torch.Generator) -> None:
    """Re-initialise every recurrent layer's decay parameters (A_log, dt_bias) for long memory."""
    for layer in find_recurrent_layers(model):
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
