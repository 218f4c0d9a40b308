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
from transformers import AutoModelForCausalLM, PretrainedConfig, PreTrainedModel

from s0repro.models.recurrent import RecurrentLayer, find_recurrent_layers

LONG_MEMORY_KINDS = ("gated_deltanet", "mamba2")
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
