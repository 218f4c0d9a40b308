"""What the paper's models cost to tune, from the meta device at full depth: parameters, S0 file size, peak memory.

No weights are needed: the real architecture is built on the meta device from the dims its hub config records, the
method is attached, and one training forward runs on meta tensors (shapes and dtypes only, no arithmetic) under
``torch.autograd.graph.saved_tensors_hooks``, which sees every tensor autograd keeps for the backward pass.

Estimated peak training memory at batch 1 (the paper's micro-batch) for a sequence of ``tokens`` tokens:

    weights (bf16, as loaded)  +  trainable parameters x 4 (fp32 value, gradient, Adam's two moments)
    +  activations autograd saves for backward (frozen weights it saves are not counted twice)
    +  one more buffer the size of the largest saved tensor (the fp32 logits' gradient at the start of backward)

Two activation figures, because the recurrent scan decides most of it:
- ``torch``: as measured through transformers' torch fallback of the scans (what a CPU runs). The fallback keeps
  every chunk's fp32 intermediates, so this is an upper bound.
- ``kernel``: inside each scan call (``torch_chunk_gated_delta_rule`` / ``mamba2_chunk_scan``, the names fla and
  mamba-ssm replace) and each ``scaled_dot_product_attention`` call only the call's tensor inputs and outputs
  (attention: plus its fp32 log-sum-exp) are counted, because the fused kernels save those and recompute the rest in
  backward. Not counted: the CUDA context and allocator slack (typically 0.5-1.5 GB).

``tokens``: the longest verified HumanEval training example. HumanEval problems 0-79 are at most 1,328 characters of
prompt plus canonical solution; a passing sample restates the whole function (the authors' clean-up only lets whole
functions pass), so prompt + instruction + chat template + completion is about 2,800 characters, under 1,024 tokens
at the 2.5-4 characters per token BPE tokenizers reach on Python (700-1,100 tokens); a typical example is about
half of that, so 512 and 1,024 tokens are shown.

Run: ``python -m s0repro.tools.footprint`` prints the table (``--tokens``, ``--models`` to change it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from transformers import AutoModelForCausalLM, PreTrainedModel

from s0repro.conf import LORA_PRESET, method_preset
from s0repro.methods import TuningMethod, build_method
from s0repro.models.architectures import build_config
from s0repro.models.config import ModelConfig
from s0repro.paths import REPO_ROOT

GIB = 2**30
A10G_GIB = 24 * 10**9 / GIB  # "24 GB" A10G: 22.35 GiB
SCAN_FUNCTIONS = {"qwen3_5": ("transformers.models.qwen3_5.modeling_qwen3_5", "torch_chunk_gated_delta_rule"),
                  "falcon_h1": ("transformers.models.falcon_h1.modeling_falcon_h1", "mamba2_chunk_scan")}
MODELS = ("qwen3_5_0_8b", "qwen3_5_2b", "qwen3_5_4b", "qwen3_5_9b", "falcon_h1_7b", "qwen2_5_3b")


@dataclass(frozen=True)
class Footprint:
    """One (model, method) row; bytes throughout."""

    model: str
    method: str
    tokens: int
    total_params: int
    trainable_params: int
    weights_bytes: int
    optimiser_bytes: int  # trainable x 4: value, gradient, Adam m and v
    activation_bytes: dict[str, int]  # "torch" (fallback, measured) and "kernel" (scan inputs/outputs only)
    largest_saved_bytes: int

    def peak_bytes(self, path: str) -> int:
        return (self.weights_bytes + self.optimiser_bytes + self.activation_bytes[path]
                + self.largest_saved_bytes)

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "method": self.method, "tokens": self.tokens,
                "total_params": self.total_params, "trainable_params": self.trainable_params,
                "weights_gib": self.weights_bytes / GIB, "optimiser_gib": self.optimiser_bytes / GIB,
                "activations_gib": {k: v / GIB for k, v in self.activation_bytes.items()},
                "peak_gib": {k: self.peak_bytes(k) / GIB for k in self.activation_bytes}}


def model_config(name: str) -> ModelConfig:
    return ModelConfig.from_yaml(REPO_ROOT / "conf" / "model" / f"{name}.yaml")


def meta_model(cfg: ModelConfig) -> PreTrainedModel:
    """The full-depth architecture on the meta device in the config's dtype, frozen."""
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(build_config(cfg.arch, cfg.dims), dtype=getattr(torch, cfg.dtype))
    return model.requires_grad_(False)


def s0_file_bytes(model: PreTrainedModel) -> int:
    """Bytes of S0's tensors in its safetensors file (fp32); the file adds a JSON header of a few KB."""
    method = build_method("s0")
    method.attach(model)
    size = method.trainable_bytes()
    method.detach()
    return size


class _SavedBytes:
    """Sums the bytes autograd saves, skipping frozen weights and, for the kernel figure, the insides of fused calls."""

    def __init__(self, model: PreTrainedModel) -> None:
        self.weight_ids = {id(p) for p in model.parameters()}
        self.total = {"torch": 0, "kernel": 0}
        self.largest = 0
        self.in_kernel = False

    def pack(self, tensor: torch.Tensor) -> torch.Tensor:
        base = tensor._base if tensor._base is not None else tensor
        if id(base) not in self.weight_ids and id(tensor) not in self.weight_ids:
            size = tensor.numel() * tensor.element_size()
            self.total["torch"] += size
            self.total["kernel"] += 0 if self.in_kernel else size
            self.largest = max(self.largest, size)
        return tensor

    def kernel_io(self, *values: Any) -> None:
        """A kernel keeps its tensor inputs and outputs for backward."""
        for value in values:
            for item in value if isinstance(value, (tuple, list)) else (value,):
                if isinstance(item, torch.Tensor):
                    self.total["kernel"] += item.numel() * item.element_size()


