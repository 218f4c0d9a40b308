"""Mamba-1's initial state enters outside the scan; it must equal a plain scan that starts from it (fla's naive
reference convention), output, final state and the gradient with respect to the state alike."""

from __future__ import annotations

import inspect

import pytest
import torch
import torch.nn.functional as F
from transformers.models.mamba import modeling_mamba

from s0repro.models.mamba1 import naive_selective_scan, pop_initial_state, push_initial_state, wrap_scan


def inputs(batch: int, channels: int, steps: int, n: int, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {
        "x": torch.randn(batch, channels, steps, generator=g),
        "dt": torch.randn(batch, channels, steps, generator=g) - 2.0,
        "A": -torch.rand(channels, n, generator=g) * 4,
        "B": torch.randn(batch, n, steps, generator=g),
        "C": torch.randn(batch, n, steps, generator=g),
        "D": torch.randn(channels, generator=g),
        "z": torch.randn(batch, channels, steps, generator=g),
        "bias": torch.randn(channels, generator=g) * 0.1,
        "s0": torch.randn(batch, channels, n, generator=g),
    }


def wrapped(t: dict, state: torch.Tensor, mask: torch.Tensor | None = None):
    scan = wrap_scan(inspect.unwrap(modeling_mamba.mamba_selective_scan))  # the torch reference, kernel or not
    push_initial_state(state, mask)
    try:
        return scan(t["x"], t["dt"], t["A"], t["B"], t["C"], D=t["D"], z=t["z"], delta_bias=t["bias"],
                    delta_softplus=True, return_last_state=True)
    finally:
        pop_initial_state()


@pytest.mark.parametrize(("batch", "channels", "steps", "n"), [(1, 4, 1, 2), (2, 8, 7, 4), (3, 16, 33, 8)],
                         ids=lambda v: str(v))
def test_outside_term_equals_a_scan_from_the_state(batch, channels, steps, n):
    t = inputs(batch, channels, steps, n)
    s0 = t["s0"].clone().requires_grad_(True)
    y, last = wrapped(t, s0)
    dt = F.softplus(t["dt"] + t["bias"][:, None])
    ref_s0 = t["s0"].clone().requires_grad_(True)
    ref_y, ref_last = naive_selective_scan(t["x"], dt, t["A"], t["B"], t["C"], t["D"], t["z"], ref_s0)
    assert torch.allclose(y, ref_y, atol=1e-5 * ref_y.abs().max().item(), rtol=0)
    assert torch.allclose(last, ref_last, atol=1e-5 * ref_last.abs().max().item(), rtol=0)
    w = torch.randn(ref_y.shape, generator=torch.Generator().manual_seed(9))
    (y * w).sum().backward()
    (ref_y * w).sum().backward()
    assert torch.allclose(s0.grad, ref_s0.grad, atol=1e-5 * ref_s0.grad.abs().max().item(), rtol=0)


def test_pads_neither_decay_nor_write():
    t = inputs(1, 8, 6, 4)
    mask = torch.tensor([[0, 0, 1, 1, 1, 1]])
    for key in ("x", "B"):  # what the mixer feeds a pad position: zero input
        t[key][..., :2] = 0.0
    y, last = wrapped(t, t["s0"], mask)
    real = {k: (v[..., 2:] if k in ("x", "dt", "B", "C", "z") else v) for k, v in t.items()}
    dt = F.softplus(real["dt"] + real["bias"][:, None])
    ref_y, ref_last = naive_selective_scan(real["x"], dt, real["A"], real["B"], real["C"], real["D"], real["z"],
                                           t["s0"])
    assert torch.allclose(y[..., 2:], ref_y, atol=1e-5 * ref_y.abs().max().item(), rtol=0)
    assert torch.allclose(last, ref_last, atol=1e-5 * ref_last.abs().max().item(), rtol=0)


def test_no_live_state_leaves_the_scan_alone():
    t = inputs(2, 4, 5, 3)
    original = inspect.unwrap(modeling_mamba.mamba_selective_scan)
    args = (t["x"], t["dt"], t["A"], t["B"], t["C"])
    kw = dict(D=t["D"], z=t["z"], delta_bias=t["bias"], delta_softplus=True, return_last_state=True)
    y, last = wrap_scan(original)(*args, **kw)
    ref_y, ref_last = original(*args, **kw)
    assert torch.equal(y, ref_y) and torch.equal(last, ref_last)

