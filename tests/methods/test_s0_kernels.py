"""Kernel path vs torch fallback for S0 (forward and the gradient with respect to the state).

On a CUDA machine with the ``gpu`` extra, transformers runs GatedDeltaNet through flash-linear-attention and
Mamba-2 through mamba-ssm; the CPU reference runs the torch code (``torch_fallback``: with the kernels installed the
scan names point at them on every device). Both must inject S0 identically.
Skipped without CUDA (CI has none); run with ``pytest -m gpu``.
"""

from __future__ import annotations

import pytest
import torch

from s0repro.methods import build_method
from s0repro.models.kernels import torch_fallback
from tests.conftest import tiny

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA and the gpu extra"),
]


def _run(name: str, device: str, state_seed: int = 0):
    loaded = tiny(name)
    loaded.model.to(device)
    method = build_method("s0", {"alpha": 1.0})
    method.attach(loaded.model)
    gen = torch.Generator().manual_seed(state_seed)
    with torch.no_grad():
        for p in method.trainable_parameters():
            p.copy_(torch.randn(p.shape, generator=gen).to(device))
    enc = loaded.tokenizer(["def f(x):\n    return x * 2\n" * 4], return_tensors="pt").to(device)
    out = loaded.model(**enc, **method.model_kwargs(1, training=True)).logits
    out.float().square().mean().backward()
    grads = [p.grad.detach().cpu() for p in method.trainable_parameters()]
    return out.detach().float().cpu(), grads


@pytest.mark.parametrize("name", ["tiny_gdn", "tiny_mamba2"])
def test_kernel_path_matches_fallback(name):
    with torch_fallback(tiny(name).config.arch):
        cpu_logits, cpu_grads = _run(name, "cpu")
    gpu_logits, gpu_grads = _run(name, "cuda")
    rel = (gpu_logits - cpu_logits).norm() / cpu_logits.norm()
    assert rel < 1e-3, rel
    for a, b in zip(cpu_grads, gpu_grads, strict=True):
        assert ((a - b).norm() / a.norm()) < 1e-2
