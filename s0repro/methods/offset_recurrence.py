"""The state offset's second reading: dS added to the state inside the recurrence at every step (``where=recurrence``).

The paper says the offset "adds ΔS at every timestep"; Kang et al. (and our default, ``where=readout``) add it to the
read-out only, o_t = (S_t + dS)^T q_t. Added to the state itself, S_t = step_t(S_{t-1}) + dS, it accumulates
through the decay. Both recurrences are linear in the state, so the run with the offset is the base scan plus an
accumulated offset A_t that follows the homogeneous part of the same recurrence, A_0 = 0:

- GatedDeltaNet:  A_t = g_t (A_{t-1} - beta_t k_t k_t^T A_{t-1}) + dS,   extra o_t = A_t^T q~_t
- Mamba-2:        A_t = exp(dt_t a) A_{t-1} + dS = c_t dS,  c_t = exp(dt_t a) c_{t-1} + 1,   extra y_t = c_t C_t dS

and the state handed on (to the cache, to decode) is the base scan's plus A_T. The functions here compute those
terms from the tensors the scan received, so the base scan keeps its kernel. GatedDeltaNet's A_t is a full matrix
per step: a plain per-token loop whose memory grows with T x state size when trained (the ablation's price).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

QK_L2NORM_EPS = 1e-6  # fla's l2norm eps, which transformers' fallback copies


def _heads(x: torch.Tensor, num_v_heads: int, *, l2norm: bool) -> torch.Tensor:
    """[B, T, Hk, K] -> fp32 [B, T, Hv, K]: key heads repeated for grouped values, L2-normalised as the kernels do."""
    x = x.float()
    if x.shape[2] != num_v_heads:
        x = x.repeat_interleave(num_v_heads // x.shape[2], dim=2)
    if l2norm:
        x = x * torch.rsqrt((x * x).sum(dim=-1, keepdim=True) + QK_L2NORM_EPS)
    return x


def gdn_offset_recurrence(query: torch.Tensor, key: torch.Tensor, g: torch.Tensor, beta: torch.Tensor,
                          offset: torch.Tensor, *, qk_l2norm: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Extra output [B, T, Hv, V] and the accumulated offset A_T [B, Hv, K, V] (fp32) of dS added every step.
    query, key [B, T, Hk, K]; g (log decay), beta [B, T, Hv]; offset [Hv, K, V]."""
    num_v_heads = offset.shape[0]
    q = _heads(query, num_v_heads, l2norm=qk_l2norm) * query.shape[-1] ** -0.5
    k = _heads(key, num_v_heads, l2norm=qk_l2norm)
    g, beta, offset = g.float(), beta.float(), offset.float()
    acc = offset.new_zeros((q.shape[0], *offset.shape))
    outs = []
    for t in range(q.shape[1]):
        acc = acc * g[:, t].exp()[..., None, None]
        kv = torch.einsum("bhkv,bhk->bhv", acc, k[:, t])
        acc = acc - torch.einsum("bhk,bhv->bhkv", k[:, t], beta[:, t, :, None] * kv) + offset
        outs.append(torch.einsum("bhkv,bhk->bhv", acc, q[:, t]))
    return torch.stack(outs, dim=1), acc


def mamba2_offset_weights(dt: torch.Tensor, a: torch.Tensor, *, dt_bias: torch.Tensor | None, dt_softplus: bool,
                          dt_limit: tuple[float, float]) -> torch.Tensor:
    """c_t [B, T, H] (fp32): how many decayed copies of dS the state holds after step t. dt [B, T, H] as handed to
    the chunk scan (before bias and softplus), a [H] (negative)."""
    dt = dt.float() + (dt_bias.float() if dt_bias is not None else 0.0)
    dt = F.softplus(dt) if dt_softplus else dt
    decay = torch.exp(dt.clamp(*dt_limit) * a.float())
    weights, c = [], torch.zeros_like(decay[:, 0])
    for t in range(decay.shape[1]):
        c = decay[:, t] * c + 1.0
        weights.append(c)
    return torch.stack(weights, dim=1)
