"""`make gpu-check` without a GPU: its clear failure line, its result file, and its CPU-side pieces on tiny models.

On CPU no kernel is installed, so the "kernel" and the "fallback" runs are the same torch code: the comparison must
then find no gap at all while the state visibly moves the logits, which exercises the measurement and the verdict.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import torch

from benchmarks import gpu_check
from tests.conftest import tiny


def test_without_cuda_one_line_exit_2_and_the_file_says_why(capsys, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    out = tmp_path / "gpu_check.json"
    assert gpu_check.main(["--out", str(out), "--models", "qwen3_5", "mamba1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gpu-check: ") and "CUDA" in err and "\n" not in err
    result = json.loads(out.read_text())
    assert result["status"] == "no CUDA" and result["meta"]["installed"]["transformers"]["version"]
    assert set(result["models"]) == {"qwen3_5", "mamba1"}  # only the models asked for
    qwen = result["models"]["qwen3_5"]["kernels"]
    assert set(qwen) >= {"torch_chunk_gated_delta_rule", "causal_conv1d_fn"} and not any(qwen.values())


def test_a_family_this_s0repro_lacks_is_skipped_with_its_reason(tmp_path):
    missing = gpu_check.ModelEntry("x", "no_such_model", ("f",))
    assert "conf/model/no_such_model.yaml not found" in gpu_check.unsupported(missing)
    for key in ("qwen3_5", "falcon_h1"):  # the paper's two are always supported
        assert gpu_check.unsupported(next(m for m in gpu_check.MODELS if m.key == key)) is None


@pytest.mark.parametrize("name", ["tiny_gdn", "tiny_mamba2"])
@pytest.mark.parametrize("method", ["s0", "state_offset"])
def test_path_comparison_sees_the_state_and_no_gap_between_identical_paths(name, method):
    result = gpu_check.compare_paths(tiny(name), method)
    assert result["state_effect"] > 0 and result["logits_gap"] == 0.0 and result["grad_rel"] == 0.0
    assert result["passed"]


SLOW = pytest.mark.slow  # three generations each; one case stays in the fast suite


@pytest.mark.parametrize(("name", "method"), [("tiny_mamba2", "s0"), pytest.param("tiny_gdn", "s0", marks=SLOW),
                                              pytest.param("tiny_gdn", "state_offset", marks=SLOW),
                                              pytest.param("tiny_mamba2", "state_offset", marks=SLOW)])
def test_padded_generation_matches_the_lone_runs(name, method):
    loaded = tiny(name)
    lengths = [len(loaded.tokenizer(p)["input_ids"]) for p in gpu_check.PADDED_PROMPTS]
    assert lengths[0] != lengths[1]  # so one row is left-padded
    ids = loaded.tokenizer(gpu_check.PADDED_PROMPTS[0], return_tensors="pt")["input_ids"]
    with torch.no_grad():
        before = loaded.model(input_ids=ids).logits
    result = gpu_check.padded_generation(loaded, method)
    assert result["tokens_equal"] == [True, True] and result["passed"]
    assert result["first_step_logits_rel"] < 1e-4  # fp32: agreement to float noise, relative to the logits' norm
    with torch.no_grad():  # the method is detached again: the base model computes what it did
        assert torch.equal(loaded.model(input_ids=ids).logits, before)


def test_decode_arms_and_the_report():
    """The arms the GPU times, run for real on a tiny model, and the table built from their numbers."""
    loaded = tiny("tiny_gdn")
    arms, skipped = gpu_check.decode_arms(loaded)
    assert [a.label for a in arms] == ["base", "s0", "lora_unmerged"] and skipped == {}
    assert all(a.scoped and a.params > 0 for a in arms[1:])
    fam = {"model": "tiny_gdn", "layers": 4, "kernels": {},
           "decode": {"1": gpu_check.throughput(arms, 1, 2, 1, 0)},
           "kernel_vs_fallback": {m: gpu_check.compare_paths(loaded, m) for m in gpu_check.STATE_METHODS},
           "padded_generation": {m: {"passed": True} for m in gpu_check.STATE_METHODS},
           "s0_train": gpu_check.train_cost(arms[1], 1)}
    results = {"models": {"qwen3_5": fam, "mamba1": {"skipped": "not supported here"}}}
    text = gpu_check.format_report(results)
    assert gpu_check.passed(results)
    assert text.count(" pass") == 2 and "lora_unmerged" in text and "S0 train step" in text
    assert "not supported here" in text
    assert fam["decode"]["1"]["base"]["ratio_to_base"] == 1.0 and fam["decode"]["1"]["s0"]["tokens_per_s"] > 0
    for arm in arms[1:]:  # scoped arms are detached between runs: the model is the base model again
        assert arm.model is loaded.model
    results["models"]["falcon_h1"] = {"error": "half_a: RuntimeError: boom"}
    assert not gpu_check.passed(results)  # a model that broke fails the check


def test_each_piece_is_on_disk_as_soon_as_measured(tmp_path):
    """A later failure (or a timeout) keeps what was measured before it; the other models go on."""
    report = gpu_check.Report(tmp_path / "gpu_check.json")
    entries = [gpu_check.ModelEntry("one", "x", ()), gpu_check.ModelEntry("two", "y", ())]
    seen = []

    def half_a(entry, _args, rep):
        rep.model(entry.key)["kernel_vs_fallback"] = {"s0": {"passed": True}}
        rep.save()
        seen.append(json.loads(rep.out.read_text()))  # what a kill at this moment would leave
        if entry.key == "one":
            raise RuntimeError("CUDA out of memory\nmore lines")

    def half_b(entry, _args, rep):
        rep.model(entry.key)["decode"] = {"1": {}}

    gpu_check.run_halves(entries, SimpleNamespace(), report, halves=(half_a, half_b))
    assert seen[0]["models"]["one"]["kernel_vs_fallback"]["s0"]["passed"] is True
    final = json.loads(report.out.read_text())
    assert final["status"] == "half (b) done"
    assert final["models"]["one"]["error"] == "half_a: RuntimeError: CUDA out of memory"
    assert "decode" not in final["models"]["one"] and final["models"]["two"]["decode"] == {"1": {}}


@pytest.mark.slow
def test_both_halves_fill_the_file_in_order(tmp_path, monkeypatch):
    """The real halves on a tiny model standing in for the GPU build: every field docs/gpu.md describes is there."""
    loaded = tiny("tiny_gdn")
    monkeypatch.setattr(gpu_check, "build", lambda entry, layers: loaded)
    monkeypatch.setattr(gpu_check, "STATE_METHODS", {"s0": {"alpha": 1.0}})  # one method keeps it short
    report = gpu_check.Report(tmp_path / "gpu_check.json")
    entry = gpu_check.ModelEntry("qwen3_5", "tiny_gdn", ("torch_chunk_gated_delta_rule",))
    report.model("qwen3_5")["kernels"] = {"torch_chunk_gated_delta_rule": True}  # as if fla were bound
    args = SimpleNamespace(layers=None, batches=[1], new_tokens=2, repeats=1, warmup=0, train_steps=1)
    gpu_check.run_halves([entry], args, report)
    result = json.loads(report.out.read_text())
    fam = result["models"]["qwen3_5"]
    assert result["status"] == "half (b) done" and result["elapsed_s"] > 0 and "error" not in fam
    assert fam["model"] == "tiny_gdn" and fam["layers"] == loaded.model.config.num_hidden_layers
    assert fam["kernel_vs_fallback"]["s0"]["passed"] and fam["padded_generation"]["s0"]["passed"]
    assert set(fam["decode"]["1"]) == {"base", "s0", "lora_unmerged"} and fam["decode_skipped"] == {}
    assert fam["s0_train"]["train_step_s"] > 0 and fam["s0_train"]["trainable_params"] > 0
    report.model("qwen3_5")["kernels"] = {"torch_chunk_gated_delta_rule": False}  # fla missing: named, not run
    del report.data["models"]["qwen3_5"]["kernel_vs_fallback"]
    gpu_check.half_a(entry, args, report)
    assert "torch fallback for torch_chunk_gated_delta_rule" in report.model("qwen3_5")["error"]
    assert "kernel_vs_fallback" not in report.model("qwen3_5")


def test_real_width_build_plan():
    """What the GPU builds: the paper's two hybrids at real width, one layer pattern deep, real vocabulary."""
    for entry in gpu_check.MODELS[:2]:
        cfg = gpu_check.model_config(entry.config)
        assert cfg.arch == entry.key and cfg.dtype == "bfloat16" and cfg.dims["vocab_size"] > 100_000
        kernelized = gpu_check.KERNELIZED[cfg.arch][1]
        assert set(entry.kernels) <= set(kernelized)  # the required kernels are names the swap knows
