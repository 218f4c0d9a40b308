"""Loading: tiny models are deterministic and frozen; hub models fail fast with one line offline."""

from __future__ import annotations

import json
import time

import pytest
import torch
from safetensors import safe_open

from s0repro.data import render_prompt
from s0repro.data.minicode import load_minicode
from s0repro.models import ModelLoadError, load_model
from s0repro.models.tiny import hub_layout
from s0repro.models.tokenizer import SPECIAL_TOKENS, build_char_tokenizer
from s0repro.paths import REPO_ROOT
from tests.conftest import model_config, tiny


def test_tiny_models_are_frozen_and_seeded():
    a, b = tiny("tiny_gdn"), tiny("tiny_gdn")
    assert not any(p.requires_grad for p in a.model.parameters())
    for (na, pa), (_, pb) in zip(a.model.named_parameters(), b.model.named_parameters(), strict=True):
        assert torch.equal(pa, pb), na
    other = tiny("tiny_gdn", seed=1)
    assert not torch.equal(next(a.model.parameters()), next(other.model.parameters()))


def test_long_memory_decay_init(tiny_gdn):
    """Decay per step exp(-A * softplus(dt_bias)) with dt in [1e-3, 1e-1] and A in [0, 16]."""
    mixer = tiny_gdn.model.model.layers[0].linear_attn
    dt = torch.nn.functional.softplus(mixer.dt_bias)
    assert dt.min() >= 1e-3 * 0.999 and dt.max() <= 1e-1 * 1.001
    assert mixer.A_log.exp().max() <= 16.0


@pytest.mark.parametrize("offline_flag", ["1", "0"])
def test_hub_model_offline_fails_fast_with_one_line(monkeypatch, tmp_path, offline_flag):
    """With HF_HUB_OFFLINE, or with an endpoint that refuses connections, no retry loop: one line, at once."""
    monkeypatch.setenv("HF_HUB_OFFLINE", offline_flag)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    cfg = model_config("qwen3_5_4b", device="cpu", requires_cuda=False)  # past the CUDA check, to the hub
    start = time.perf_counter()
    with pytest.raises(ModelLoadError) as err:
        load_model(cfg)
    assert time.perf_counter() - start < 10
    message = str(err.value)
    assert "\n" not in message and "Qwen/Qwen3.5-4B" in message and "tiny" in message


def test_missing_checkpoint_suggests_make_tiny_models_only_for_a_shipped_one(tmp_path):
    with pytest.raises(ModelLoadError, match="make tiny-models"):
        load_model(model_config("minicode_gdn", hub_id="assets/tiny/not_built", device="cpu"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError, match="without config.json") as err:
        load_model(model_config("minicode_gdn", hub_id=str(tmp_path / "empty"), device="cpu"))
    assert "make tiny-models" not in str(err.value)


def _saved_tiny(tmp_path, name: str):
    """A randomly initialised tiny model of ``conf/model/<name>.yaml``, saved in its real repository's layout with the
    char tokenizer, as `make tiny-models` saves the shipped ones."""
    model = tiny(name).model
    folder = tmp_path / name
    hub_layout(model, seed=0).save_pretrained(folder)
    build_char_tokenizer().save_pretrained(folder)
    return model, folder


def test_tiny_qwen3_5_saved_multimodal_loads_as_causal_lm_with_identical_logits(tmp_path, monkeypatch):
    """The real Qwen3.5 repositories store Qwen3_5ForConditionalGeneration; AutoModelForCausalLM loads the text model
    (Qwen3_5ForCausalLM) from them, dropping the vision tower: the tiny one must behave the same."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    text, folder = _saved_tiny(tmp_path, "tiny_gdn")
    saved = json.loads((folder / "config.json").read_text())
    assert saved["architectures"] == ["Qwen3_5ForConditionalGeneration"] and saved["model_type"] == "qwen3_5"
    with safe_open(folder / "model.safetensors", "pt") as weights:
        assert any(k.startswith("model.visual.") for k in weights.keys())  # noqa: SIM118 - safe_open is no mapping
    loaded = load_model(model_config("tiny_gdn", source="hub", hub_id=str(folder), device="cpu"))
    assert type(loaded.model).__name__ == "Qwen3_5ForCausalLM"
    assert not any("visual" in n for n, _ in loaded.model.named_parameters())
    ids = torch.randint(7, len(loaded.tokenizer), (2, 48), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(loaded.model(input_ids=ids).logits, text(input_ids=ids).logits)


SHIPPED = {"minicode_gdn": ("Qwen3_5ForConditionalGeneration", "Qwen3_5ForCausalLM", "Qwen3_5Tokenizer"),
           "minicode_mamba2": ("FalconH1ForCausalLM", "FalconH1ForCausalLM", "TokenizersBackend"),
           "minicode_transformer": ("Qwen2ForCausalLM", "Qwen2ForCausalLM", "Qwen2Tokenizer")}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_tiny_checkpoint_loads_through_the_hub_loader_offline(name, monkeypatch):
    """Stored as the real repository (config.json's architectures), loaded by the hub path with HF_HUB_OFFLINE=1 into
    the causal-LM class and the real tokenizer class, whose ids are the char tokenizer's."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = model_config(name, device="cpu")
    folder = REPO_ROOT / cfg.hub_id
    if not (folder / "config.json").is_file():
        pytest.skip(f"{folder} not built (make tiny-models)")
    stored, loaded_as, tokenizer_class = SHIPPED[name]
    assert cfg.source == "hub"
    assert json.loads((folder / "config.json").read_text())["architectures"] == [stored]
    loaded = load_model(cfg)
    assert type(loaded.model).__name__ == loaded_as and type(loaded.tokenizer).__name__ == tokenizer_class
    task = load_minicode(seed=0)
    reference = build_char_tokenizer()
    text = render_prompt(reference, task, task.eval[0]) + "    return x  +  1\n<|im_end|>"
    ids = loaded.tokenizer(text, add_special_tokens=False)["input_ids"]
    one_per_char = len(text) - sum((len(tok) - 1) * text.count(tok) for tok in SPECIAL_TOKENS)  # a special is one id
    assert ids == reference(text, add_special_tokens=False)["input_ids"] and len(ids) == one_per_char
    assert loaded.tokenizer.decode(ids) == text


def test_cuda_only_config_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ModelLoadError, match="CUDA only .*; on a CPU add scale=tiny") as err:  # names the way out
        load_model(model_config("tiny_gdn", requires_cuda=True))
    assert "\n" not in str(err.value)


def test_a_shipped_model_loads_by_name_or_path_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    by_name = load_model("tiny_gdn")
    assert by_name.config == model_config("tiny_gdn")
    by_path = load_model("conf/model/tiny_gdn.yaml")  # repo-relative, as in older snippets
    assert by_path.config == by_name.config
    with pytest.raises(ModelLoadError, match="no model config 'tiny_gdm'.*tiny_gdn"):
        load_model("tiny_gdm")


def test_cpu_sized_models_are_the_tiny_ones_whatever_their_source():
    """Shipped tiny checkpoints load from the hub path but are still run one thread per cell, one cell per core."""
    assert model_config("tiny_gdn").cpu_sized and model_config("minicode_mamba2").cpu_sized
    assert model_config("minicode_gdn").source == "hub"
    assert not model_config("qwen3_5_0_8b").cpu_sized and not model_config("falcon_h1_7b").cpu_sized
