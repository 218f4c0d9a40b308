"""LoRA through peft: the paper's parameter counts on the real architectures (meta device), zero init = base,
merged = unmerged, detach exact even after a merge, only adapter weights train, artefacts round-trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from peft.tuners.lora import LoraLayer
from transformers import AutoModelForCausalLM

from s0repro.conf import method_preset
from s0repro.errors import UserError
from s0repro.methods import ArtefactMismatchError, InferenceCost, LoraMethodConfig, build_method
from s0repro.models import ModelConfig, load_model
from s0repro.models.architectures import build_config
from s0repro.train import TrainConfig, TrainExample, train

CONF = Path("conf")


def _yaml(path: Path) -> dict:
    with open(path) as f:
        return yaml.safe_load(f)


def _load(name: str):
    return load_model(ModelConfig(**{**_yaml(CONF / "model" / f"{name}.yaml"), "device": "cpu"}))


def _meta_model(name: str):
    cfg = _yaml(CONF / "model" / f"{name}.yaml")
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(build_config(cfg["arch"], cfg["dims"]))


def _method_conf(stem: str) -> dict:
    return method_preset(stem)


@pytest.mark.parametrize(
    ("model", "method_file", "expected"),
    [
        ("qwen3_5_4b", "lora", 4_718_592),  # paper: 4.7M
        ("qwen3_5_4b", "lora_r48", 9_437_184),  # paper: 9.4M
        ("qwen3_5_4b", "lora_r64", 12_582_912),  # paper: 12.6M (= S0's budget)
        ("falcon_h1_7b", "lora_falcon", 22_192_896),  # paper: 22.2M
    ],
)
def test_paper_parameter_counts_on_the_real_architectures(model: str, method_file: str, expected: int) -> None:
    method = build_method("lora", _method_conf(method_file))
    method.attach(_meta_model(model))
    assert method.num_trainable_parameters() == expected
    assert method.trainable_bytes() == 4 * expected  # fp32 adapters
    method.detach()


def test_every_lora_config_file_builds() -> None:
    for path in sorted((CONF / "method").glob("lora*.yaml")):
        config = build_method("lora", method_preset(path.stem)).config
        assert isinstance(config, LoraMethodConfig) and config.target_modules, path


def test_zero_init_is_base_merge_matches_unmerged_and_detach_is_exact() -> None:
    loaded = _load("tiny_gdn")
    model, ids = loaded.model, dict(loaded.tokenizer(["def f(x):\n    return x"], return_tensors="pt"))
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        base = model(**ids).logits
        method = build_method("lora", {"target_modules": ["q_proj", "v_proj", "in_proj_qkv"]})
        tuned = method.attach(model)
        assert method.inference_cost is InferenceCost.MERGE
        assert torch.equal(tuned(**ids).logits, base)  # B = 0
        for name, p in tuned.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.2)
        unmerged = tuned(**ids).logits
        assert (unmerged - base).abs().max() > 1e-2
        method.merge()
        assert method.merged
        merged = tuned(**ids).logits
        torch.testing.assert_close(merged, unmerged, rtol=1e-4, atol=1e-4)
        restored = method.detach()
    assert restored is model
    assert set(model.state_dict()) == set(weights)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in weights.items())
    with torch.no_grad():
        assert torch.equal(model(**ids).logits, base)


def test_merge_option_switches_with_model_kwargs_and_merged_runs_plain_layers(tmp_path: Path) -> None:
    method = build_method("lora", {**_method_conf("lora_merged"), "target_modules": ["q_proj"]})
    model = method.attach(_load("tiny_gdn").model)
    n_params = method.num_trainable_parameters()
    assert method.model_kwargs(2) == {} and method.merged  # evaluation: merged
    assert not any(isinstance(m, LoraLayer) for m in model.modules())  # no peft wrapper left in the forward path
    assert method.num_trainable_parameters() == n_params
    method.save(tmp_path)  # saving while merged still finds the adapter
    assert (tmp_path / "adapter_model.safetensors").is_file() and method.merged
    method.model_kwargs(1, training=True)
    assert not method.merged  # training: on the side again
    assert sum(isinstance(m, LoraLayer) for m in model.modules()) == 1
    method.detach()


@pytest.mark.parametrize("name", ["tiny_gdn", "tiny_mamba2"])
def test_training_changes_only_adapters_and_lowers_loss(name: str) -> None:
    loaded = _load(name)
    before = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    targets = ["q_proj", "k_proj", "v_proj", "o_proj"] if name == "tiny_gdn" else ["q_proj", "k_proj", "v_proj", "in_proj"]
    method = build_method("lora", {"target_modules": targets})
    method.attach(loaded.model)
    adapters = {id(p): p.detach().clone() for p in method.trainable_parameters()}
    examples = [TrainExample(prompt="Q: 2+2?\nA:", completion=" 4 4 4 4 4 4")]
    result = train(method, loaded.tokenizer, examples, TrainConfig(steps=6, lr=1e-2, batch=1, progress=False))
    assert result.losses[-1] < result.losses[0] - 0.05
    assert any(not torch.equal(p, adapters[id(p)]) for p in method.trainable_parameters())
    assert all("lora_" in n for n, p in method.model.named_parameters() if p.requires_grad)
    base = method.detach()
    assert all(torch.equal(base.state_dict()[k], v) for k, v in before.items())


def test_save_load_round_trip_and_mismatch(tmp_path: Path) -> None:
    loaded = _load("tiny_gdn")
    ids = dict(loaded.tokenizer(["abc"], return_tensors="pt"))
    method = build_method("lora", {"target_modules": ["q_proj", "o_proj"]})
    tuned = method.attach(loaded.model)
    with torch.no_grad():
        for p in method.trainable_parameters():
            p.normal_(0, 0.1)
        expected = tuned(**ids).logits
    method.save(tmp_path / "a")
    assert (tmp_path / "a" / "adapter_config.json").is_file()  # peft's own adapter format, loadable by peft
    method.detach()

    fresh = build_method("lora", {"target_modules": ["q_proj", "o_proj"]})
    tuned = fresh.attach(_load("tiny_gdn").model)
    fresh.load(tmp_path / "a")
    with torch.no_grad():
        assert torch.equal(tuned(**ids).logits, expected)
    fresh.detach()

    other = build_method("lora", {"target_modules": ["q_proj", "o_proj"], "r": 8})
    other.attach(_load("tiny_gdn").model)
    with pytest.raises(ArtefactMismatchError, match="r=24"):
        other.load(tmp_path / "a")
    other.detach()


def test_generate_runs_unmerged_and_merged_with_the_same_tokens() -> None:
    loaded = _load("tiny_mamba2")
    method = build_method("lora", {"target_modules": ["q_proj", "in_proj"]})
    tuned = method.attach(loaded.model)
    with torch.no_grad():
        for name, p in tuned.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.2)
    ids = dict(loaded.tokenizer(["x = "], return_tensors="pt"))
    kw = {"max_new_tokens": 5, "do_sample": False, "pad_token_id": loaded.tokenizer.pad_token_id}
    unmerged = tuned.generate(**ids, **kw)
    method.merge()
    assert torch.equal(tuned.generate(**ids, **kw), unmerged)
    method.detach()


def test_bad_targets_are_one_line_user_errors() -> None:
    with pytest.raises(UserError, match="match no module"):
        build_method("lora", {"target_modules": ["query_key_value"]}).attach(_load("tiny_gdn").model)
    with pytest.raises(UserError, match="target_modules is empty"):
        build_method("lora", {"target_modules": []})
    with pytest.raises(UserError, match="peft refused"):  # peft refuses out_proj on Mamba mixers
        build_method("lora", {"target_modules": ["out_proj"]}).attach(_load("tiny_mamba2").model)
