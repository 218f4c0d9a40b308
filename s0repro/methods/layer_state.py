"""What S0 and the state offset share: one fp32 tensor per recurrent layer, shaped like that layer's state.

Both are zero-initialised (so the untrained method is the base model), optionally restricted to some layers (the
layer-group ablation), L2-penalised, and saved as a self-describing artefact keyed by layer index. They differ only
in where the tensor enters the recurrence: S0 as the starting state, the offset at every read-out.

Layer selection (``method.layers``): null = every recurrent layer; a list = those decoder-layer indices; or a group,
``early`` / ``middle`` / ``late`` / ``all``: thirds of the *recurrent* layers by depth (the paper's Appendix
"Layer Sensitivity": on Qwen3.5-4B's 24 GatedDeltaNet layers, recurrent layers 0-7 / 8-15 / 16-23, which are
decoder layers 0-9 / 10-20 / 21-30 since every 4th decoder layer is attention). When the count does not divide by
three, early and late get the same number, ``(n + 1) // 3``, and the middle group takes the rest
(44 Mamba-2 layers of Falcon-H1-7B: 15 / 14 / 15; 4 layers: 1 / 2 / 1; 5 layers: 2 / 1 / 2), so the early-vs-late
comparison the paper draws is always at equal parameter count. A group that comes out empty (fewer than three
recurrent layers) is an error, not a silent no-op.
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


LAYER_GROUPS = ("early", "middle", "late", "all")
LayerSpec = Any  # None | "early" | "middle" | "late" | "all" | list of decoder-layer indices


def group_bounds(n: int) -> dict[str, tuple[int, int]]:
    """Each group's [start, stop) among ``n`` recurrent layers ordered by depth (see the module docstring)."""
    edge = (n + 1) // 3
    return {"early": (0, edge), "middle": (edge, n - edge), "late": (n - edge, n), "all": (0, n)}


def check_layer_spec(spec: LayerSpec) -> None:
    """Refuse a ``method.layers`` value that is neither null, a group name nor a list of integers."""
    if spec is None or spec in LAYER_GROUPS:
        return
    if isinstance(spec, list | tuple) and spec and all(isinstance(i, int) and not isinstance(i, bool) for i in spec):
        return
    raise UserError(f"method.layers={spec!r}: use null (all), one of {', '.join(LAYER_GROUPS)} (thirds of the "
                    "recurrent layers by depth) or a non-empty list of decoder-layer indices, e.g. [0,1,2]")


def select_layers(layers: list[RecurrentLayer], spec: LayerSpec) -> list[RecurrentLayer]:
    """The recurrent layers ``spec`` names, in depth order; an unknown index or an empty group is a UserError."""
    check_layer_spec(spec)
    if spec is None:
        return layers
    if isinstance(spec, str):
        start, stop = group_bounds(len(layers))[spec]
        if start == stop:
            raise UserError(f"method.layers={spec}: this model has {len(layers)} recurrent layers, too few for a "
                            f"{spec} third; use a list of indices ({[l.layer_idx for l in layers]})")
        return layers[start:stop]
    wanted = set(spec)
    unknown = wanted - {l.layer_idx for l in layers}
    if unknown:
        raise UserError(f"method.layers has {sorted(unknown)}, which are not recurrent layers of this model")
    return [l for l in layers if l.layer_idx in wanted]


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
        layers = select_layers(require_recurrent_layers(model, self.name), self.config.layers)
        device = next(model.parameters()).device
        self.layers = layers
        self.states = nn.ParameterDict(
            {str(l.layer_idx): nn.Parameter(torch.zeros(l.state_shape, dtype=torch.float32, device=device))
             for l in layers}
        )

    def trainable_parameters(self) -> list[nn.Parameter]:
        return list(self.states.values())

    def describe(self) -> dict[str, Any]:
        """Also the decoder-layer indices tuned, so a layer-group result says which layers its group held."""
        return {**super().describe(), "layer_indices": [l.layer_idx for l in self.layers]}

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
