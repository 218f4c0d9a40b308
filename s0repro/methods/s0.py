"""S0 tuning: learn only the initial recurrent state of every recurrent layer; every weight stays frozen.

Per recurrent layer one fp32 state, zero-initialised (so the untrained method *is* the base model), injected through
:class:`InitialStateCache` before the prompt is processed, in training forwards and in ``generate()`` alike.

Scale. The authors' code trains the raw state and multiplies it by ``alpha`` only at inference (0.07 for
GatedDeltaNet, 0.65 for Mamba-2; ``DEFAULT_ALPHA`` for the other kinds), optionally ``alpha * S0 / ||S0||_F`` per
layer; the paper's Algorithm 1 applies ``alpha`` during training too. Both are here: ``alpha_mode="inference_only"`` (the code's, our default) or
``"train_and_inference"``, and ``normalize``. ``alpha=None`` takes the family default.

Left padding is made harmless by :mod:`s0repro.models.padding` (pad positions do not decay the state), installed on
attach with the other seams (:mod:`s0repro.models.seams`) and removed on detach. Gradient checkpointing drops the cache silently, so it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from transformers import PreTrainedModel

from s0repro.errors import UserError
from s0repro.methods.base import InferenceCost, MethodConfig, register
from s0repro.methods.layer_state import LayerSpec, LayerStateMethod, check_layer_spec
from s0repro.models.cache import InitialStateCache
from s0repro.models.padding import PaddingNeutralHooks
from s0repro.models.recurrent import RecurrentLayer
from s0repro.models.seams import install_initial_state_seams

# The authors' values for GatedDeltaNet and Mamba-2. They publish none for the other two kinds, so each takes the value
# of the kind whose state it reads out the same way: KDA is GatedDeltaNet's delta rule (L2-normalised q and k, read
# out as S^T q / sqrt(K)) with a per-channel instead of per-head decay; Mamba-1 is Mamba-2's selective SSM (read out
# by C, no normalisation) with a per-channel instead of per-head step.
DEFAULT_ALPHA = {"gated_deltanet": 0.07, "mamba2": 0.65, "kda": 0.07, "mamba1": 0.65}
ALPHA_MODES = ("inference_only", "train_and_inference")


@dataclass
class S0Config(MethodConfig):
    name: str = "s0"
    lr: float = 1e-3  # paper: Adam, lr 1e-3
    steps: int = 20  # paper: 20 full passes over the ~48 verified solutions
    alpha: float | None = None  # None: the kind's DEFAULT_ALPHA (the authors': 0.07 GatedDeltaNet, 0.65 Mamba-2)
    alpha_mode: str = "inference_only"  # the authors' code; "train_and_inference" is the paper's Algorithm 1
    normalize: bool = False  # alpha * S0 / ||S0||_F per layer (the authors' MATH-500 / Spider runs)
    l2: float = 5e-4  # lambda * sum ||S0||_F^2
    layers: LayerSpec = None  # null = all; early/middle/late/all (thirds by depth) or decoder-layer indices

    def __post_init__(self) -> None:
        if self.alpha_mode not in ALPHA_MODES:
            raise UserError(f"method.alpha_mode={self.alpha_mode!r} is not one of {ALPHA_MODES}")
        if self.alpha is not None and self.alpha <= 0:
            raise UserError(f"method.alpha={self.alpha} must be positive (or null for the family default)")
        if self.l2 < 0:
            raise UserError(f"method.l2={self.l2} must be >= 0")
        check_layer_spec(self.layers)


@register
class S0Method(LayerStateMethod):
    name = "s0"
    inference_cost = InferenceCost.NONE
    config_class = S0Config
    artefact_files = ("s0_state.safetensors", "s0_config.json")
    artefact_what = "S0 state"
    tensor_key = "s0"

    def __init__(self, config: S0Config | None = None) -> None:
        super().__init__(config)
        self.padding_hooks: PaddingNeutralHooks | None = None

    def attach(self, model: PreTrainedModel) -> nn.Module:
        if getattr(model, "is_activation_checkpointing", False):
            raise UserError("S0 tuning cannot run with gradient checkpointing: it drops the cache that carries S0")
        self._attach_states(model)
        self.padding_hooks = install_initial_state_seams(model)
        self.model = self.base_model = model
        return model

    def detach(self) -> PreTrainedModel:
        model = self._require_attached()
        if self.padding_hooks is not None:
            self.padding_hooks.remove()
        self.model = self.base_model = None
        self.padding_hooks = None
        return model

    def alpha_for(self, layer: RecurrentLayer) -> float:
        return self.config.alpha if self.config.alpha is not None else DEFAULT_ALPHA[layer.kind]

    def effective_state(self, layer: RecurrentLayer, *, training: bool) -> torch.Tensor:
        """The state actually injected: raw, or scaled by alpha (and normalised) as the config says."""
        raw = self.states[str(layer.layer_idx)]
        if training and self.config.alpha_mode == "inference_only":
            return raw
        alpha = self.alpha_for(layer)
        if self.config.normalize:
            return alpha * raw / raw.norm().clamp_min(1e-12)
        return alpha * raw

    def model_kwargs(self, batch_size: int, *, training: bool = False) -> dict[str, Any]:
        model = self._require_attached()
        initial = {
            l.layer_idx: self.effective_state(l, training=training).unsqueeze(0).expand(batch_size, *l.state_shape)
            .contiguous()
            for l in self.layers
        }
        return {"cache": InitialStateCache(initial, config=model.config), "use_cache": True}

    def _artefact_extra(self) -> dict[str, Any]:
        return {"alpha_per_layer": {str(l.layer_idx): self.alpha_for(l) for l in self.layers}}
