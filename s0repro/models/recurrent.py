"""Find the recurrent mixers of a loaded model and the shape of the state each one carries.

The mixer kinds and how each is recognised are in :mod:`s0repro.models.families` (by the scan function a mixer
calls, not its class name). Detection is by the modules transformers instantiates, so it works on the meta device,
on tiny models and on real checkpoints alike, and also through a peft wrapper. A model type whose recurrence S0
cannot reach (lightning attention, xLSTM, RWKV, the RG-LRU) is refused in one line that says why; a model with no
recurrent state at all is the pure-Transformer error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import nn

from s0repro.models.families import kind_of, state_shape

# model types whose recurrent state S0 cannot be given, and why (transformers 5.24)
REFUSED = {
    "minimax": "its lightning attention keeps its state in MiniMaxCache.linear_cache, outside the recurrent-state seam S0 uses",
    "xlstm": "its mLSTM keeps its state in an xLSTMCache, outside the recurrent-state seam S0 uses",
    "rwkv": "RWKV takes no attention mask, so left-padded batches would decay the state at every pad",
    "recurrent_gemma": "the RG-LRU resets its state at position 0, so an initial state never reaches a token",
}
SUPPORTED_TYPES = ("qwen3_5", "qwen3_5_moe", "qwen3_next", "olmo_hybrid", "falcon_h1", "bamba", "mamba2",
                   "granitemoehybrid", "nemotron_h", "zamba2", "kimi_linear", "mamba", "falcon_mamba", "jamba")


class NoRecurrentLayersError(ValueError):
    """Raised when a state method is asked for on a model without recurrent layers (or with unreachable ones)."""


@dataclass(frozen=True)
class RecurrentLayer:
    """One recurrent mixer: its decoder-layer index, module, kind and state shape (without batch)."""

    layer_idx: int
    module: nn.Module
    kind: str  # one of s0repro.models.families.KINDS
    state_shape: tuple[int, ...]

    @property
    def numel(self) -> int:
        return math.prod(self.state_shape)


def find_recurrent_layers(model: nn.Module) -> list[RecurrentLayer]:
    """All recurrent mixers in layer order (empty for a pure Transformer)."""
    found = []
    for module in model.modules():
        kind = kind_of(module)
        if kind is not None:
            found.append(RecurrentLayer(int(module.layer_idx), module, kind, state_shape(module, kind)))
    return sorted(found, key=lambda layer: layer.layer_idx)


def model_type(model: nn.Module) -> str:
    return getattr(getattr(model, "config", None), "model_type", type(model).__name__)


def require_recurrent_layers(model: nn.Module, method: str) -> list[RecurrentLayer]:
    """Like :func:`find_recurrent_layers`, but a refused or pure-Transformer model is a clear one-line error."""
    layers = find_recurrent_layers(model)
    if layers:
        return layers
    arch = model_type(model)
    if arch in REFUSED:
        raise NoRecurrentLayersError(
            f"method={method} does not support {arch}: {REFUSED[arch]}; supported: {', '.join(SUPPORTED_TYPES)}")
    raise NoRecurrentLayersError(
        f"method={method} needs recurrent layers, but {arch} is a pure Transformer with none; "
        "use method=lora or method=prefix instead"
    )
