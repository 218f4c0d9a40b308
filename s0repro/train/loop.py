"""The one training loop every method goes through.

Paper protocol (S0): Adam, lr 1e-3, 20 steps, each step a full pass over all ~48 verified solutions with gradient
accumulation at micro-batch 1; loss = cross-entropy on completion tokens only, mean per example then over examples;
plus the method's regulariser (S0: 5e-4 * sum ||S0||_F^2); gradient-norm clip 1.0. LoRA's preset instead takes 50
steps of one example each (``batch=1``). ``micro_batch`` examples share one forward, right-padded (examples of similar length together): padding
after a causal sequence cannot reach its earlier positions, and each example's loss is still its own mean, so any
micro-batch gives the same gradient as 1 (the paper's) up to float rounding — tested — only faster.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerBase

from s0repro.data.base import TrainExample
from s0repro.methods.base import TuningMethod


@dataclass
class TrainConfig:
    steps: int = 20  # optimiser steps
    lr: float = 1e-3
    batch: int = 0  # examples per step; 0 = all of them (a full pass, the paper's S0 protocol)
    grad_clip: float = 1.0
    micro_batch: int = 1  # examples per forward (right-padded); the gradient does not depend on it
    seed: int = 0  # fixes the example order for batch > 0
    weight_decay: float = 0.0
    progress: bool = True


@dataclass
class TrainResult:
    losses: list[float] = field(default_factory=list)  # mean completion loss per step (before the regulariser)
    steps: int = 0
    seconds: float = 0.0
    peak_memory_mb: float = 0.0
    trainable_params: int = 0
    num_examples: int = 0


def _encode(tokenizer: PreTrainedTokenizerBase, example: TrainExample) -> tuple[list[int], list[int]]:
    prompt_ids = tokenizer(example.prompt, add_special_tokens=False)["input_ids"]
    completion_ids = tokenizer(example.completion, add_special_tokens=False)["input_ids"]
    if not completion_ids:
        raise ValueError(f"example {example.task_id or '?'} has an empty completion")
    return prompt_ids + completion_ids, [-100] * len(prompt_ids) + completion_ids


def _collate(items: list[tuple[list[int], list[int]]], pad_id: int, device: torch.device) -> tuple:
    """Right-pad to the longest: ids, labels (-100 on pads) and the attention mask."""
    width = max(len(ids) for ids, _ in items)
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    labels = torch.full((len(items), width), -100, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for row, (seq, lab) in enumerate(items):
        ids[row, : len(seq)], labels[row, : len(lab)], mask[row, : len(seq)] = (
            torch.tensor(seq), torch.tensor(lab), 1)
    return ids.to(device), labels.to(device), mask.to(device)


def completion_loss(
    method: TuningMethod, ids: torch.Tensor, labels: torch.Tensor, attention_mask: torch.Tensor | None = None, *,
    all_logits: bool = False,
) -> torch.Tensor:
    """Per-example mean cross-entropy over completion tokens, shape [batch].

    Only the positions that predict a completion token (from the first to the last in the batch) go through the LM
    head; the prompt's logits would be thrown away. ``all_logits=True`` is the plain reference: logits everywhere,
    masked afterwards (tests compare the two, gradients included).
    """
    mask = torch.ones_like(ids) if attention_mask is None else attention_mask
    targets = labels[:, 1:]
    kwargs = method.model_kwargs(ids.shape[0], training=True)
    if all_logits:
        logits = method.model(input_ids=ids, attention_mask=mask, **kwargs).logits[:, :-1]
    else:
        scored = (targets != -100).any(dim=0).nonzero().squeeze(1)
        keep = torch.arange(int(scored[0]), int(scored[-1]) + 1, device=ids.device)
        logits = method.model(input_ids=ids, attention_mask=mask, logits_to_keep=keep, **kwargs).logits
        targets = targets[:, keep]
    token_loss = torch.nn.functional.cross_entropy(
        logits.float().transpose(1, 2), targets, ignore_index=-100, reduction="none"
    )
    counted = (targets != -100).sum(dim=1)
    return token_loss.sum(dim=1) / counted


def micro_batches(batch: list[int], lengths: list[int], size: int) -> list[list[int]]:
    """``batch`` in groups of ``size``, shortest examples first: similar lengths share a forward, so little of it is
    padding. The step's gradient is a sum over its examples, so their order does not change it (beyond rounding)."""
    ordered = sorted(batch, key=lambda i: lengths[i])
    return [ordered[at : at + size] for at in range(0, len(ordered), size)]


def _peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def train(
    method: TuningMethod,
    tokenizer: PreTrainedTokenizerBase,
    examples: list[TrainExample],
    cfg: TrainConfig,
    *,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Optimise ``method.trainable_parameters()``; nothing else receives a gradient or changes."""
    if not examples:
        raise ValueError("no training examples: the verified set is empty (no sampled solution passed its tests)")
    params = method.trainable_parameters()
    device = params[0].device
    encoded = [_encode(tokenizer, ex) for ex in examples]
    lengths = [len(ids) for ids, _ in encoded]
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    optimiser = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    order = torch.Generator().manual_seed(cfg.seed)
    result = TrainResult(trainable_params=method.num_trainable_parameters(), num_examples=len(examples))
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    queue: list[int] = []
    start = time.perf_counter()
    for step in tqdm(range(cfg.steps), desc=f"train {method.name}", disable=not cfg.progress, leave=False):
        if cfg.batch <= 0:
            batch = list(range(len(encoded)))
        else:
            while len(queue) < cfg.batch:
                queue.extend(torch.randperm(len(encoded), generator=order).tolist())
            batch, queue = queue[: cfg.batch], queue[cfg.batch :]
        optimiser.zero_grad(set_to_none=True)
        step_loss = 0.0
        for group in micro_batches(batch, lengths, max(1, cfg.micro_batch)):
            chunk = _collate([encoded[i] for i in group], pad_id, device)
            loss = completion_loss(method, *chunk).sum() / len(batch)
            loss.backward()
            step_loss += loss.item()
        penalty = method.regularization()
        if penalty is not None:
            penalty.backward()
        if cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        optimiser.step()
        result.losses.append(step_loss)
        if on_step is not None:
            on_step(step, step_loss)
    result.steps = cfg.steps
    result.seconds = time.perf_counter() - start
    result.peak_memory_mb = _peak_memory_mb(device)
    return result
