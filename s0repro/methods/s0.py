"""S0 tuning: learn only the initial recurrent state of every recurrent layer; every weight stays frozen.

Per recurrent layer one fp32 state, zero-initialised (so the untrained method *is* the base model), injected through
:class:`InitialStateCache` before the prompt is processed, in training forwards and in ``generate()`` alike.

Scale. The authors' code trains the raw state and multiplies it by ``alpha`` only at inference (0.07 for
GatedDeltaNet, 0.65 for Mamba-2), optionally ``alpha * S0 / ||S0||_F`` per layer; the paper's Algorithm 1 applies
``alpha`` during training too. Both are here: ``alpha_mode="inference_only"`` (the code's, our default) or
``"train_and_inference"``, and ``normalize``. ``alpha=None`` takes the family default.

Left padding is made harmless by :mod:`s0repro.models.padding` (pad positions do not decay the state), installed on
attach and removed on detach. Gradient checkpointing drops the cache silently, so it is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import PreTrainedModel

from s0repro.errors import UserError
from s0repro.methods.base import (
    ArtefactMismatchError,
    InferenceCost,
    MethodConfig,
    TuningMethod,
    register,
    write_json,
)
from s0repro.methods.cache import InitialStateCache
from s0repro.models.padding import PaddingNeutralHooks, install_padding_neutral_decay
from s0repro.models.recurrent import RecurrentLayer, require_recurrent_layers
from s0repro.provenance import package_versions

DEFAULT_ALPHA = {"gated_deltanet": 0.07, "mamba2": 0.65}
ALPHA_MODES = ("inference_only", "train_and_inference")
STATE_FILE, META_FILE = "s0_state.safetensors", "s0_config.json"
FORMAT_VERSION = 1


@dataclass
class S0Config(MethodConfig):
    name: str = "s0"
    lr: float = 1e-3  # paper: Adam, lr 1e-3
    steps: int = 20  # paper: 20 full passes over the ~48 verified solutions
    alpha: float | None = None  # None: 0.07 (GatedDeltaNet) / 0.65 (Mamba-2), the authors' defaults
    alpha_mode: str = "inference_only"  # the authors' code; "train_and_inference" is the paper's Algorithm 1
    normalize: bool = False  # alpha * S0 / ||S0||_F per layer (the authors' MATH-500 / Spider runs)
    l2: float = 5e-4  # lambda * sum ||S0||_F^2
    layers: list[int] | None = field(default=None)  # restrict to these decoder-layer indices (layer ablation)

    def __post_init__(self) -> None:
        if self.alpha_mode not in ALPHA_MODES:
            raise UserError(f"method.alpha_mode={self.alpha_mode!r} is not one of {ALPHA_MODES}")
        if self.alpha is not None and self.alpha <= 0:
            raise UserError(f"method.alpha={self.alpha} must be positive (or null for the family default)")


def model_signature(model: PreTrainedModel, layers: list[RecurrentLayer]) -> dict[str, Any]:
    """What a state file must match: family and every layer's index, kind and shape."""
    config = model.config
    return {
        "model_type": config.model_type,
        "name_or_path": getattr(config, "_name_or_path", ""),
        "layers": [{"layer_idx": l.layer_idx, "kind": l.kind, "shape": list(l.state_shape)} for l in layers],
    }


@register
class S0Method(TuningMethod):
    name = "s0"
    inference_cost = InferenceCost.NONE
    config_class = S0Config

    def __init__(self, config: S0Config | None = None) -> None:
        super().__init__(config)
        self.layers: list[RecurrentLayer] = []
        self.states = nn.ParameterDict()
        self._hooks: PaddingNeutralHooks | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------------
    def attach(self, model: PreTrainedModel) -> nn.Module:
        if getattr(model, "is_activation_checkpointing", False):
            raise UserError("S0 tuning cannot run with gradient checkpointing: it drops the cache that carries S0")
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
        self._hooks = install_padding_neutral_decay(model)
        self.model = self.base_model = model
        return model

    def detach(self) -> PreTrainedModel:
        model = self._require_attached()
        if self._hooks is not None:
            self._hooks.remove()
        self.model = self.base_model = None
        self._hooks = None
        return model

    def trainable_parameters(self) -> list[nn.Parameter]:
        return list(self.states.values())

    # -- the state -----------------------------------------------------------------------------------------------
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
            l.layer_idx: self.effective_state(l, training=training).unsqueeze(0).expand(batch_size, -1, -1, -1)
            .contiguous()
            for l in self.layers
        }
        return {"cache": InitialStateCache(initial, config=model.config), "use_cache": True}

    def regularization(self) -> torch.Tensor | None:
        if self.config.l2 <= 0:
            return None
        return self.config.l2 * sum(p.pow(2).sum() for p in self.states.values())

    # -- artefacts -----------------------------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        model = self._require_attached()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tensors = {f"layers.{k}.s0": v.detach().cpu().contiguous() for k, v in self.states.items()}
        save_file(tensors, directory / STATE_FILE, metadata={"format": "s0repro-s0", "version": str(FORMAT_VERSION)})
        write_json(directory / META_FILE, {
            "method": self.name,
            "format_version": FORMAT_VERSION,
            "config": self.describe()["config"],
            "alpha_per_layer": {str(l.layer_idx): self.alpha_for(l) for l in self.layers},
            "model": model_signature(model, self.layers),
            "versions": package_versions(),
        })
        return directory

    def load(self, directory: str | Path) -> None:
        model = self._require_attached()
        directory = Path(directory)
        meta_path, state_path = directory / META_FILE, directory / STATE_FILE
        if not (meta_path.is_file() and state_path.is_file()):
            raise ArtefactMismatchError(f"{directory} holds no S0 state ({META_FILE} and {STATE_FILE} expected)")
        meta = json.loads(meta_path.read_text())
        saved, here = meta.get("model", {}), model_signature(model, self.layers)
        if saved.get("model_type") != here["model_type"] or saved.get("layers") != here["layers"]:
            raise ArtefactMismatchError(
                f"S0 state in {directory} was made for {saved.get('model_type')} with "
                f"{len(saved.get('layers', []))} recurrent layers {_shapes(saved)}, but the attached model is "
                f"{here['model_type']} with {len(here['layers'])} layers {_shapes(here)}"
            )
        tensors = load_file(state_path)
        with torch.no_grad():
            for key, param in self.states.items():
                param.copy_(tensors[f"layers.{key}.s0"].to(param.device))


def _shapes(signature: dict[str, Any]) -> str:
    shapes = {tuple(l["shape"]) for l in signature.get("layers", [])}
    return "x".join(map(str, next(iter(shapes)))) if len(shapes) == 1 else str(sorted(shapes))
