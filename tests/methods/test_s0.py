"""S0 tuning on tiny GatedDeltaNet and Mamba-2 models of the real transformers classes (torch fallback paths)."""

from __future__ import annotations

import pytest
import torch

from s0repro.errors import UserError
from s0repro.methods import ArtefactMismatchError, S0Config, S0Method, build_method
from s0repro.train import TrainConfig, TrainExample, train
from tests.conftest import tiny

PROMPTS = ["def add(a, b):\n    return", "x = [1, 2, 3]\nprint(len(x))\n# the answer is"]


def attach(loaded, scale: float = 0.0, **cfg) -> S0Method:
    method = build_method("s0", {"alpha": 1.0, **cfg})
    method.attach(loaded.model)
    if scale:
        gen = torch.Generator().manual_seed(1)
        with torch.no_grad():
            for p in method.trainable_parameters():
                p.copy_(scale * torch.randn(p.shape, generator=gen))
    return method


def encode(loaded, prompts=PROMPTS):
    return loaded.tokenizer(prompts, return_tensors="pt", padding=True)


def logits(loaded, method, enc, **kw):
    extra = method.model_kwargs(enc["input_ids"].shape[0], **kw) if method else {}
    with torch.no_grad():
        return loaded.model(**enc, **extra).logits


def test_zero_state_is_exactly_the_base_model(tiny_hybrid):
    enc = encode(tiny_hybrid)
    base = logits(tiny_hybrid, None, enc)
    method = attach(tiny_hybrid)
    real = enc["attention_mask"].bool()  # pad positions' outputs are never read
    # float32 noise bound relative to the logits' scale (not an absolute number: logits are O(1) here, O(10) elsewhere)
    tuned = logits(tiny_hybrid, method, enc)[real]
    assert torch.allclose(tuned, base[real], atol=1e-6 * base.abs().max().item(), rtol=0)
    greedy = dict(max_new_tokens=12, do_sample=False)
    assert torch.equal(
        tiny_hybrid.model.generate(**enc, **greedy, **method.model_kwargs(2)),
        tiny_hybrid.model.generate(**enc, **greedy),
    )


def test_nonzero_state_changes_the_first_positions(tiny_hybrid):
    enc = encode(tiny_hybrid, PROMPTS[:1])
    base = logits(tiny_hybrid, None, enc)
    method = attach(tiny_hybrid, scale=3.0)
    tuned = logits(tiny_hybrid, method, enc)
    first_diff = (tuned[0, 0] - base[0, 0]).abs().max().item()
    assert first_diff > 1e-3, first_diff


def test_generate_with_s0_differs_from_base_and_decode_never_reinjects(tiny_hybrid):
    enc = encode(tiny_hybrid)
    method = attach(tiny_hybrid, scale=30.0)
    greedy = dict(max_new_tokens=16, do_sample=False, return_dict_in_generate=True, output_scores=True)
    tuned = tiny_hybrid.model.generate(**enc, **greedy, **method.model_kwargs(2))
    base = tiny_hybrid.model.generate(**enc, **greedy)
    assert not torch.allclose(tuned.scores[0], base.scores[0])
    # Decode steps continue from the cache: the same tokens fed through one full forward from S0 give the same
    # last-step logits, so S0 entered exactly once, at the start.
    full = tuned.sequences
    mask = torch.cat([enc["attention_mask"], torch.ones_like(full[:, enc["input_ids"].shape[1]:])], dim=1)
    with torch.no_grad():
        ref = tiny_hybrid.model(input_ids=full[:, :-1], attention_mask=mask[:, :-1], **method.model_kwargs(2)).logits
    assert torch.allclose(ref[:, -1], tuned.scores[-1], atol=1e-4 * ref[:, -1].abs().max().item(), rtol=0)


def test_left_padding_batched_equals_one_at_a_time(tiny_hybrid):
    method = attach(tiny_hybrid, scale=30.0)
    greedy = dict(max_new_tokens=12, do_sample=False)
    enc = encode(tiny_hybrid)
    assert enc["attention_mask"].sum(1).tolist()[0] < enc["input_ids"].shape[1]  # the first prompt is padded
    batched = tiny_hybrid.model.generate(**enc, **greedy, **method.model_kwargs(2))[:, -12:]
    for i, prompt in enumerate(PROMPTS):
        one = encode(tiny_hybrid, [prompt])
        alone = tiny_hybrid.model.generate(**one, **greedy, **method.model_kwargs(1))[:, -12:]
        assert torch.equal(batched[i], alone[0]), i
    # and the padded row's last-position logits agree with the unpadded run
    padded = logits(tiny_hybrid, method, enc)[0, -1]
    alone = logits(tiny_hybrid, method, encode(tiny_hybrid, PROMPTS[:1]))[0, -1]
    assert torch.allclose(padded, alone, atol=1e-4 * alone.abs().max().item(), rtol=0)


def test_only_the_states_get_gradients_and_change(tiny_hybrid):
    method = attach(tiny_hybrid)
    before = {n: p.clone() for n, p in tiny_hybrid.model.named_parameters()}
    states_before = [p.clone() for p in method.trainable_parameters()]
    ex = [TrainExample(prompt="def f(x):\n", completion="    return x + 1\n")]
    train(method, tiny_hybrid.tokenizer, ex, TrainConfig(steps=1, lr=1e-2, progress=False))
    assert all(p.grad is None for p in tiny_hybrid.model.parameters())
    for name, p in tiny_hybrid.model.named_parameters():
        assert torch.equal(p, before[name]), name
    changed = [not torch.equal(a, b) for a, b in zip(states_before, method.trainable_parameters(), strict=True)]
    assert all(changed)


