"""Versions and hardware: recorded in every artefact and result so a number can be traced to what made it."""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

import torch

TRACKED_PACKAGES = ("s0repro", "torch", "transformers", "peft", "safetensors", "hydra-core", "wandb")


def package_versions() -> dict[str, str]:
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def hardware() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                            "cpu_threads": torch.get_num_threads(), "cuda": torch.cuda.is_available()}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info
