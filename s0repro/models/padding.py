"""Make left-padding positions leave a recurrent state untouched ("neutral decay").

With left padding, transformers zeroes the pad positions' inputs, so k, v (GatedDeltaNet) and x, B (Mamba-2) are zero
there, but the per-head decay still applies: exp(g) for GatedDeltaNet, exp(A * dt) for Mamba-2. A zero state does not
care; a learned initial state S0 fades by decay^pad_len, so a short prompt in a batch with a long one would see a
weaker S0 than it sees alone. (The authors' batched evaluations suffer from this.)

Our mechanism: at pad positions we drive the step size to zero by writing a large negative pre-activation into the
projections that produce it (which ones, per kind: :func:`s0repro.models.families.pad_targets`), so the decay is
exp(0) = 1 and the write is zero. Because only the projections' outputs change, the torch fallback and the fla /
mamba-ssm kernels see the same thing. The mask reaches the mixer as its ``attention_mask`` kwarg (transformers trims it
to the local sequence and passes None for decode steps and unpadded batches, in which case the hooks do nothing).

Two kinds need more than the projections:
- Mamba-2 mixers that clamp dt to at least ``time_step_min`` (Nemotron-H, Zamba2: ``time_step_limit[0] > 0``) still
  decay by exp(A * t_min) at every pad. There the state a padded row is handed is divided by exactly that decay,
  exp(A * t_min * pads), so the state that reaches the row's first real token is its S0 (the zero state of an
  untuned row is untouched).
- Mamba-1 has no projection to reach (see :mod:`s0repro.models.mamba1`, which zeroes dt at pads where S0 enters).

:meth:`PaddingNeutralHooks.pads_decay` switches the hooks off for a while: the authors' batched transfer evaluation
(``eval.pads=decay``), where each row's S0 fades by the per-head decay of its pad positions, as in their code (the
projection hooks and the dt-floor correction; Mamba-1's pad handling is not switched, no transfer experiment uses it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

from s0repro.models.cache import InitialStateCache
from s0repro.models.families import pad_targets
from s0repro.models.recurrent import RecurrentLayer, find_recurrent_layers
from s0repro.models.scan_patch import ScanPatch

# softplus(-1e4) and sigmoid(-1e4) are exactly 0 in fp32 and bf16, and -1e4 is finite in fp16.
NEUTRAL_PREACTIVATION = -1.0e4


@dataclass
class _MaskHolder:
    mask: torch.Tensor | None = None


@dataclass
class PaddingNeutralHooks:
    """Handles of the installed hooks; ``remove()`` restores the model exactly."""

    handles: list[RemovableHandle | ScanPatch] = field(default_factory=list)  # hooks, and scan wrappers (seams)
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


def _undo_pad_floor(mixer: nn.Module, cache: object, mask: torch.Tensor) -> None:
    """Divide a padded row's pending initial state by the decay its pads will apply at dt = time_step_min."""
    if not isinstance(cache, InitialStateCache):
        return
    state = cache.pending_state(mixer.layer_idx)
    if state is None:
        return
    pads = (~mask.to(torch.bool)).sum(dim=1).to(torch.float32)  # [batch]
    log_decay = -torch.exp(mixer.A_log.float()) * float(mixer.time_step_limit[0])  # per pad step, [heads]
    scale = torch.exp(-pads[:, None] * log_decay[None, :]).to(state.device)  # [batch, heads]
    cache.replace_pending(mixer.layer_idx, state * scale.view(*scale.shape, *([1] * (state.dim() - 2))))


def _install_one(layer: RecurrentLayer, hooks: PaddingNeutralHooks) -> list[RemovableHandle]:
    holder = _MaskHolder()
    mixer = layer.module
    floor = layer.kind == "mamba2" and float(getattr(mixer, "time_step_limit", (0.0,))[0]) > 0

    def capture(_module: nn.Module, args: tuple, kwargs: dict) -> None:
        # Every mixer call overwrites the mask (decode steps pass None), so no stale mask outlives its forward.
        holder.mask = kwargs.get("attention_mask")
        if floor and hooks.active and holder.mask is not None and not holder.mask.to(torch.bool).all():
            _undo_pad_floor(mixer, kwargs.get("cache"), holder.mask)

    handles = [mixer.register_forward_pre_hook(capture, with_kwargs=True)]
    for target in pad_targets(mixer, layer.kind):
        handles.append(target.projection.register_forward_hook(_fill_pads(holder, target.columns, hooks)))
    return handles


def install_padding_neutral_decay(model: nn.Module) -> PaddingNeutralHooks:
    """Install the hooks on every recurrent layer of ``model`` (a no-op on a pure Transformer)."""
    hooks = PaddingNeutralHooks()
    for layer in find_recurrent_layers(model):
        hooks.handles.extend(_install_one(layer, hooks))
    return hooks
