"""`make gpu-check` without a GPU: its clear failure line, and its CPU-side pieces on tiny models.

On CPU no kernel is installed, so the "kernel" and the "fallback" runs are the same torch code: the comparison must
then find no gap at all while the state visibly moves the logits, which exercises the measurement and the verdict.
"""

from __future__ import annotations

import pytest
import torch

from benchmarks import gpu_check
from tests.conftest import tiny


def test_without_cuda_one_line_and_exit_2(capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert gpu_check.main([]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gpu-check: ") and "CUDA" in err and "\n" not in err


def test_missing_kernels_are_named_with_the_install_command():
    with pytest.raises(gpu_check.GpuCheckError) as err:
        gpu_check.preflight(cuda=True, find_spec=lambda name: None if name != "causal_conv1d" else object())
    message = str(err.value)
    assert "flash-linear-attention" in message and "mamba-ssm" in message and "causal-conv1d" not in message
    assert "pip install -e '.[gpu]'" in message and "\n" not in message
    gpu_check.preflight(cuda=True, find_spec=lambda name: object())  # everything present: no error


@pytest.mark.parametrize("name", ["tiny_gdn", "tiny_mamba2"])
@pytest.mark.parametrize("method", ["s0", "state_offset"])
def test_path_comparison_sees_the_state_and_no_gap_between_identical_paths(name, method):
    result = gpu_check.compare_paths(tiny(name), method)
    assert result["state_effect"] > 0 and result["logits_gap"] == 0.0 and result["grad_rel"] == 0.0
    assert result["passed"]


def test_decode_arms_and_the_report(tmp_path):
    """The arms the GPU times, run for real on a tiny model, and the table built from their numbers."""
    loaded = tiny("tiny_gdn")
    arms = gpu_check.decode_arms(loaded)
    assert [a.label for a in arms] == ["base", "s0", "lora_unmerged", "lora_merged", "state_offset"]
    assert all(a.scoped and a.params > 0 for a in arms[1:])
    decode = {"1": gpu_check.throughput(arms, 1, 2, 1, 0)}
    fam = {"model": "tiny_gdn", "layers": 4, "kernels": {}, "decode": decode,
           "kernel_vs_fallback": {m: gpu_check.compare_paths(loaded, m) for m in gpu_check.STATE_METHODS},
           "s0_train": gpu_check.train_cost(arms[1], 1)}
    results = {"families": {"qwen3_5": fam}}
    text = gpu_check.format_report(results)
    assert gpu_check.passed(results)
    assert text.count(" pass") == 2 and "lora_merged" in text and "s/step" in text
    assert decode["1"]["base"]["ratio_to_base"] == 1.0 and decode["1"]["s0"]["tokens_per_s"] > 0
    for arm in arms[1:]:  # scoped arms are detached between runs: the model is the base model again
        assert arm.model is loaded.model


def test_real_width_build_plan():
    """What the GPU builds: the paper's two hybrids at real width, one layer pattern deep, real vocabulary."""
    for arch, name in gpu_check.FAMILIES.items():
        cfg = gpu_check.model_config(name)
        assert cfg.arch == arch and cfg.dtype == "bfloat16" and cfg.dims["vocab_size"] > 100_000
