"""S0 for Mamba-1 mixers: the initial state's exact effect, added outside a scan that always starts from zero.

transformers' Mamba-1 scan (``mamba_selective_scan``: the torch loop and mamba-ssm's ``selective_scan_fn`` alike)
takes no initial state. But the recurrence is linear in its state,

    h_t = dA_t * h_{t-1} + dB_t x_t,    dA_t = exp(dt_t A),    y_t = (C_t . h_t + D x_t) * silu(z_t),

so starting from S0 instead of zero adds ``P_t * S0`` to every state, with ``P_t = dA_1 * ... * dA_t`` (step by step,
per channel and state entry), and adds ``(C_t . (P_t * S0)) * silu(z_t)`` to every output. A wrapper on the scan
function computes that term from the very dt, A, C and z the scan received and adds it to the output and to the final
state (which the mixer stores in the cache, so decoding continues from it). At pad positions dt is set to zero in the
term, so pads neither decay S0 nor, since the mixer zeroes their inputs, write anything: left padding is neutral.

A one-token prompt never reaches the scan: the mixer hands the cached state (S0) to its single-step update, which
already starts from it. :func:`naive_selective_scan` is the plain reference with an initial state the tests compare
against (flash-linear-attention's ``naive.py`` convention).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.hooks import RemovableHandle


def naive_selective_scan(x: torch.Tensor, dt: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor,
                         D: torch.Tensor | None, z: torch.Tensor | None,
                         initial_state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Step-by-step Mamba-1 scan from ``initial_state``; all fp32.

    x, dt, z: [batch, channels, T] (dt after bias and softplus); A: [channels, N]; B, C: [batch, N, T];
    D: [channels]; initial_state: [batch, channels, N]. Returns (y [batch, channels, T], final state).
    """
    h = initial_state
    outs = []
    for t in range(x.shape[-1]):
        h = torch.exp(dt[..., t, None] * A) * h + dt[..., t, None] * B[:, None, :, t] * x[..., t, None]
        outs.append((h * C[:, None, :, t]).sum(-1))
    y = torch.stack(outs, dim=-1)
    if D is not None:
        y = y + x * D[:, None]
    if z is not None:
        y = y * F.silu(z)
    return y, h


def initial_state_effect(dt: torch.Tensor, A: torch.Tensor, C: torch.Tensor, z: torch.Tensor | None,
                         state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """What starting from ``state`` adds: (to the output [batch, channels, T], to the final state).

    dt: [batch, channels, T] after bias and softplus (zero where nothing should decay); A: [channels, N];
    C: [batch, N, T]; z: [batch, channels, T] or None; state: [batch, channels, N].
    """
    decay = torch.cumprod(torch.exp(dt.float()[..., None] * A.float()[:, None, :]), dim=2)  # [b, d, T, N]
    carried = decay * state.float()[:, :, None, :]
    extra = torch.einsum("bdtn,bnt->bdt", carried, C.float())
    if z is not None:
        extra = extra * F.silu(z.float())
    return extra, carried[:, :, -1]


@dataclass
class _Pending:
    state: torch.Tensor
    mask: torch.Tensor | None


class _Live(threading.local):
    def __init__(self) -> None:
        self.stack: list[_Pending | None] = []


_LIVE = _Live()


def push_initial_state(state: torch.Tensor | None, mask: torch.Tensor | None = None) -> None:
    """From now until :func:`pop_initial_state`, the wrapped scan starts from ``state`` ([batch, channels, N]; None:
    from zero, as unwrapped); ``mask`` [batch, T] marks real tokens (pads neither decay nor write)."""
    _LIVE.stack.append(None if state is None else _Pending(state, mask))


def pop_initial_state() -> None:
    if _LIVE.stack:
        _LIVE.stack.pop()


def wrap_scan(original: Callable) -> Callable:
    """Wrap ``mamba_selective_scan`` so that a live initial state enters as its exact effect."""
    @functools.wraps(original)
    def scan_from_state(hidden_states, dt, A, B, C, D=None, z=None, delta_bias=None, delta_softplus=False,
                        return_last_state=False, **kwargs):
        out = original(hidden_states, dt, A, B, C, D=D, z=z, delta_bias=delta_bias, delta_softplus=delta_softplus,
                       return_last_state=return_last_state, **kwargs)
        pending = _LIVE.stack[-1] if _LIVE.stack else None
        if pending is None:
            return out
        step = dt.float() + (0.0 if delta_bias is None else delta_bias.float()[..., None])
        step = F.softplus(step) if delta_softplus else step
        if pending.mask is not None and pending.mask.shape[-1] == step.shape[-1]:
            step = step * pending.mask[:, None, :].to(step.dtype)
        extra, final = initial_state_effect(step, A, C, z, pending.state)
        y, last = out if return_last_state else (out, None)
        y = y + extra.to(y.dtype)
        return (y, last + final.to(last.dtype)) if return_last_state else y

    return scan_from_state


def install_entry_hooks(mixer: nn.Module, pending_state: Callable[[object, int], torch.Tensor | None]
                        ) -> list[RemovableHandle]:
    """Make the mixer's scan see the initial state its cache will hand out at prefill (``pending_state(cache,
    layer_idx)``; None when there is none) for the duration of one forward."""
    def enter(_module: nn.Module, args: tuple, kwargs: dict) -> None:
        hidden = args[0] if args else kwargs.get("hidden_states")
        cache = kwargs.get("cache")
        state = pending_state(cache, mixer.layer_idx) if cache is not None and hidden.shape[1] > 1 else None
        push_initial_state(state, kwargs.get("attention_mask"))

    def leave(_module: nn.Module, _args: tuple, _kwargs: dict, _output: object) -> None:
        pop_initial_state()

    return [mixer.register_forward_pre_hook(enter, with_kwargs=True),
            mixer.register_forward_hook(leave, with_kwargs=True, always_call=True)]
