"""Stage 1: models. Obtain a frozen causal LM (hub or tiny) and describe its recurrent layers."""

from s0repro.models.config import ModelConfig
from s0repro.models.loading import LoadedModel, ModelLoadError, load_model
from s0repro.models.quiet import fallback_note, install_filters
from s0repro.models.recurrent import (
    NoRecurrentLayersError,
    RecurrentLayer,
    find_recurrent_layers,
    require_recurrent_layers,
)

install_filters()  # every process that loads a model: transformers' kernel notices become fallback_note()'s one line

__all__ = [
    "LoadedModel",
    "ModelConfig",
    "ModelLoadError",
    "NoRecurrentLayersError",
    "RecurrentLayer",
    "fallback_note",
    "find_recurrent_layers",
    "load_model",
    "require_recurrent_layers",
]
