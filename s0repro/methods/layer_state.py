"""What S0 and the state offset share: one fp32 tensor per recurrent layer, shaped like that layer's state.

Both are zero-initialised (so the untrained method is the base model), optionally restricted to some layers (the
layer-group ablation), L2-penalised, and saved as a self-describing artefact keyed by layer index. They differ only
in where the tensor enters the recurrence: S0 as the starting state, the offset at every read-out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn
from transformers import PreTrainedModel

from s0repro.errors import UserError
from s0repro.methods.artefact import load_artefact, save_artefact
from s0repro.methods.base import TuningMethod
from s0repro.models.recurrent import RecurrentLayer, require_recurrent_layers


def model_signature(model: PreTrainedModel, layers: list[RecurrentLayer]) -> dict[str, Any]:
    """What a per-layer state file must match: the family and every layer's index, kind and shape."""
    return {
        "model_type": model.config.model_type,
        "layers": [{"layer_idx": l.layer_idx, "kind": l.kind, "shape": list(l.state_shape)} for l in layers],
    }


class LayerStateMethod(TuningMethod):
    """Base of S0 and the state offset; subclasses set ``artefact_files``, ``artefact_what`` and ``tensor_key``."""

    artefact_files: ClassVar[tuple[str, str]]  # (safetensors file, JSON file)
    artefact_what: ClassVar[str]  # how errors name the artefact ("S0 state")
    tensor_key: ClassVar[str]  # tensors are saved as layers.<idx>.<tensor_key>

    def __init__(self, config=None) -> None:
        super().__init__(config)
        self.layers: list[RecurrentLayer] = []
        self.states = nn.ParameterDict()  # str(layer_idx) -> fp32 [heads, k, v]

    def _attach_states(self, model: PreTrainedModel) -> None:
        """Find the layers (optionally ``config.layers`` only) and create their zero states on the model's device."""
        if self.model is not None:
            raise RuntimeError(f"method {self.name} is already attached; detach() first")
        layers = require_recurrent_layers(model, self.name)
        if self.config.layers is not None:
            wanted = set(self.config.layers)
            unknown = wanted - {l.layer_idx for l in layers}
            if unknown:
                raise UserError(f"method.layers has {sorted(unknown)}, which are not recurrent layers of this model")
            layers = [l for l in layers if l.layer_idx in wanted]
        device = next(model.parameters()).device
        self.layers = layers
        self.states = nn.ParameterDict(
            {str(l.layer_idx): nn.Parameter(torch.zeros(l.state_shape, dtype=torch.float32, device=device))
             for l in layers}
        )

    def trainable_parameters(self) -> list[nn.Parameter]:
        return list(self.states.values())

    def regularization(self) -> torch.Tensor | None:
        if self.config.l2 <= 0:
            return None
        return self.config.l2 * sum(p.pow(2).sum() for p in self.states.values())

    def _artefact_extra(self) -> dict[str, Any]:
        """Anything else the JSON should record (S0: the alpha each layer uses)."""
        return {}

    def save(self, directory: str | Path) -> Path:
        model = self._require_attached()
        tensors = {f"layers.{k}.{self.tensor_key}": v for k, v in self.states.items()}
        return save_artefact(directory, self, files=self.artefact_files, tensors=tensors,
                             signature=model_signature(model, self.layers), extra=self._artefact_extra())

    def load(self, directory: str | Path) -> None:
        model = self._require_attached()
        tensors = load_artefact(directory, what=self.artefact_what, files=self.artefact_files,
                                signature=model_signature(model, self.layers))
        with torch.no_grad():
            for key, param in self.states.items():
                param.copy_(tensors[f"layers.{key}.{self.tensor_key}"].to(param.device))