def _fused(counter: _SavedBytes, original: Any, extra: Callable[[Any], int] | None = None) -> Callable:
    """``original`` as a fused kernel would save for backward: its tensor inputs and outputs (plus ``extra``)."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        counter.in_kernel = True
        try:
            out = original(*args, **kwargs)
        finally:
            counter.in_kernel = False
        counter.kernel_io(*args, *kwargs.values(), out)
        if extra is not None:
            counter.total["kernel"] += extra(out)
        return out

    return wrapped


def _logsumexp_bytes(out: torch.Tensor) -> int:
    """Flash / memory-efficient attention also keep one fp32 log-sum-exp per query position and head."""
    return out.numel() // out.shape[-1] * 4


@contextmanager
def _count_kernels(arch: str, counter: _SavedBytes) -> Iterator[None]:
    """Wrap the family's chunked scan and SDPA so what they save inside counts only towards the torch figure.

    On meta tensors SDPA takes its math path, which keeps the T x T attention probabilities; on a GPU the fused
    kernels keep q, k, v, the output and the log-sum-exp instead.
    """
    targets: list[tuple[Any, str, Callable[[Any], int] | None]] = [
        (torch.nn.functional, "scaled_dot_product_attention", _logsumexp_bytes)]
    if arch in SCAN_FUNCTIONS:
        module_name, fn_name = SCAN_FUNCTIONS[arch]
        targets.append((sys.modules[module_name], fn_name, None))
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in targets]
    for (owner, name, extra), (_, _, original) in zip(targets, saved, strict=True):
        setattr(owner, name, _fused(counter, original, extra))
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def training_footprint(cfg: ModelConfig, method_stem: str, tokens: int) -> Footprint:
    """One training forward of ``method`` (a conf/method preset) on the meta model, batch 1, ``tokens`` tokens."""
    model = meta_model(cfg)
    preset = method_preset(method_stem)
    method: TuningMethod = build_method(preset["name"], preset)
    called = method.attach(model)
    counter = _SavedBytes(model)
    ids = torch.zeros((1, tokens), dtype=torch.long, device="meta")
    # No attention mask: on meta tensors the mask helpers would call .item(); batch 1 needs none.
    with _count_kernels(cfg.arch, counter), torch.autograd.graph.saved_tensors_hooks(counter.pack, lambda t: t):
        logits = called(input_ids=ids, **method.model_kwargs(1, training=True)).logits
        torch.nn.functional.cross_entropy(logits[0, :-1].float(), ids[0, 1:])  # as the training loop scores
    weights = sum(p.numel() * p.element_size() for p in model.parameters() if not p.requires_grad)
    result = Footprint(model=cfg.name, method=method.name, tokens=tokens,
                       total_params=sum(p.numel() for p in model.parameters() if not p.requires_grad),
                       trainable_params=method.num_trainable_parameters(), weights_bytes=weights,
                       optimiser_bytes=4 * method.trainable_bytes(), activation_bytes=dict(counter.total),
                       largest_saved_bytes=counter.largest)
    method.detach()
    return result


def methods_for(arch: str) -> list[str]:
    """The trained methods compared on each family (conf/method stems): S0 and LoRA, prefix on the Transformer."""
    return ["s0", LORA_PRESET[arch]] if arch != "qwen2" else [LORA_PRESET[arch], "prefix"]


def table(rows: list[Footprint], s0_mib: dict[str, float]) -> str:
    """Markdown, one row per (model, method): parameters, S0 file, peak memory per sequence length on both scan
    paths, and whether the kernel path fits a 24 GB A10G."""
    lengths = sorted({r.tokens for r in rows})
    groups: dict[tuple[str, str], dict[int, Footprint]] = {}
    for r in rows:
        groups.setdefault((r.model, r.method), {})[r.tokens] = r
    head = "".join(f" peak GiB, {t} tokens (kernel / torch) |" for t in lengths)
    lines = [f"| model | params | S0 file (MiB) | method | trainable | weights GiB |{head} fits 24 GB A10G "
             f"(kernel; {' / '.join(map(str, lengths))} tokens) |", "|---" * (7 + len(lengths)) + "|"]
    for (model, method), by_len in groups.items():
        first = next(iter(by_len.values()))
        peaks = "".join(f" {by_len[t].peak_bytes('kernel') / GIB:.1f} / {by_len[t].peak_bytes('torch') / GIB:.1f} |"
                        if t in by_len else " – |" for t in lengths)
        fits = " / ".join(("yes" if by_len[t].peak_bytes("kernel") / GIB <= A10G_GIB else "no") if t in by_len
                          else "–" for t in lengths)
        s0 = f"{s0_mib[model]:.1f}" if model in s0_mib else "–"
        lines.append(f"| {model} | {first.total_params / 1e9:.2f}B | {s0} | {method} | {first.trainable_params:,} | "
                     f"{first.weights_bytes / GIB:.1f} |{peaks} {fits} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--tokens", nargs="+", type=int, default=[512, 1024])
    args = parser.parse_args(argv)
    rows, s0_mib = [], {}
    for name in args.models:
        cfg = model_config(name)
        if cfg.arch != "qwen2":
            s0_mib[name] = s0_file_bytes(meta_model(cfg)) / 2**20
        for stem in methods_for(cfg.arch):
            rows += [training_footprint(cfg, stem, t) for t in args.tokens]
    print(table(rows, s0_mib))
    return 0


if __name__ == "__main__":
    sys.exit(main())
