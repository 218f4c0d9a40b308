"""The frozen base model as a method, so the baseline row goes through the same runner, artefacts and tables.

It trains nothing (``steps = 0``): the runner neither trains nor re-evaluates the ``none`` arm (its result is the
cached baseline evaluation of the frozen model, s0repro/run/cell.py). Its artefact is only a description of the model
it was evaluated on, which keeps every result directory alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from torch import nn
from transformers import PreTrainedModel

from s0repro.methods.base import (
    ArtefactMismatchError,
    InferenceCost,
    MethodConfig,
    TuningMethod,
    register,
    write_json,
)
from s0repro.provenance import package_versions

META_FILE = "none_config.json"


@dataclass
class NoneConfig(MethodConfig):
    name: str = "none"
    lr: float = 0.0  # nothing to optimise
    steps: int = 0


@register
class NoneMethod(TuningMethod):
    name = "none"
    inference_cost = InferenceCost.NONE
    config_class = NoneConfig

    def attach(self, model: PreTrainedModel) -> nn.Module:
        self.model = self.base_model = model
        return model

    def detach(self) -> PreTrainedModel:
        model = self._require_attached()
        self.model = self.base_model = None
        return model

    def trainable_parameters(self) -> list[nn.Parameter]:
        return []

    def save(self, directory: str | Path) -> Path:
        model = self._require_attached()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        write_json(directory / META_FILE, {
            "method": self.name,
            "config": self.describe()["config"],
            "model": {"model_type": model.config.model_type, "name_or_path": getattr(model.config, "_name_or_path", "")},
            "versions": package_versions(),
        })
        return directory

    def load(self, directory: str | Path) -> None:
        model = self._require_attached()
        path = Path(directory) / META_FILE
        if not path.is_file():
            raise ArtefactMismatchError(f"{directory} holds no base-model description ({META_FILE} expected)")
        saved = json.loads(path.read_text()).get("model", {})
        if saved.get("model_type") != model.config.model_type:
            raise ArtefactMismatchError(
                f"{directory} describes a {saved.get('model_type')} model, but the attached one is "
                f"{model.config.model_type}"
            )
