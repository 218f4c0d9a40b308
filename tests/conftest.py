"""Shared fixtures: tiny models of the real transformers config classes, built in about a second."""

from __future__ import annotations

import pytest
import torch

from s0repro.models import LoadedModel, ModelConfig, load_model
from s0repro.paths import REPO_ROOT


def model_config(name: str, **overrides) -> ModelConfig:
    """The ModelConfig of ``conf/model/<name>.yaml`` (with overrides), as Hydra would build it."""
    return ModelConfig.from_yaml(REPO_ROOT / "conf" / "model" / f"{name}.yaml", **overrides)


def tiny(name: str, **overrides) -> LoadedModel:
    return load_model(model_config(name, device="cpu", **overrides))


@pytest.fixture
def tiny_gdn() -> LoadedModel:
    return tiny("tiny_gdn")


@pytest.fixture
def tiny_mamba2() -> LoadedModel:
    return tiny("tiny_mamba2")


@pytest.fixture
def tiny_transformer() -> LoadedModel:
    return tiny("tiny_transformer")


@pytest.fixture(params=["tiny_gdn", "tiny_mamba2"])
def tiny_hybrid(request) -> LoadedModel:
    """Each hybrid family in turn: every S0 behaviour must hold for GatedDeltaNet and Mamba-2 alike."""
    return tiny(request.param)


@pytest.fixture(autouse=True)
def _deterministic() -> None:
    torch.manual_seed(0)
