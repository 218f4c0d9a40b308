"""Prefix tuning through peft on the tiny pure Transformer; the generate trap of transformers 5.24 is closed."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from peft import PeftModelForCausalLM
from transformers import AutoModelForCausalLM

from s0repro.conf import method_preset
from s0repro.errors import UserError
from s0repro.methods import ArtefactMismatchError, InferenceCost, PrefixConfig, build_method
from s0repro.models import ModelConfig, load_model
from s0repro.models.architectures import build_config
from s0repro.train import TrainConfig, TrainExample, train


def _load(name: str = "tiny_transformer"):
    with open(f"conf/model/{name}.yaml") as f:
        return load_model(ModelConfig(**{**yaml.safe_load(f), "device": "cpu"}))


def _greedy(model, ids: dict, pad_token_id: int, n: int = 6):
    return model.generate(**ids, max_new_tokens=n, do_sample=False, output_scores=True,
                          return_dict_in_generate=True, pad_token_id=pad_token_id)


def test_config_file_and_parameter_count() -> None:
    method = build_method("prefix", method_preset("prefix"))
    assert method.config.num_virtual_tokens == 30 and method.config.prefix_projection
    loaded = _load()
    method.attach(loaded.model)
    cfg = loaded.model.config
    kv_dim = cfg.num_key_value_heads * (cfg.hidden_size // cfg.num_attention_heads)
    # peft's token_dim is the key/value width under GQA; embedding [30, t], then Linear(t, t) -> Linear(t, out)
    t, out = kv_dim, cfg.num_hidden_layers * 2 * kv_dim
    assert method.num_trainable_parameters() == 30 * t + (t * t + t) + (t * out + out)
    assert method.inference_cost is InferenceCost.PER_TOKEN_PREFIX
    method.detach()


def test_qwen2_5_3b_prefix_size_on_the_meta_device() -> None:
    """The paper gives no count; ours: 30 x 256 embedding + Linear(256, 256) + Linear(256, 36 x 2 x 256)."""
    with open("conf/model/qwen2_5_3b.yaml") as f:
        cfg = yaml.safe_load(f)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(build_config(cfg["arch"], cfg["dims"]))
    method = build_method("prefix", {})
    method.attach(model)
    assert method.num_trainable_parameters() == 30 * 256 + (256 * 256 + 256) + (256 * 18_432 + 18_432) == 4_810_496
    method.detach()


def test_generate_uses_the_prefix_at_every_step() -> None:
    loaded = _load()
    tok, base_model = loaded.tokenizer, loaded.model
    ids = dict(tok(["def add(a, b):"], return_tensors="pt"))
    with torch.no_grad():
        base = _greedy(base_model, ids, tok.pad_token_id)
        method = build_method("prefix", {})
        model = method.attach(base_model)
        tuned = _greedy(model, ids, tok.pad_token_id)
        # the trap: peft's own generate() under transformers 5.24 is the base model (if a peft / transformers
        # upgrade makes this assertion fail, the trap is fixed upstream and PrefixCausalLM.generate may go)
        trap = PeftModelForCausalLM.generate(model, **ids, max_new_tokens=6, do_sample=False, output_scores=True,
                                             return_dict_in_generate=True, pad_token_id=tok.pad_token_id)
        full = model(input_ids=tuned.sequences, attention_mask=torch.ones_like(tuned.sequences)).logits
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(trap.scores, base.scores, strict=True))
    assert all((a - b).abs().max() > 1e-3 for a, b in zip(tuned.scores, base.scores, strict=True))
    start = ids["input_ids"].shape[1] - 1
    for step, scores in enumerate(tuned.scores):  # each step equals the prefix-tuned forward pass
        torch.testing.assert_close(scores, full[:, start + step], rtol=1e-4, atol=1e-4)
    method.detach()


def test_left_padded_batch_generates_like_each_prompt_alone() -> None:
    loaded = _load()
    tok = loaded.tokenizer
    method = build_method("prefix", {})
    model = method.attach(loaded.model)
    prompts = ["def add(a, b):", "x ="]
    with torch.no_grad():
        batch = _greedy(model, dict(tok(prompts, return_tensors="pt", padding=True)), tok.pad_token_id)
        for row, prompt in enumerate(prompts):
            alone = _greedy(model, dict(tok([prompt], return_tensors="pt")), tok.pad_token_id)
            for a, b in zip(alone.scores, batch.scores, strict=True):
                torch.testing.assert_close(a[0], b[row], rtol=1e-4, atol=1e-4)
        sampled = model.generate(**dict(tok(prompts, return_tensors="pt", padding=True)), max_new_tokens=3,
                                 do_sample=True, num_return_sequences=2, pad_token_id=tok.pad_token_id)
    assert sampled.shape[0] == 4
    method.detach()


def test_training_changes_only_the_prefix_lowers_loss_and_detach_restores() -> None:
    loaded = _load()
    ids = dict(loaded.tokenizer(["abc"], return_tensors="pt"))
    with torch.no_grad():
        base = loaded.model(**ids).logits
    weights = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    method = build_method("prefix", {})
    method.attach(loaded.model)
    before = [p.detach().clone() for p in method.trainable_parameters()]
    examples = [TrainExample(prompt="Q: 2+2?\nA:", completion=" 4 4 4 4 4 4")]
    result = train(method, loaded.tokenizer, examples, TrainConfig(steps=6, lr=1e-2, progress=False))
    assert result.losses[-1] < result.losses[0] - 0.05
    assert any(not torch.equal(a, b) for a, b in zip(before, method.trainable_parameters(), strict=True))
    restored = method.detach()
    assert restored is loaded.model
    assert all(torch.equal(restored.state_dict()[k], v) for k, v in weights.items())
    with torch.no_grad():
        assert torch.equal(restored(**ids).logits, base)


def test_save_load_round_trip_and_mismatch(tmp_path: Path) -> None:
    loaded = _load()
    ids = dict(loaded.tokenizer(["abc"], return_tensors="pt"))
    method = build_method("prefix", {})
    model = method.attach(loaded.model)
    with torch.no_grad():
        for p in method.trainable_parameters():  # stands in for training
            p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(7)) * 0.5)
        expected = model(**ids).logits
    method.save(tmp_path)
    method.detach()
    fresh = build_method("prefix", {})
    model = fresh.attach(_load().model)  # same architecture, untrained prefix until loaded
    with torch.no_grad():
        assert not torch.equal(model(**ids).logits, expected)
        fresh.load(tmp_path)
        assert torch.equal(model(**ids).logits, expected)
    fresh.detach()
    shorter = build_method("prefix", PrefixConfig(num_virtual_tokens=10))
    shorter.attach(_load().model)
    with pytest.raises(ArtefactMismatchError, match="prefix in"):
        shorter.load(tmp_path)
    shorter.detach()


@pytest.mark.parametrize("name", ["tiny_gdn", "tiny_mamba2"])
def test_hybrid_models_are_a_clear_error(name: str) -> None:
    with pytest.raises(UserError, match="pure-Transformer control"):
        build_method("prefix", {}).attach(_load(name).model)
