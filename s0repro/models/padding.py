"""Make left-padding positions leave a recurrent state untouched ("neutral decay").

With left padding, transformers zeroes the pad positions' inputs, so k, v (GatedDeltaNet) and x, B (Mamba-2) are zero
there, but the per-head decay still applies: exp(g) for GatedDeltaNet, exp(A * dt) for Mamba-2. A zero state does not
care; a learned initial state S0 fades by decay^pad_len, so a short prompt in a batch with a long one would see a
weaker S0 than it sees alone. (The authors' batched evaluations suffer from this.)

Our mechanism: at pad positions we drive the step size to zero by writing a large negative pre-activation into the
projections that produce it, so the decay is exp(0) = 1 and the write is zero:
- GatedDeltaNet: ``in_proj_a`` -> softplus(a + dt_bias) = 0 so g = 0; ``in_proj_b`` -> sigmoid(b) = 0 so beta = 0.
- Mamba-2 (Falcon-H1): the dt slice of ``in_proj`` -> softplus(dt + dt_bias) = 0 so dA = 1 and dt * B * x = 0.
Because only the projections' outputs change, the torch fallback and the fla / mamba-ssm kernels see the same thing.
The mask reaches the mixer as its ``attention_mask`` kwarg (transformers trims it to the local sequence and passes
None for decode steps and unpadded batches, in which case the hooks do nothing).

:meth:`PaddingNeutralHooks.pads_decay` switches the hooks off for a while: the authors' batched transfer evaluation
(``eval.pads=decay``), where each row's S0 fades by the per-head decay of its pad positions, as in their code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

from s0repro.models.recurrent import RecurrentLayer, find_recurrent_layers

# softplus(-1e4) and sigmoid(-1e4) are exactly 0 in fp32 and bf16, and -1e4 is finite in fp16.
NEUTRAL_PREACTIVATION = -1.0e4


@dataclass
class _MaskHolder:
    mask: torch.Tensor | None = None


@dataclass
class PaddingNeutralHooks:
    """Handles of the installed hooks; ``remove()`` restores the model exactly."""

    handles: list[RemovableHandle] = field(default_factory=list)
    active: bool = True  # False inside pads_decay(): pad positions decay the state as without the hooks

    @contextmanager
    def pads_decay(self) -> Iterator[None]:
        """Let pad positions decay the state (the authors' batched evaluation) until the block ends."""
        self.active = False
        try:
            yield
        finally:
            self.active = True

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles.clear()


def _fill_pads(holder: _MaskHolder, columns: slice, hooks: PaddingNeutralHooks) -> Callable:
    def hook(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> torch.Tensor | None:
        mask = holder.mask
        if not hooks.active or mask is None or mask.shape[1] != output.shape[1]:
            return None
        pads = ~mask.to(torch.bool)
        if not pads.any():
            return None
        output = output.clone()
        target = output[..., columns]
        output[..., columns] = target.masked_fill(pads[..., None], NEUTRAL_PREACTIVATION)
        return output

    return hook


def _install_one(layer: RecurrentLayer, hooks: PaddingNeutralHooks) -> list[RemovableHandle]:
    holder = _MaskHolder()
    mixer = layer.module

    def capture(_module: nn.Module, args: tuple, kwargs: dict) -> None:
        # Every mixer call overwrites the mask (decode steps pass None), so no stale mask outlives its forward.
        holder.mask = kwargs.get("attention_mask")

    handles = [mixer.register_forward_pre_hook(capture, with_kwargs=True)]
    if layer.kind == "gated_deltanet":
        everything = slice(None)
        handles.append(mixer.in_proj_a.register_forward_hook(_fill_pads(holder, everything, hooks)))
        handles.append(mixer.in_proj_b.register_forward_hook(_fill_pads(holder, everything, hooks)))
    else:  # mamba2: in_proj output is [gate | x B C | dt]; dt is the last num_heads columns
        handles.append(mixer.in_proj.register_forward_hook(_fill_pads(holder, slice(-mixer.num_heads, None), hooks)))
    return handles


def install_padding_neutral_decay(model: nn.Module) -> PaddingNeutralHooks:
    """Install the hooks on every recurrent layer of ``model`` (a no-op on a pure Transformer)."""
    hooks = PaddingNeutralHooks()
    for layer in find_recurrent_layers(model):
        hooks.handles.extend(_install_one(layer, hooks))
    return hooks
