"""The training loop: micro-batching with right padding is only a speed-up — same losses, same gradient."""

from __future__ import annotations

import pytest
import torch

from s0repro.methods import build_method
from s0repro.train import TrainConfig, TrainExample, completion_loss, train
from s0repro.train.loop import _collate, _encode

EXAMPLES = [
    TrainExample("def double(x):\n", "    return 2 * x\n"),
    TrainExample("def is_even(n):\n    '''True when n is even.'''\n", "    return n % 2 == 0\n"),
    TrainExample("def f():\n", "    pass\n"),
]
REL_TOL = 1e-3


@pytest.mark.parametrize("method_name", ["s0", "lora"])
def test_micro_batch_gives_the_same_losses_and_gradient(tiny_hybrid, method_name):
    cfg = {"alpha": 1.0} if method_name == "s0" else {"target_modules": ["q_proj", "v_proj"], "r": 2}
    method = build_method(method_name, cfg)
    method.attach(tiny_hybrid.model)
    params = method.trainable_parameters()
    with torch.no_grad():
        for p in params:
            p.add_(0.5 * torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))
    items = [_encode(tiny_hybrid.tokenizer, ex) for ex in EXAMPLES]
    pad = tiny_hybrid.tokenizer.pad_token_id

    def grads(batched: bool) -> tuple[torch.Tensor, list[torch.Tensor]]:
        for p in params:
            p.grad = None
        if batched:
            losses = completion_loss(method, *_collate(items, pad, torch.device("cpu")))
        else:
            losses = torch.cat([completion_loss(method, *_collate([it], pad, torch.device("cpu"))) for it in items])
        losses.mean().backward()
        return losses.detach(), [p.grad.clone() for p in params]

    one_losses, one_grads = grads(batched=False)
    many_losses, many_grads = grads(batched=True)
    assert one_losses.shape == many_losses.shape == (3,)
    # Batched and one-at-a-time run float32 sums in another order: measured up to 8.5e-5 of a gradient's norm (LoRA,
    # any ATEN_CPU_CAPABILITY, 1-2 threads) and 5e-7 on losses ~3; a padding leak changes them by percents. So the
    # bounds are relative: to each loss, and to each gradient's norm, never absolute.
    assert torch.allclose(one_losses, many_losses, rtol=REL_TOL, atol=0.0), (one_losses, many_losses)
    for a, b in zip(one_grads, many_grads, strict=True):
        scale = torch.linalg.vector_norm(a)
        assert scale > 0
        assert torch.linalg.vector_norm(a - b) <= REL_TOL * scale, (torch.linalg.vector_norm(a - b) / scale).item()


def test_train_records_losses_and_needs_examples(tiny_gdn):
    method = build_method("s0", {"alpha": 1.0})
    method.attach(tiny_gdn.model)
    result = train(method, tiny_gdn.tokenizer, EXAMPLES, TrainConfig(steps=3, lr=0.1, micro_batch=2, progress=False))
    assert result.steps == 3 and len(result.losses) == 3 and result.num_examples == 3
    assert all(loss > 0 for loss in result.losses)
    with pytest.raises(ValueError, match="no training examples"):
        train(method, tiny_gdn.tokenizer, [], TrainConfig(steps=1, progress=False))
