"""Which implementation transformers bound to the recurrent scans here, and a switch back to the torch reference.

transformers decides at import time: each module-level scan function of a family (``torch_chunk_gated_delta_rule``,
``mamba2_chunk_scan``, the causal-conv1d helpers, ...) is a wrapper that calls flash-linear-attention / mamba-ssm /
causal-conv1d when the package is installed and the plain torch function otherwise, and the mixers call those
module-level names. So on a machine with the kernels, the torch reference is reachable only by swapping the names
back to the wrapped functions -- which :func:`torch_fallback` does for a block. Used by ``make gpu-check`` and the
GPU tests to compare the kernel path with the fallback on the same device.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# The module-level functions transformers binds to a kernel when the package is installed (torch otherwise).
KERNELIZED = {
    "qwen3_5": ("transformers.models.qwen3_5.modeling_qwen3_5",
                ("torch_chunk_gated_delta_rule", "torch_recurrent_gated_delta_rule", "causal_conv1d_fn",
                 "causal_conv1d_update")),
    "falcon_h1": ("transformers.models.falcon_h1.modeling_falcon_h1",
                  ("mamba2_chunk_scan", "mamba2_selective_state_update", "mamba2_split_conv1d_scan_combined",
                   "causal_conv1d_fn", "causal_conv1d_update")),
    "mamba": ("transformers.models.mamba.modeling_mamba",
              ("mamba_selective_scan", "mamba_selective_state_update", "mamba_inner_fn", "causal_conv1d_fn",
               "causal_conv1d_update")),
    "kimi_linear": ("transformers.models.kimi_linear.modeling_kimi_linear",
                    ("chunk_kimi_delta_attention", "recurrent_kimi_delta_attention", "causal_conv1d_fn",
                     "causal_conv1d_update")),
}


def _kernel_flag(fn: Callable) -> bool | None:
    """transformers' wrapper keeps ``is_new_implementation`` (kernel chosen) in its closure."""
    while fn is not None:
        flag = inspect.getclosurevars(fn).nonlocals.get("is_new_implementation")
        if flag is not None:
            return bool(flag)
        fn = getattr(fn, "__wrapped__", None)
    return None


def kernels_selected(arch: str) -> dict[str, bool | None]:
    """Which kernelized functions of the family run a kernel here (None: not a transformers kernel wrapper)."""
    module_name, names = KERNELIZED[arch]
    module = importlib.import_module(module_name)
    return {name: _kernel_flag(getattr(module, name)) for name in names}


@contextmanager
def torch_fallback(arch: str) -> Iterator[None]:
    """Within the block the family's kernelized functions are the plain torch reference functions."""
    module_name, names = KERNELIZED[arch]
    module = importlib.import_module(module_name)
    saved = {name: getattr(module, name) for name in names}
    for name, fn in saved.items():
        setattr(module, name, inspect.unwrap(fn))
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(module, name, fn)
