"""Loading: tiny models are deterministic and frozen; hub models fail fast with one line offline."""

from __future__ import annotations

import time

import pytest
import torch

from s0repro.models import ModelLoadError, load_model
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


def test_a_missing_checkpoint_of_ones_own_is_not_sent_to_make_tiny_models(tmp_path):
    with pytest.raises(ModelLoadError) as err:
        load_model(model_config("tiny_gdn", checkpoint=str(tmp_path / "nowhere"), device="cpu"))
    assert "nowhere not found" in str(err.value) and "make tiny-models" not in str(err.value)


def test_a_missing_shipped_checkpoint_says_make_tiny_models(tmp_path, monkeypatch):
    from s0repro.models import loading

    (tmp_path / "conf/model").mkdir(parents=True)  # a fresh clone: conf/model names it, nothing built yet
    (tmp_path / "conf/model/minicode_gdn.yaml").write_text((REPO_ROOT / "conf/model/minicode_gdn.yaml").read_text())
    monkeypatch.setattr(loading, "REPO_ROOT", tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelLoadError, match="minicode_gdn not found; build it with `make tiny-models`"):
        load_model(loading.shipped_config("minicode_gdn"))


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

