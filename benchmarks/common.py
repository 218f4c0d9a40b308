"""What both benchmarks share: loading a model by config name, random method weights, and side-by-side timing.

Timing protocol (``throughput``): every arm is timed right next to a fresh base run, who goes first alternates and
the arm order rotates, so drift of a shared, busy machine hits both sides of a pair alike; ratio = median over rounds
of (arm tokens/s) / (base tokens/s of its pair), quartiles beside it. Clock: on CUDA wall time (synchronised); on
CPU the process's CPU time (``time.process_time``, one torch thread), because there wall time mostly measures the
neighbours.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from s0repro.conf import method_preset
from s0repro.methods import TuningMethod
from s0repro.models import ModelConfig, load_model
from s0repro.paths import REPO_ROOT

PROMPT = "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n"


@dataclass
class Arm:
    """One timed condition: a label, the method (None = base) and the model copy it is attached to."""

    label: str
    method: TuningMethod | None
    model: torch.nn.Module
    tokenizer: Any
    scoped: bool = False  # attach only around its own runs (the state offset patches module-level functions)
    params: int = 0  # trainable parameters of the method
    extra: Callable[[int], dict[str, Any]] | None = None  # generate() kwargs for a batch, instead of the method's


def method_config(stem: str) -> dict[str, Any]:
    """A method preset as Hydra composes it (presets inherit, so the raw YAML is not the config)."""
    return method_preset(stem)


def load(name: str, device: str) -> Any:
    cfg = ModelConfig.from_yaml(REPO_ROOT / "conf" / "model" / f"{name}.yaml", device=device)
    return load_model(cfg)


def randomise(params: list[torch.nn.Parameter], seed: int = 0) -> None:
    """Random non-zero weights (cost does not depend on their values; LoRA's B must not stay zero)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in params:
            p.copy_((torch.randn(p.shape, generator=gen) * 0.02).to(p))


def clock(device: torch.device) -> tuple[Callable[[], float], Callable[[], None]]:
    """(clock, sync) for timing on ``device``: synchronised wall time on CUDA, our own CPU time on CPU."""
    if device.type == "cuda":
        return time.perf_counter, torch.cuda.synchronize
    return time.process_time, lambda: None


def generate_once(arm: Arm, batch: int, new_tokens: int) -> float:
    """Seconds for one greedy generation of ``new_tokens`` tokens for ``batch`` copies of the prompt."""
    tok = arm.tokenizer
    enc = tok([PROMPT] * batch, return_tensors="pt").to(next(arm.model.parameters()).device)
    method, model = arm.method, arm.model
    if arm.scoped:
        model = method.attach(model)
        randomise(method.trainable_parameters())
    if arm.extra is not None:
        extra = arm.extra(batch)
    else:
        extra = method.model_kwargs(batch) if method is not None else {}
    now, sync = clock(enc["input_ids"].device)
    with torch.no_grad():
        sync()
        start = now()
        out = model.generate(**enc, **extra, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                             pad_token_id=tok.pad_token_id)
        sync()
        seconds = now() - start
    if arm.scoped:
        arm.model = method.detach()
    assert out.shape[1] == enc["input_ids"].shape[1] + new_tokens, "EOS must not shorten a timed run"
    return seconds


def throughput(arms: list[Arm], batch: int, new_tokens: int, repeats: int, warmup: int) -> dict[str, dict]:
    """Median tokens/s per arm, and the median ratio to base (``arms[0]``) over adjacent (base, arm) pairs."""
    base, others = arms[0], arms[1:]
    for _ in range(warmup):
        for arm in arms:
            generate_once(arm, batch, new_tokens)
    speeds: dict[str, list[float]] = {a.label: [] for a in arms}
    ratios: dict[str, list[float]] = {a.label: [] for a in others}
    for round_ in range(repeats):
        shift = round_ % len(others)
        for arm in others[shift:] + others[:shift]:
            pair = (base, arm) if round_ % 2 == 0 else (arm, base)  # alternate who goes first
            seconds = {a.label: generate_once(a, batch, new_tokens) for a in pair}
            for label, s in seconds.items():
                speeds[label].append(batch * new_tokens / s)
            ratios[arm.label].append(seconds[base.label] / seconds[arm.label])
    ratios[base.label] = [1.0]
    return {label: {"tokens_per_s": statistics.median(speeds[label]), **summary(ratios[label], "ratio_to_base",
                                                                                  "ratio"),
                    "runs": len(speeds[label])} for label in speeds}


def summary(values: list[float], median_key: str, prefix: str) -> dict[str, float]:
    """``{median_key: median, prefix_q1: first quartile, prefix_q3: third quartile}``."""
    return {median_key: statistics.median(values), f"{prefix}_q1": quantile(values, 0.25),
            f"{prefix}_q3": quantile(values, 0.75)}


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
