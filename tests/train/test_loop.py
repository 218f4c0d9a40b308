"""The training loop: micro-batching with right padding is only a speed-up — same losses, same gradient."""

from __future__ import annotations

import pytest
import torch

from s0repro.methods import build_method
from s0repro.train import TrainConfig, TrainExample, completion_loss, train
from s0repro.train.loop import _collate, _encode, micro_batches

EXAMPLES = [
    TrainExample("def double(x):\n", "    return 2 * x\n"),
    TrainExample("def is_even(n):\n    '''True when n is even.'''\n", "    return n % 2 == 0\n"),
    TrainExample("def f():\n", "    pass\n"),
]
REL_TOL = 1e-3


def _attached(model, method_name: str):
    """The method on ``model``, its trainable weights moved off their init (S0 starts at zero: no gradient path)."""
    cfg = {"alpha": 1.0} if method_name == "s0" else {"target_modules": ["q_proj", "v_proj"], "r": 2}
    method = build_method(method_name, cfg)
    method.attach(model.model)
    params = method.trainable_parameters()
    with torch.no_grad():
        for p in params:
            p.add_(0.5 * torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))
    return method, params


def _losses_and_grads(method, params, items, pad, *, batched: bool, all_logits: bool = False):
    for p in params:
        p.grad = None
    groups = [items] if batched else [[it] for it in items]
    losses = torch.cat([completion_loss(method, *_collate(g, pad, torch.device("cpu")), all_logits=all_logits)
                        for g in groups])
    losses.mean().backward()
    return losses.detach(), [p.grad.clone() for p in params]


def _assert_close(a_losses, a_grads, b_losses, b_grads) -> None:
    assert a_losses.shape == b_losses.shape == (len(EXAMPLES),)
    assert torch.allclose(a_losses, b_losses, rtol=REL_TOL, atol=0.0), (a_losses, b_losses)
    for a, b in zip(a_grads, b_grads, strict=True):
        scale = torch.linalg.vector_norm(a)
        assert scale > 0
        assert torch.linalg.vector_norm(a - b) <= REL_TOL * scale, (torch.linalg.vector_norm(a - b) / scale).item()


@pytest.mark.parametrize("method_name", ["s0", "lora"])
def test_micro_batch_gives_the_same_losses_and_gradient(tiny_hybrid, method_name):
    method, params = _attached(tiny_hybrid, method_name)
    items = [_encode(tiny_hybrid.tokenizer, ex) for ex in EXAMPLES]
    pad = tiny_hybrid.tokenizer.pad_token_id
    # Batched and one-at-a-time run float32 sums in another order: measured up to 8.5e-5 of a gradient's norm (LoRA,
    # any ATEN_CPU_CAPABILITY, 1-2 threads) and 5e-7 on losses ~3; a padding leak changes them by percents. So the
    # bounds are relative: to each loss, and to each gradient's norm, never absolute.
    _assert_close(*_losses_and_grads(method, params, items, pad, batched=False),
                  *_losses_and_grads(method, params, items, pad, batched=True))


@pytest.mark.parametrize("method_name", ["s0", "lora"])
def test_the_lm_head_at_completion_positions_only_matches_the_full_logits_reference(tiny_hybrid, method_name):
    """The fast path skips the prompt's logits; losses and gradients (S0's initial states included) are the
    reference's, up to rounding."""
    method, params = _attached(tiny_hybrid, method_name)
    items = [_encode(tiny_hybrid.tokenizer, ex) for ex in EXAMPLES]
    pad = tiny_hybrid.tokenizer.pad_token_id
    reference = _losses_and_grads(method, params, items, pad, batched=True, all_logits=True)
    fast = _losses_and_grads(method, params, items, pad, batched=True)
    _assert_close(*reference, *fast)
    if method_name == "s0":  # the gradient reaches every layer's initial state
        assert len(fast[1]) == len(method.layers)


def test_micro_batches_group_examples_of_similar_length_and_keep_the_step_s_examples():
    lengths = [30, 10, 50, 20, 40, 15]
    assert micro_batches([0, 1, 2, 3, 4, 5], lengths, 4) == [[1, 5, 3, 0], [4, 2]]
    assert micro_batches([4, 2, 1], lengths, 1) == [[1], [4], [2]]  # a sampled batch (batch > 0): same examples


def test_train_records_losses_and_needs_examples(tiny_gdn):
    method = build_method("s0", {"alpha": 1.0})
    method.attach(tiny_gdn.model)
    result = train(method, tiny_gdn.tokenizer, EXAMPLES, TrainConfig(steps=3, lr=0.1, micro_batch=2, progress=False))
    assert result.steps == 3 and len(result.losses) == 3 and result.num_examples == 3
    assert all(loss > 0 for loss in result.losses)
    with pytest.raises(ValueError, match="no training examples"):
        train(method, tiny_gdn.tokenizer, [], TrainConfig(steps=1, progress=False))
