"""The four kinds of recurrent mixer transformers ships, told apart by the scan function each one calls.

A mixer is recurrent when its methods read ``cache.get_recurrent_state``; its kind is the module-level scan function
its methods call (read from their bytecode, so a renamed class or a new model built from the same parts is found
without a list of class names):

============== =================================== ======================================= ===========================
kind           scan function                       state per layer                         models (transformers 5.24)
============== =================================== ======================================= ===========================
gated_deltanet ``torch_chunk_gated_delta_rule``    [value heads, key dim, value dim]       qwen3_5(_moe), qwen3_next,
                                                                                           olmo_hybrid
mamba2         ``mamba2_chunk_scan``               [heads, head dim, state size]           falcon_h1, bamba, mamba2,
                                                                                           granitemoehybrid,
                                                                                           nemotron_h, zamba2
kda            ``chunk_kimi_delta_attention``      [heads, head dim, head dim]             kimi_linear
mamba1         ``mamba_selective_scan``            [channels, state size]                  mamba, falcon_mamba, jamba
============== =================================== ======================================= ===========================

Each kind also names the projections whose outputs set the per-token step size and write strength (the padding
hooks drive them to "no step" at pad positions) -- found by attribute, since the families spell them differently.
"""

from __future__ import annotations

import inspect
import types
from dataclasses import dataclass

from torch import nn

KINDS = ("gated_deltanet", "mamba2", "kda", "mamba1")
SCAN_FUNCTION = {
    "gated_deltanet": "torch_chunk_gated_delta_rule",
    "mamba2": "mamba2_chunk_scan",
    "kda": "chunk_kimi_delta_attention",
    "mamba1": "mamba_selective_scan",
}
READS_STATE = "get_recurrent_state"


def called_names(cls: type) -> frozenset[str]:
    """Every global and attribute name the methods of the class and its bases (not torch's) refer to, decorators
    unwrapped."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("torch") or klass is object:
            continue
        for value in vars(klass).values():
            fn = inspect.unwrap(value) if callable(value) else None
            if isinstance(fn, types.FunctionType):
                names.update(fn.__code__.co_names)
    return frozenset(names)


def kind_of(module: nn.Module) -> str | None:
    """The mixer kind of ``module``, or None when it is no recurrent mixer (or one of a kind not supported)."""
    names = called_names(type(module))
    if READS_STATE not in names or not hasattr(module, "layer_idx"):
        return None
    found = [kind for kind, scan in SCAN_FUNCTION.items() if scan in names]
    return found[0] if len(found) == 1 else None


def state_shape(module: nn.Module, kind: str) -> tuple[int, ...]:
    """The per-row shape of the state the mixer's cache layer carries."""
    if kind == "gated_deltanet":
        return module.num_v_heads, module.head_k_dim, module.head_v_dim
    if kind == "mamba2":
        return module.num_heads, module.head_dim, module.ssm_state_size
    if kind == "kda":
        return module.num_heads, module.head_dim, module.head_dim
    return module.intermediate_size, module.ssm_state_size


@dataclass(frozen=True)
class PadTarget:
    """A projection whose output columns ``columns`` are step-size / write-gate pre-activations."""

    projection: nn.Linear
    columns: slice


def pad_targets(module: nn.Module, kind: str) -> list[PadTarget]:
    """Where a large negative pre-activation means "no decay and no write" for this kind.

    - GatedDeltaNet: the decay input ``a`` and the write strength ``b`` (separate ``in_proj_a`` / ``in_proj_b``,
      Qwen3-Next's fused ``in_proj_ba``, OLMo-Hybrid's ``a_proj`` / ``b_proj``): softplus -> 0, sigmoid -> 0.
    - Mamba-2: the last ``num_heads`` columns of ``in_proj`` (dt): softplus(dt + dt_bias) -> 0.
    - KDA: the forget gate's ``f_b_proj`` (softplus -> 0 per channel) and ``b_proj`` (beta, sigmoid -> 0).
    - Mamba-1: none. Its dt comes from ``dt_proj.weight @ x_proj(x)`` with no module call in between, so it cannot
      be reached at pad positions; pads are handled where S0 enters instead (:mod:`s0repro.models.mamba1`).
    """
    everything = slice(None)
    if kind == "gated_deltanet":
        names = ("in_proj_ba",) if hasattr(module, "in_proj_ba") else ("in_proj_a", "in_proj_b")
        if hasattr(module, "a_proj"):
            names = ("a_proj", "b_proj")
        return [PadTarget(getattr(module, n), everything) for n in names]
    if kind == "mamba2":
        return [PadTarget(module.in_proj, slice(-module.num_heads, None))]
    if kind == "kda":
        return [PadTarget(module.forget_gate.f_b_proj, everything), PadTarget(module.b_proj, everything)]
    return []
