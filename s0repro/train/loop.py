"""The one training loop every method goes through.

Paper protocol (S0): Adam, lr 1e-3, 20 steps, each step a full pass over all ~48 verified solutions with gradient
accumulation at micro-batch 1; loss = cross-entropy on completion tokens only, mean per example then over examples;
plus the method's regulariser (S0: 5e-4 * sum ||S0||_F^2); gradient-norm clip 1.0. LoRA's preset instead takes 50
steps of one example each (``batch=1``). Micro-batch 1 means no padding enters training at all.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerBase

from s0repro.methods.base import TuningMethod


@dataclass
class TrainConfig:
    steps: int = 20  # optimiser steps
    lr: float = 1e-3
    batch: int = 0  # examples per step; 0 = all of them (a full pass, the paper's S0 protocol)
    grad_clip: float = 1.0
    seed: int = 0  # fixes the example order for batch > 0
    weight_decay: float = 0.0
    progress: bool = True


@dataclass(frozen=True)
class TrainExample:
    prompt: str  # the full model input before the completion (chat template already applied)
    completion: str  # the target text; only its tokens are scored
    task_id: str = ""


@dataclass
class TrainResult:
    losses: list[float] = field(default_factory=list)  # mean completion loss per step (before the regulariser)
    steps: int = 0
    seconds: float = 0.0
    peak_memory_mb: float = 0.0
    trainable_params: int = 0
    num_examples: int = 0


def _encode(tokenizer: PreTrainedTokenizerBase, example: TrainExample, device: torch.device) -> tuple:
    prompt_ids = tokenizer(example.prompt, add_special_tokens=False)["input_ids"]
    completion_ids = tokenizer(example.completion, add_special_tokens=False)["input_ids"]
    if not completion_ids:
        raise ValueError(f"example {example.task_id or '?'} has an empty completion")
    ids = torch.tensor([prompt_ids + completion_ids], device=device)
    labels = torch.tensor([[-100] * len(prompt_ids) + completion_ids], device=device)
    return ids, labels


def completion_loss(method: TuningMethod, ids: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the completion tokens of one example (batch of 1)."""
    model = method.model
    logits = model(input_ids=ids, attention_mask=torch.ones_like(ids), **method.model_kwargs(1, training=True)).logits
    shift_logits = logits[:, :-1].float()
    shift_labels = labels[:, 1:]
    return torch.nn.functional.cross_entropy(
        shift_logits.reshape(-1, shift_logits.shape[-1]), shift_labels.reshape(-1), ignore_index=-100
    )


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
    encoded = [_encode(tokenizer, ex, device) for ex in examples]
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
        for i in batch:
            loss = completion_loss(method, *encoded[i]) / len(batch)
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
