"""The real architectures of the hub configs at real width, head layout and dtype, with random weights and cut depth.

Weights cannot be downloaded on every machine, but the architecture can be built from the dims each hub config
records (``conf/model/<hub model>.yaml``). Depth is cut to one repeat of the family's layer pattern, so every kind of
layer the real model has is present at its real size:

- Qwen3.5 (GatedDeltaNet hybrid): ``full_attention_interval`` layers, i.e. 3 GatedDeltaNet + 1 full attention;
- Falcon-H1 (attention and Mamba-2 in parallel in every layer): 2 layers;
- Qwen2 (pure Transformer, the prefix-tuning control): 2 layers.

Model types without a hub config here (Falcon-Mamba's Mamba-1, Kimi-Linear's KDA) are built by
:func:`build_support_shape` from the support table's structure (:mod:`s0repro.models.support`) at the published
checkpoint's width.

The vocabulary is the one thing shrunk on purpose (to the offline char tokenizer's size unless asked otherwise): the
embedding and LM head are plain lookup / matmul layers whose size does not change any code path, and at 248k entries
they would dominate CPU time. Everything else goes through the same code as the other paths: ``build_config`` builds
the transformers config, ``init_long_memory`` gives the recurrent heads long-memory decays as in the tiny models,
and the model is frozen and put in eval mode as :func:`s0repro.models.loading.load_model` does. Used by the
real-shape CPU tests and ``make gpu-check`` (``benchmarks/gpu_check.py``).
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import AutoModelForCausalLM, PretrainedConfig, PreTrainedModel

from s0repro.models.architectures import build_config
from s0repro.models.config import ModelConfig
from s0repro.models.loading import LoadedModel
from s0repro.models.support import support_config
from s0repro.models.tiny import init_long_memory
from s0repro.models.tokenizer import build_char_tokenizer

PATTERN_LAYERS = {"falcon_h1": 2, "qwen2": 2}  # qwen3_5: its full_attention_interval


def pattern_depth(cfg: ModelConfig) -> int:
    """Layers in one repeat of the family's layer pattern (the smallest depth that keeps every layer kind)."""
    if cfg.arch == "qwen3_5":
        return int(cfg.dims.get("full_attention_interval", 4))
    return PATTERN_LAYERS[cfg.arch]


def real_shape_dims(cfg: ModelConfig, *, layers: int | None = None, vocab_size: int | None = None) -> dict[str, Any]:
    """The recorded dims with depth cut to ``layers`` (default: one pattern repeat) and, if given, another vocab."""
    if not cfg.dims:
        raise ValueError(f"model {cfg.name} records no dims; add the checkpoint's config values to its yaml")
    depth = pattern_depth(cfg) if layers is None else layers
    if cfg.arch == "qwen3_5" and depth % pattern_depth(cfg):
        raise ValueError(f"{cfg.name}: depth {depth} is not a multiple of the 3:1 pattern ({pattern_depth(cfg)})")
    dims = {**cfg.dims, "num_hidden_layers": depth}
    dims.pop("layer_types", None)  # recomputed by the config class from the interval for the cut depth
    if vocab_size is not None:
        dims["vocab_size"] = vocab_size
    return dims


def build_real_shape(cfg: ModelConfig, *, layers: int | None = None, vocab_size: int | None = None,
                     device: str | torch.device = "cpu", seed: int = 0) -> LoadedModel:
    """A frozen, randomly initialised model of ``cfg``'s real architecture in ``cfg.dtype`` (bf16 for the hub ones).

    ``vocab_size=None`` uses the char tokenizer's vocabulary (so every id decodes); deterministic in ``seed``.
    """
    tokenizer = build_char_tokenizer()
    dims = real_shape_dims(cfg, layers=layers, vocab_size=vocab_size or len(tokenizer))
    dims.update(pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
    model = _random_frozen(build_config(cfg.arch, dims), cfg.dtype, device, seed)
    return LoadedModel(model=model, tokenizer=tokenizer, config=cfg)


def build_support_shape(model_type: str, *, vocab_size: int, dtype: str = "bfloat16",
                        device: str | torch.device = "cpu", seed: int = 0, **overrides: Any) -> PreTrainedModel:
    """A frozen random model of a support-table ``model_type`` at real width (``overrides``: the published
    checkpoint's dims where transformers' defaults are another size, depth, layer types), in ``dtype``."""
    tokenizer = build_char_tokenizer()
    config = support_config(model_type, vocab_size=vocab_size, pad_token_id=tokenizer.pad_token_id,
                            eos_token_id=tokenizer.eos_token_id, real_width=True, **overrides)
    return _random_frozen(config, dtype, device, seed)


def _random_frozen(config: PretrainedConfig, dtype: str, device: str | torch.device, seed: int) -> PreTrainedModel:
    """Random weights (long-memory recurrent heads, as the tiny models), frozen, eval mode, on ``device``."""
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    init_long_memory(model, torch.Generator().manual_seed(seed))
    model.requires_grad_(False)
    model.eval()
    return model.to(device)
