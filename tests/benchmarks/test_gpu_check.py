"""`make gpu-check` without a GPU: its clear failure line, its result file, and its CPU-side pieces on tiny models.

On CPU no kernel is installed, so the "kernel" and the "fallback" runs are the same torch code: the comparison must
then find no gap at all while the state visibly moves the logits, which exercises the measurement and the verdict.
"""

from __future__ import annotations

import functools
import importlib
import json
from types import SimpleNamespace

import pytest
import torch

from benchmarks import gpu_check
from s0repro.models.kernels import KERNELIZED
from s0repro.models.support import support_config
from s0repro.models.tokenizer import build_char_tokenizer
from s0repro.tools.support import build as build_support
from tests.conftest import tiny


def built(name: str) -> gpu_check.Built:
    """A tiny model as the check runs it: a conf/model tiny config, or a support-table model type."""
    if name.startswith("tiny_"):
        loaded = tiny(name)
        return gpu_check.Built(loaded.model, loaded.tokenizer, loaded.config.arch, name)
    tok = build_char_tokenizer()
    return gpu_check.Built(build_support(name, tok), tok, name, name)


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
    assert result["models"]["mamba1"]["kernels"]["mamba_selective_state_update"] is False  # built, not skipped


def test_a_family_this_s0repro_lacks_is_skipped_with_its_reason(tmp_path):
    missing = gpu_check.ModelEntry("x", "qwen3_5", ("f",), config="no_such_model")
    assert "conf/model/no_such_model.yaml not found" in gpu_check.unsupported(missing)
    assert "not in s0repro.models.kernels.KERNELIZED" in gpu_check.unsupported(gpu_check.ModelEntry("x", "rwkv", ()))
    assert [m.key for m in gpu_check.MODELS] == ["qwen3_5", "falcon_h1", "mamba1", "kda"]
    for entry in gpu_check.MODELS:  # the paper's two, one Mamba-1 and one KDA: all built, none skipped
        assert gpu_check.unsupported(entry) is None


@pytest.mark.parametrize("name", ["tiny_gdn", "tiny_mamba2", "falcon_mamba", "kimi_linear"])
@pytest.mark.parametrize("method", ["s0", "state_offset"])
def test_path_comparison_sees_the_state_and_no_gap_between_identical_paths(name, method):
    result = gpu_check.compare_paths(built(name), method)
    assert result["state_effect"] > 0 and result["logits_gap"] == 0.0 and result["grad_rel"] == 0.0
    assert result["step"]["state_effect"] > 0 and result["step"]["logits_gap"] == 0.0  # the decode step sees it too
    assert result["passed"]


def _ignores_the_state(original):
    """A stand-in "kernel" that drops the initial state (what a kernel not declaring the keyword would do)."""
    @functools.wraps(original)  # so torch_fallback unwraps it back to the real function
    def kernel(*args, **kwargs):
        if "initial_state" in kwargs:  # KDA: transformers passes it by keyword
            return original(*args, **{**kwargs, "initial_state": None})
        state, *rest = args  # Mamba-1's single step: the state is the first argument
        return original(torch.zeros_like(state), *rest, **kwargs)

    return kernel


@pytest.mark.parametrize(("arch", "names", "part"), [
    ("kimi_linear", ("chunk_kimi_delta_attention",), None),
    ("kimi_linear", ("recurrent_kimi_delta_attention",), "step"),
    ("falcon_mamba", ("mamba_selective_state_update",), "step")])
def test_a_kernel_that_ignores_the_state_fails_the_check(monkeypatch, arch, names, part):
    """The check's reason to exist: an initial state silently lost on the kernel path is a loud FAIL."""
    module = importlib.import_module(KERNELIZED[arch][0])
    for name in names:
        monkeypatch.setattr(module, name, _ignores_the_state(getattr(module, name)))
    result = gpu_check.compare_paths(built(arch), "s0")
    judged = result[part] if part else result
    assert judged["gap_over_effect"] > 0.5 and not result["passed"]  # about 1: the state's whole effect is missing


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
    result = gpu_check.padded_generation(gpu_check.Built(loaded.model, loaded.tokenizer, loaded.config.arch, name),
                                         method)
    assert result["tokens_equal"] == [True, True] and result["passed"]
    assert result["first_step_logits_rel"] < 1e-4  # fp32: agreement to float noise, relative to the logits' norm
    with torch.no_grad():  # the method is detached again: the base model computes what it did
        assert torch.equal(loaded.model(input_ids=ids).logits, before)


def test_decode_arms_and_the_report():
    """The arms the GPU times, run for real on a tiny model, and the table built from their numbers."""
    loaded = built("tiny_gdn")
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
    loaded = built("tiny_gdn")
    monkeypatch.setattr(gpu_check, "build", lambda entry, layers: loaded)
    monkeypatch.setattr(gpu_check, "STATE_METHODS", {"s0": {"alpha": 1.0}})  # one method keeps it short
    report = gpu_check.Report(tmp_path / "gpu_check.json")
    entry = gpu_check.ModelEntry("qwen3_5", "qwen3_5", ("torch_chunk_gated_delta_rule",), config="tiny_gdn")
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
    """What the GPU builds: the paper's two hybrids from their conf/model dims, Falcon-Mamba-7B and Kimi-Linear-48B
    from the support table at the published width; one layer pattern deep, real vocabulary, bf16."""
    for entry in gpu_check.MODELS:
        assert set(entry.kernels) <= set(gpu_check.KERNELIZED[entry.arch][1])  # names the swap knows
    for entry in gpu_check.MODELS[:2]:
        cfg = gpu_check.model_config(entry.config)
        assert cfg.arch == entry.arch and cfg.dtype == "bfloat16" and cfg.dims["vocab_size"] > 100_000

    def config(key, layers=None):
        entry = next(m for m in gpu_check.MODELS if m.key == key)
        return support_config(entry.arch, vocab_size=gpu_check.REAL_VOCAB[entry.arch], pad_token_id=0,
                              eos_token_id=1, real_width=True, **gpu_check.support_overrides(entry, layers))

    mamba = config("mamba1")
    assert (mamba.model_type, mamba.hidden_size, mamba.intermediate_size, mamba.state_size) == \
        ("falcon_mamba", 4096, 8192, 16)
    assert (mamba.time_step_rank, mamba.num_hidden_layers, mamba.vocab_size) == (256, 2, 65024)
    kda = config("kda")
    assert (kda.hidden_size, kda.linear_num_heads, kda.linear_head_dim, kda.vocab_size) == (2304, 32, 128, 163840)
    assert kda.layer_types == ["linear_attention"] * 3 + ["full_attention"] and kda.num_hidden_layers == 4
    deeper = config("kda", layers=8)  # --layers repeats the 3:1 pattern
    assert deeper.layer_types == (["linear_attention"] * 3 + ["full_attention"]) * 2 and len(deeper.mlp_layer_types) == 8
