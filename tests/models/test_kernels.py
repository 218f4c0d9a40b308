"""The kernel switch: which scan implementation is bound, and a block that runs the torch reference instead."""

from __future__ import annotations

import importlib

import pytest
import torch

from s0repro.models.kernels import KERNELIZED, kernels_selected, torch_fallback


@pytest.mark.parametrize("arch", sorted(KERNELIZED))
def test_torch_fallback_swaps_the_kernelized_functions_and_restores_them(arch):
    module_name, names = KERNELIZED[arch]
    module = importlib.import_module(module_name)
    before = {n: getattr(module, n) for n in names}
    with torch_fallback(arch):
        for name in names:
            inner = getattr(module, name)
            assert inner is not before[name] and getattr(inner, "__wrapped__", None) is None
    assert {n: getattr(module, n) for n in names} == before


def test_kernels_are_reported_as_not_selected_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("this machine may have the kernels")
    for arch in KERNELIZED:
        assert set(kernels_selected(arch).values()) == {False}