def test_gradient_matches_finite_difference(tiny_hybrid):
    method = attach(tiny_hybrid, scale=0.5)
    enc = encode(tiny_hybrid, PROMPTS[:1])
    weights = torch.randn(tiny_hybrid.model.config.vocab_size, generator=torch.Generator().manual_seed(2))

    def loss() -> torch.Tensor:
        out = tiny_hybrid.model(**enc, **method.model_kwargs(1, training=True)).logits
        return (out.double().log_softmax(-1) * weights.double()).sum()

    param = method.trainable_parameters()[0]
    loss().backward()
    direction = torch.randn(param.shape, generator=torch.Generator().manual_seed(3))
    analytic = (param.grad.double() * direction.double()).sum().item()
    eps = 1e-2
    with torch.no_grad():
        param.add_(eps * direction)
        plus = loss().item()
        param.sub_(2 * eps * direction)
        minus = loss().item()
        param.add_(eps * direction)
    numeric = (plus - minus) / (2 * eps)
    assert abs(analytic) > 1e-3
    assert numeric == pytest.approx(analytic, rel=2e-2)


def test_a_few_adam_steps_lower_a_toy_loss(tiny_hybrid):
    method = attach(tiny_hybrid)
    examples = [TrainExample(prompt="Q: ", completion="def f(x):\n    return x\n")]
    result = train(method, tiny_hybrid.tokenizer, examples, TrainConfig(steps=8, lr=0.3, progress=False))
    assert result.steps == 8 and len(result.losses) == 8
    assert result.losses[-1] < result.losses[0] - 0.05, result.losses
    assert result.trainable_params == method.num_trainable_parameters()


def test_save_load_roundtrip_is_bit_identical_and_swaps_states(tiny_hybrid, tmp_path):
    enc = encode(tiny_hybrid)
    first = attach(tiny_hybrid, scale=2.0)
    want = logits(tiny_hybrid, first, enc)
    first.save(tmp_path / "task_a")
    meta = (tmp_path / "task_a" / "s0_config.json").read_text()
    assert '"model_type"' in meta and '"alpha_per_layer"' in meta and '"transformers"' in meta
    first.detach()

    second = attach(tiny_hybrid)  # zero states: the base model
    assert not torch.equal(logits(tiny_hybrid, second, enc), want)
    second.load(tmp_path / "task_a")  # swap the task's state in, no weight reload
    assert torch.equal(logits(tiny_hybrid, second, enc), want)


def test_loading_onto_the_wrong_model_is_one_clear_error(tmp_path):
    gdn, mamba = tiny("tiny_gdn"), tiny("tiny_mamba2")
    attach(gdn, scale=1.0).save(tmp_path / "gdn_state")
    other = attach(mamba)
    with pytest.raises(ArtefactMismatchError, match="made for qwen3_5.*attached model is falcon_h1"):
        other.load(tmp_path / "gdn_state")
    with pytest.raises(ArtefactMismatchError, match="holds no S0 state"):
        other.load(tmp_path / "missing")


def test_detach_gives_back_the_base_model_exactly(tiny_hybrid):
    enc = encode(tiny_hybrid)
    base = logits(tiny_hybrid, None, enc)
    method = attach(tiny_hybrid, scale=5.0)
    model = method.detach()
    assert model is tiny_hybrid.model
    assert torch.equal(logits(tiny_hybrid, None, enc), base)
    assert not model._forward_hooks and all(not m._forward_hooks for m in model.modules())


def test_alpha_modes_and_normalisation(tiny_gdn):
    method = S0Method(S0Config(alpha=0.07))
    method.attach(tiny_gdn.model)
    layer = method.layers[0]
    with torch.no_grad():
        method.states[str(layer.layer_idx)].fill_(2.0)
    raw = method.states[str(layer.layer_idx)]
    assert torch.equal(method.effective_state(layer, training=True), raw)  # the authors' code: raw in training
    assert torch.allclose(method.effective_state(layer, training=False), 0.07 * raw)
    method.config.alpha_mode = "train_and_inference"  # the paper's Algorithm 1
    assert torch.allclose(method.effective_state(layer, training=True), 0.07 * raw)
    method.config.normalize = True
    assert method.effective_state(layer, training=False).norm().item() == pytest.approx(0.07)


def test_family_default_alpha(tiny_gdn, tiny_mamba2):
    gdn, mamba = build_method("s0"), build_method("s0")
    gdn.attach(tiny_gdn.model)
    mamba.attach(tiny_mamba2.model)
    assert gdn.alpha_for(gdn.layers[0]) == 0.07 and mamba.alpha_for(mamba.layers[0]) == 0.65


def test_l2_penalty_value(tiny_gdn):
    method = attach(tiny_gdn, l2=5e-4)
    with torch.no_grad():
        for p in method.trainable_parameters():
            p.fill_(1.0)
    expected = 5e-4 * sum(p.numel() for p in method.trainable_parameters())
    assert method.regularization().item() == pytest.approx(expected)


def test_gradient_checkpointing_is_refused(tiny_gdn):
    tiny_gdn.model.gradient_checkpointing_enable()
    with pytest.raises(UserError, match="gradient checkpointing"):
        build_method("s0").attach(tiny_gdn.model)


def test_bad_config_is_one_line():
    with pytest.raises(UserError, match="alpha_mode") as bad_value:
        build_method("s0", {"alpha_mode": "sometimes"})
    with pytest.raises(UserError, match="unknown method") as unknown:
        build_method("s1")
    for err in (bad_value, unknown):
        assert "\n" not in str(err.value)
