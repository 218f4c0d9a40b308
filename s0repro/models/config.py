"""The model description every stage receives: a hub checkpoint or a tiny architecture, same fields.

A real run names a hub id, a pinned revision and a dtype; a tiny run names the same architecture family with small
dimensions (``dims`` are keyword arguments of the transformers config class) and an optional local checkpoint.
The real configs also record their ``dims`` so tests can build the true architecture on the meta device.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from s0repro.errors import UserError

ARCHITECTURES = ("qwen3_5", "falcon_h1", "qwen2")
SOURCES = ("hub", "tiny")
DTYPES = ("float32", "bfloat16", "float16")


@dataclass
class ModelConfig:
    """How to obtain one model. Hydra group ``model``; validated in ``__post_init__``."""

    name: str = "tiny_gdn"  # short name used in result paths and tables
    arch: str = "qwen3_5"  # transformers family: qwen3_5 (GatedDeltaNet hybrid), falcon_h1 (Mamba-2), qwen2
    source: str = "tiny"  # "hub" loads hub_id@revision; "tiny" builds from dims (or loads checkpoint)
    hub_id: str | None = None  # e.g. Qwen/Qwen3.5-4B
    revision: str = "main"  # pin a commit hash for real runs
    dtype: str = "float32"  # weights dtype; tuned states are always fp32
    dims: dict[str, Any] = field(default_factory=dict)  # config-class kwargs (tiny build, meta-device checks)
    checkpoint: str | None = None  # tiny: a pre-trained local checkpoint directory (``make tiny-models``)
    seed: int = 0  # tiny: weight init seed when no checkpoint is given
    attn_implementation: str = "sdpa"
    device: str = "auto"  # auto = cuda if available else cpu
    requires_cuda: bool = False  # GPU-only configs say so and fail fast on a CPU box
    tiny: str | None = None  # the model standing for this one at scale=tiny (conf/model/<tiny>.yaml)

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"model.arch={self.arch!r} is not one of {ARCHITECTURES}")
        if self.source not in SOURCES:
            raise ValueError(f"model.source={self.source!r} is not one of {SOURCES}")
        if self.dtype not in DTYPES:
            raise ValueError(f"model.dtype={self.dtype!r} is not one of {DTYPES}")
        if self.source == "hub" and not self.hub_id:
            raise ValueError("model.source=hub needs model.hub_id (e.g. Qwen/Qwen3.5-4B)")

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> ModelConfig:
        """Read a ``conf/model/*.yaml`` file outside Hydra (scripts, notebooks, tools, the README example): the one
        model-YAML loader. A missing file is one line."""
        path = Path(path)
        if not path.is_file():
            raise UserError(f"model config {path} not found (the configs are conf/model/*.yaml)")
        return cls(**{**_read_with_defaults(path), **overrides})


def _read_with_defaults(path: Path) -> dict[str, Any]:
    """A model YAML's fields after those of the sibling files its Hydra ``defaults`` list names (falcon_h1_7b_base
    extends falcon_h1_7b), in Hydra's order: the entries as listed, the file's own where ``_self_`` is (else last).
    Top-level keys replace the parent's: a variant that changes ``dims`` lists them all."""
    fields = yaml.safe_load(path.read_text()) or {}
    order = fields.pop("defaults", None) or []
    merged: dict[str, Any] = {}
    for entry in order if "_self_" in order else [*order, "_self_"]:
        merged.update(fields if entry == "_self_" else _read_with_defaults(path.with_name(f"{entry}.yaml")))
    return merged
