"""Per-step state offset (after Kang et al. 2025, "State-offset Tuning"): a learned dS added to every read-out.

One fp32 offset per recurrent layer, the same shape as S0 and zero-initialised. Where S0 changes only where the
recurrence *starts*, the offset enters the output at *every* step, prefill and decode alike:

- GatedDeltaNet, KDA:  o_t = (S_t + dS)^T q_t  = S_t^T q_t + dS^T q_t
- Mamba-2, Mamba-1:    y_t = C_t (h_t + h')    = C_t h_t  + C_t h'

so the method is "the base scan, plus one extra read-out term" -- that extra matmul per token is its per-step cost.

How the term gets in. transformers' mixers call module-level scan functions (``torch_chunk_gated_delta_rule``,
``torch_recurrent_gated_delta_rule``; ``mamba2_chunk_scan``, ``mamba2_selective_state_update``); with fla or
mamba-ssm installed those same names dispatch to the kernels. On attach we wrap those names (reference-counted,
restored on the last detach) with a function that calls whatever implementation is there and then adds
``dS^T q~_t`` / ``C_t h'``, computed outside the scan from the very tensors the scan received: q~ is q normalised
exactly as the kernels do it (GQA head repeat, L2 norm with eps 1e-6, scale K^-1/2), C is used as is. So the torch
fallback and the kernels get the same term. The wrappers do nothing unless one of *our* mixers is running (a forward
pre-hook marks it active, a forward hook that always runs clears it), so other models in the process, and the model
after ``detach()``, compute exactly what they did. Mamba-2's fused training path (``mamba2_split_conv1d_scan_combined``,
kernel only, includes out_proj) has no place for the term; while an offset is active it returns None, which makes the
mixer take its decomposed path. Not covered: a hub kernel that replaces the whole GatedDeltaNet forward
(transformers' ``use_kernels=True`` on SM121 GPUs) bypasses the scan functions; this repo never enables it.

``where=recurrence`` is the paper's words read the other way: dS added to the state inside the recurrence at every
step, where it accumulates through the decay (:mod:`s0repro.methods.offset_recurrence`); ``readout`` (Kang et al.)
stays the default. Every result records which one ran (``method.where``).
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.hooks import RemovableHandle
from transformers import PreTrainedModel

from s0repro.errors import UserError
from s0repro.methods.base import (
    InferenceCost,
    MethodConfig,
    register,
)
from s0repro.methods.layer_state import LayerSpec, LayerStateMethod, check_layer_spec
from s0repro.methods.offset_recurrence import gdn_offset_recurrence, mamba2_offset_weights
from s0repro.models.recurrent import RecurrentLayer

QK_L2NORM_EPS = 1e-6  # fla's l2norm eps, which transformers' fallback copies
OFFSET_PLACES = ("readout", "recurrence")
RECURRENCE_KINDS = ("gated_deltanet", "mamba2")  # the kinds whose scans carry dS inside the recurrence (the paper's two)  # o_t = (S_t + dS)^T q_t (Kang et al.) | S_t = step(S_{t-1}) + dS


@dataclass
class StateOffsetConfig(MethodConfig):
    name: str = "state_offset"
    lr: float = 1e-3  # same optimiser settings as S0, so the paired comparison differs only in where dS enters
    steps: int = 20
    batch: int = 0  # examples per optimiser step (train.batch); 0 = a full pass, as for S0
    l2: float = 5e-4  # lambda * sum ||dS||_F^2, S0's penalty (the paper does not state one for the offset)
    layers: LayerSpec = None  # null = all; early/middle/late/all (thirds by depth) or decoder-layer indices
    where: str = "readout"  # readout: Kang et al.'s o_t = (S_t + dS)^T q_t | recurrence: dS added to S_t every step

    def __post_init__(self) -> None:
        if self.l2 < 0:
            raise UserError(f"method.l2={self.l2} must be >= 0")
        if self.where not in OFFSET_PLACES:
            raise UserError(f"method.where={self.where!r} is not one of {OFFSET_PLACES}")
        check_layer_spec(self.layers)


# -- the extra read-out terms (plain torch, shared by the fallback and the kernel paths) -------------------------------
def gdn_offset_readout(query: torch.Tensor, offset: torch.Tensor, *, qk_l2norm: bool) -> torch.Tensor:
    """dS^T q~ per token. query [B, T, Hk, K] as handed to the scan; offset [Hv, K, V]; returns [B, T, Hv, V] fp32."""
    q = query.float()
    num_v_heads = offset.shape[0]
    if q.shape[2] != num_v_heads:  # grouped value attention: consecutive value heads share a key head
        q = q.repeat_interleave(num_v_heads // q.shape[2], dim=2)
    if qk_l2norm:
        q = q * torch.rsqrt((q * q).sum(dim=-1, keepdim=True) + QK_L2NORM_EPS)
    q = q * q.shape[-1] ** -0.5
    return torch.einsum("bthk,hkv->bthv", q, offset.float())


def mamba1_offset_readout(c: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """C h' per token and channel. c [B, N, T] (or [B, N] for one step); offset [D, N]; returns [B, D, T] / [B, D]."""
    return torch.einsum("bn...,dn->bd...", c.float(), offset.float())


