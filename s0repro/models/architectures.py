"""Build transformers configs for the three families from plain keyword dims.

One function serves the tiny models (small dims) and the meta-device checks of the real ones (their recorded dims),
so the tiny CPU path and the real path instantiate the very same transformers classes.
"""

from __future__ import annotations

from typing import Any

from transformers import FalconH1Config, PretrainedConfig, Qwen2Config
from transformers.models.qwen3_5.configuration_qwen3_5 import Qwen3_5TextConfig

CONFIG_CLASSES: dict[str, type[PretrainedConfig]] = {
    "qwen3_5": Qwen3_5TextConfig,
    "falcon_h1": FalconH1Config,
    "qwen2": Qwen2Config,
}


def build_config(arch: str, dims: dict[str, Any]) -> PretrainedConfig:
    """Instantiate the family's config class with ``dims``; unknown families are a clear error."""
    try:
        cls = CONFIG_CLASSES[arch]
    except KeyError:
        raise ValueError(f"unknown architecture {arch!r}; known: {sorted(CONFIG_CLASSES)}") from None
    return cls(**dict(dims))
