"""The model description every stage receives: a hub checkpoint or a tiny architecture, same fields.

A real run names a hub id, a pinned revision and a dtype. The shipped tiny models are hub configs too, whose hub id is
a local snapshot (``assets/tiny/<name>``, built by ``make tiny-models``); ``source: tiny`` builds a randomly
initialised model of the same family from small ``dims`` (keyword arguments of the transformers config class), for
tests. Every config records its ``dims``: tests build the true architecture on the meta device from them, and the
tiny builder (`make tiny-models`) the architecture it trains.
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
CPU_SIZED_HIDDEN = 512  # the tiny models are 64-96 wide; the smallest real one (Qwen3.5-0.8B) 1024


@dataclass
class ModelConfig:
    """How to obtain one model. Hydra group ``model``; validated in ``__post_init__``."""

    name: str = "tiny_gdn"  # short name used in result paths and tables
    arch: str = "qwen3_5"  # transformers family: qwen3_5 (GatedDeltaNet hybrid), falcon_h1 (Mamba-2), qwen2
    source: str = "tiny"  # "hub" loads hub_id@revision; "tiny" builds a random model from dims
    hub_id: str | None = None  # e.g. Qwen/Qwen3.5-4B, or a local snapshot folder (assets/tiny/minicode_gdn)
    revision: str = "main"  # pin a commit hash for real runs
    dtype: str = "float32"  # weights dtype; tuned states are always fp32
    dims: dict[str, Any] = field(default_factory=dict)  # config-class kwargs (tiny build, meta-device checks)
    seed: int = 0  # tiny: weight init seed
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

    @property
    def cpu_sized(self) -> bool:
        """A model of a few hundred kB (a random tiny one, or a shipped tiny checkpoint, which loads from the hub
        path): one thread per cell and one cell per core run it fastest on a CPU."""
        return self.source == "tiny" or int(self.dims.get("hidden_size", CPU_SIZED_HIDDEN)) < CPU_SIZED_HIDDEN

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
