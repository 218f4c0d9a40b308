"""Stage 1: models. Obtain a frozen causal LM (hub or tiny) and describe its recurrent layers."""

from s0repro.models.config import ModelConfig
from s0repro.models.loading import LoadedModel, ModelLoadError, load_model
from s0repro.models.recurrent import (
    NoRecurrentLayersError,
    RecurrentLayer,
    find_recurrent_layers,
    require_recurrent_layers,
)

__all__ = [
    "LoadedModel",
    "ModelConfig",
    "ModelLoadError",
    "NoRecurrentLayersError",
    "RecurrentLayer",
    "find_recurrent_layers",
    "load_model",
    "require_recurrent_layers",
]