def mamba2_offset_readout(c: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """C h' per token. c [..., G, N] (groups of heads); offset [H, P, N]; returns [..., H, P] fp32."""
    num_heads = offset.shape[0]
    c = c.float().repeat_interleave(num_heads // c.shape[-2], dim=-2)
    return torch.einsum("...hn,hpn->...hp", c, offset.float())


# -- which offset is live (set while one of our mixers runs) -----------------------------------------------------------
class _Live(threading.local):
    def __init__(self) -> None:
        self.stack: list[tuple[torch.Tensor, str]] = []  # (offset, where) of the mixer running

    @property
    def offset(self) -> torch.Tensor | None:
        return self.stack[-1][0] if self.stack else None

    @property
    def in_recurrence(self) -> bool:
        return bool(self.stack) and self.stack[-1][1] == "recurrence"


_LIVE = _Live()


def _wrap_gdn(original: Callable) -> Callable:
    @functools.wraps(original)
    def scan_with_offset(query, key, value, *args, **kwargs):
        out = original(query, key, value, *args, **kwargs)
        offset = _LIVE.offset
        if offset is None:
            return out
        core, state = out
        l2 = bool(kwargs.get("use_qk_l2norm_in_kernel", False))
        if not _LIVE.in_recurrence:
            return core + gdn_offset_readout(query, offset, qk_l2norm=l2).to(core.dtype), state
        g, beta = (kwargs["g"], kwargs["beta"]) if "g" in kwargs else args[:2]
        extra, carried = gdn_offset_recurrence(query, key, g, beta, offset, qk_l2norm=l2)
        return core + extra.to(core.dtype), None if state is None else state + carried.to(state.dtype)

    return scan_with_offset


def _gated(extra: torch.Tensor, z: torch.Tensor | None) -> torch.Tensor:
    return extra if z is None else extra * F.silu(z.float())


def _wrap_mamba2_chunk(original: Callable) -> Callable:
    @functools.wraps(original)
    def chunk_scan_with_offset(hidden_states, dt, A, B, C, *args, **kwargs):
        out = original(hidden_states, dt, A, B, C, *args, **kwargs)
        offset = _LIVE.offset
        if offset is None:
            return out
        y, rest = (out[0], out[1:]) if isinstance(out, tuple) else (out, None)
        extra = _gated(mamba2_offset_readout(C, offset), kwargs.get("z"))  # [B, T, H, P]
        if _LIVE.in_recurrence:  # the state holds c_t decayed copies of dS after step t
            c = mamba2_offset_weights(dt, A, dt_bias=kwargs.get("dt_bias"), dt_softplus=kwargs.get("dt_softplus", False),
                                      dt_limit=kwargs.get("dt_limit", (0.0, float("inf"))))
            extra = extra * c[..., None]
            if rest:
                rest = (rest[0] + (c[:, -1, :, None, None] * offset.float()).to(rest[0].dtype), *rest[1:])
        y = y + extra.reshape(y.shape).to(y.dtype)
        return y if rest is None else (y, *rest)

    return chunk_scan_with_offset


def _wrap_mamba2_step(original: Callable) -> Callable:
    @functools.wraps(original)
    def state_update_with_offset(state, hidden_states, dt, A, B, C, *args, **kwargs):
        out = original(state, hidden_states, dt, A, B, C, *args, **kwargs)
        offset = _LIVE.offset
        if offset is None:
            return out
        extra = _gated(mamba2_offset_readout(C, offset), kwargs.get("z"))  # [B, H, P]
        if _LIVE.in_recurrence:  # the step updated ``state`` in place; dS joins it there
            state.add_(offset.to(state.dtype))
        return out + extra.reshape(out.shape).to(out.dtype)

    return state_update_with_offset


def _wrap_mamba2_fused(original: Callable) -> Callable:
    @functools.wraps(original)
    def fused_or_decline(*args, **kwargs):
        if _LIVE.offset is not None:
            return None  # the mixer then takes its decomposed path, where the term is added
        return original(*args, **kwargs)

    return fused_or_decline


def _wrap_mamba1_scan(original: Callable) -> Callable:
    @functools.wraps(original)
    def scan_with_offset(hidden_states, dt, A, B, C, *args, **kwargs):
        out = original(hidden_states, dt, A, B, C, *args, **kwargs)
        offset = _LIVE.offset
        if offset is None:
            return out
        y, rest = (out[0], out[1:]) if isinstance(out, tuple) else (out, None)
        y = y + _gated(mamba1_offset_readout(C, offset), kwargs.get("z")).to(y.dtype)  # [B, D, T]
        return y if rest is None else (y, *rest)

    return scan_with_offset


def _wrap_mamba1_step(original: Callable) -> Callable:
    @functools.wraps(original)
    def state_update_with_offset(state, hidden_states, dt, A, B, C, *args, **kwargs):
        out = original(state, hidden_states, dt, A, B, C, *args, **kwargs)
        offset = _LIVE.offset
        if offset is None:
            return out
        return out + _gated(mamba1_offset_readout(C, offset), kwargs.get("z")).to(out.dtype)  # [B, D]

    return state_update_with_offset


SCAN_WRAPPERS: dict[str, dict[str, Callable[[Callable], Callable]]] = {
    "gated_deltanet": {
        "torch_chunk_gated_delta_rule": _wrap_gdn,
        "torch_recurrent_gated_delta_rule": _wrap_gdn,
    },
    "mamba2": {
        "mamba2_chunk_scan": _wrap_mamba2_chunk,
        "mamba2_selective_state_update": _wrap_mamba2_step,
        "mamba2_split_conv1d_scan_combined": _wrap_mamba2_fused,
    },
    "kda": {  # the same read-out as GatedDeltaNet (q L2-normalised in the kernel, scaled by K^-1/2)
        "chunk_kimi_delta_attention": _wrap_gdn,
        "recurrent_kimi_delta_attention": _wrap_gdn,
    },
    "mamba1": {
        "mamba_selective_scan": _wrap_mamba1_scan,
        "mamba_selective_state_update": _wrap_mamba1_step,
        "mamba_inner_fn": _wrap_mamba2_fused,  # fused training path (kernel only): declined, as for Mamba-2
    },
}
# the names a mixer must call for the term to reach every step (the fused one is optional: kernel only)
_REQUIRED = {
    "gated_deltanet": ["torch_chunk_gated_delta_rule", "torch_recurrent_gated_delta_rule"],
    "mamba2": ["mamba2_chunk_scan", "mamba2_selective_state_update"],
    "kda": ["chunk_kimi_delta_attention", "recurrent_kimi_delta_attention"],
    "mamba1": ["mamba_selective_scan", "mamba_selective_state_update"],
}
_ORIGINALS: dict[tuple[str, str], Callable] = {}
_USERS: dict[str, int] = {}
_PATCH_LOCK = threading.Lock()


def _modeling_module(layer: RecurrentLayer) -> ModuleType:
    module = sys.modules[type(layer.module).__module__]
    missing = [n for n in _REQUIRED[layer.kind] if not callable(getattr(module, n, None))]
    if missing:
        raise UserError(
            f"method=state_offset cannot patch {type(layer.module).__name__}: {module.__name__} has no {missing} "
            "(transformers version not supported; this repo pins 5.24.0)"
        )
    return module


def _patch(module: ModuleType, kind: str) -> None:
    with _PATCH_LOCK:
        if _USERS.get(module.__name__, 0) == 0:
            for fn_name, wrapper in SCAN_WRAPPERS[kind].items():
                original = getattr(module, fn_name, None)
                if callable(original):
                    _ORIGINALS[(module.__name__, fn_name)] = original
                    setattr(module, fn_name, wrapper(original))
        _USERS[module.__name__] = _USERS.get(module.__name__, 0) + 1


def _unpatch(module: ModuleType) -> None:
    with _PATCH_LOCK:
        _USERS[module.__name__] -= 1
        if _USERS[module.__name__] > 0:
            return
        del _USERS[module.__name__]
        for key in [k for k in _ORIGINALS if k[0] == module.__name__]:
            setattr(module, key[1], _ORIGINALS.pop(key))


def patched_modules() -> list[str]:
    """Names of the modeling modules whose scan functions are currently wrapped (for tests and debugging)."""
    return sorted(_USERS)


@register
class StateOffsetMethod(LayerStateMethod):
    name = "state_offset"
    inference_cost = InferenceCost.PER_STEP
    config_class = StateOffsetConfig
    artefact_files = ("state_offset.safetensors", "state_offset_config.json")
    artefact_what = "state offset"
    tensor_key = "offset"

    def __init__(self, config: StateOffsetConfig | None = None) -> None:
        super().__init__(config)
        self._handles: list[RemovableHandle] = []
        self._modules: list[ModuleType] = []

    def attach(self, model: PreTrainedModel) -> nn.Module:
        self._attach_states(model)
        other = sorted({l.kind for l in self.layers} - set(RECURRENCE_KINDS))
        if self.config.where == "recurrence" and other:
            raise UserError(f"method.where=recurrence is implemented for {' and '.join(RECURRENCE_KINDS)} layers, and "
                            f"this model has {', '.join(other)}; use method.where=readout there")
        modules = {id(m): (m, l.kind) for l in self.layers for m in [_modeling_module(l)]}
        for module, kind in modules.values():
            _patch(module, kind)
            self._modules.append(module)
        for layer in self.layers:
            self._handles.extend(self._activate_during_forward(layer))
        self.model = self.base_model = model
        return model

    def _activate_during_forward(self, layer: RecurrentLayer) -> list[RemovableHandle]:
        offset, where = self.states[str(layer.layer_idx)], self.config.where

        def push(_module: nn.Module, _args: tuple) -> None:
            _LIVE.stack.append((offset, where))

        def pop(_module: nn.Module, _args: tuple, _output: Any) -> None:
            if _LIVE.stack:
                _LIVE.stack.pop()

        return [layer.module.register_forward_pre_hook(push),
                layer.module.register_forward_hook(pop, always_call=True)]

    def detach(self) -> PreTrainedModel:
        model = self._require_attached()
        for handle in self._handles:
            handle.remove()
        for module in self._modules:
            _unpatch(module)
        self._handles, self._modules = [], []
        self.model = self.base_model = None
        return model

    def describe(self) -> dict[str, Any]:
        note = {"readout": "one extra read-out matmul per token and recurrent layer",
                "recurrence": "dS added to the state every step (accumulates through the decay)"}[self.config.where]
        return {**super().describe(), "where": self.config.where, "note": note}
