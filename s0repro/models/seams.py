"""Everything a model needs before rows of a batch can start from given recurrent states (S0, an S0 bank).

- padding-neutral hooks on every recurrent layer (:mod:`s0repro.models.padding`);
- Mamba-1: the scan takes no initial state, so it enters as its exact effect outside the scan
  (:mod:`s0repro.models.mamba1`);
- Mamba-1 and Mamba-2: their single-step update (a one-token prompt) writes the new state into the state tensor it
  was given, in place, after using it; with a trainable S0 that tensor is needed by backward, which then raises.
  While the step runs with a state that requires grad, tensors autograd saves are copied at save time (only then,
  so generation and full prompts are untouched), so the in-place write no longer corrupts the graph.

Installed by :meth:`S0Method.attach` and :class:`S0Bank`; ``remove()`` restores the model exactly.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

import torch

from s0repro.models.cache import InitialStateCache
from s0repro.models.mamba1 import install_entry_hooks, wrap_scan
from s0repro.models.padding import PaddingNeutralHooks, install_padding_neutral_decay
from s0repro.models.recurrent import find_recurrent_layers
from s0repro.models.scan_patch import patch_function

STEP_FUNCTION = {"mamba2": "mamba2_selective_state_update", "mamba1": "mamba_selective_state_update"}


def _copy_if_trainable(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.clone() if tensor.requires_grad else tensor


def _grad_safe_step(original: Callable) -> Callable:
    @functools.wraps(original)
    def step(state, *args, **kwargs):
        if not (torch.is_grad_enabled() and state.requires_grad):
            return original(state, *args, **kwargs)
        with torch.autograd.graph.saved_tensors_hooks(_copy_if_trainable, lambda saved: saved):
            return original(state, *args, **kwargs)

    return step


def _pending(cache: object, layer_idx: int) -> torch.Tensor | None:
    return cache.pending_state(layer_idx) if isinstance(cache, InitialStateCache) else None


def install_initial_state_seams(model: torch.nn.Module) -> PaddingNeutralHooks:
    """Install the padding hooks, the Mamba-1 entry and the grad-safe single step; one handle list removes all."""
    hooks = install_padding_neutral_decay(model)
    modules = {}
    for layer in find_recurrent_layers(model):
        modules[type(layer.module).__module__] = layer.kind
        if layer.kind == "mamba1":
            hooks.handles.extend(install_entry_hooks(layer.module, _pending))
    for name, kind in modules.items():
        module = sys.modules[name]
        if kind in STEP_FUNCTION:
            hooks.handles.append(patch_function(module, STEP_FUNCTION[kind], _grad_safe_step))
        if kind == "mamba1":
            hooks.handles.append(patch_function(module, "mamba_selective_scan", wrap_scan))
    return hooks
