"""Find the recurrent mixers of a loaded model and the shape of the state each one carries.

GatedDeltaNet (Qwen3.5): state per layer [num_v_heads, head_k_dim, head_v_dim].
Mamba-2 (Falcon-H1):     state per layer [num_heads, head_dim, d_state].
Detection is by the modules transformers instantiates, so it works on the meta device, on tiny models and on real
checkpoints alike, and also through a peft wrapper.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn


class NoRecurrentLayersError(ValueError):
    """Raised when a state method is asked for on a model without recurrent layers."""


@dataclass(frozen=True)
class RecurrentLayer:
    """One recurrent mixer: its decoder-layer index, module, family and state shape (without batch)."""

    layer_idx: int
    module: nn.Module
    kind: str  # "gated_deltanet" | "mamba2"
    state_shape: tuple[int, int, int]

    @property
    def numel(self) -> int:
        h, k, v = self.state_shape
        return h * k * v


def _classify(module: nn.Module) -> tuple[str, tuple[int, int, int]] | None:
    name = type(module).__name__
    if name.endswith("GatedDeltaNet"):
        return "gated_deltanet", (module.num_v_heads, module.head_k_dim, module.head_v_dim)
    if name.endswith("Mixer") and all(hasattr(module, a) for a in ("ssm_state_size", "head_dim", "A_log")):
        return "mamba2", (module.num_heads, module.head_dim, module.ssm_state_size)
    return None


def find_recurrent_layers(model: nn.Module) -> list[RecurrentLayer]:
    """All recurrent mixers in layer order (empty for a pure Transformer)."""
    found = []
    for module in model.modules():
        hit = _classify(module)
        if hit is not None:
            kind, shape = hit
            found.append(RecurrentLayer(int(module.layer_idx), module, kind, shape))
    return sorted(found, key=lambda layer: layer.layer_idx)


def require_recurrent_layers(model: nn.Module, method: str) -> list[RecurrentLayer]:
    """Like :func:`find_recurrent_layers`, but a pure Transformer is a clear error naming the alternatives."""
    layers = find_recurrent_layers(model)
    if not layers:
        arch = getattr(getattr(model, "config", None), "model_type", type(model).__name__)
        raise NoRecurrentLayersError(
            f"method={method} needs recurrent layers, but {arch} is a pure Transformer with none; "
            "use method=lora or method=prefix instead"
        )
    return layers
