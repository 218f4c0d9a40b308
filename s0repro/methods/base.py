"""One interface for every tuning method, and the registry that maps ``method=<name>`` to it.

A method attaches to a frozen model, exposes its trainable parameters, contributes keyword arguments to every forward
and ``generate()`` call (S0 passes its cache there), saves and loads a self-describing artefact, and detaches to give
the base model back exactly. ``inference_cost`` says what it costs at inference, for the tables' overhead column.
Adding a method is one module in this package with a ``@register``-ed class plus one ``conf/method/<name>.yaml``
(``defaults: [<name>_schema, _self_]``): :func:`discover` imports every module of the package (``pkgutil`` over its
``__path__``, no list to edit), and the configuration stage registers each method's config dataclass in Hydra's
ConfigStore as ``method/<name>_schema``, so Hydra types and validates the YAML.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn
from transformers import PreTrainedModel

from s0repro.discovery import import_modules, unloadable_note
from s0repro.errors import UserError


class InferenceCost(StrEnum):
    NONE = "none"  # nothing changes at inference (S0: only the starting state differs)
    MERGE = "merge"  # free once merged into the weights (LoRA)
    PER_STEP = "per_step"  # extra work at every decode step (state offset, unmerged LoRA)
    PER_TOKEN_PREFIX = "per_token_prefix"  # extra attention positions (prefix tuning)


class ArtefactMismatchError(UserError):
    """A saved artefact does not fit the model or method it is being loaded into."""


@dataclass
class MethodConfig:
    """Fields every method shares. Subclasses add their own, each with a comment saying why."""

    name: str = "none"
    lr: float = 1e-3
    steps: int = 20
    tiny: dict[str, Any] = field(default_factory=dict)  # this preset's own values at scale=tiny (conf/scale/tiny.yaml)


class TuningMethod(ABC):
    """Base class. Subclasses set ``name``, ``inference_cost`` and ``config_class``."""

    name: ClassVar[str]
    inference_cost: ClassVar[InferenceCost]
    config_class: ClassVar[type[MethodConfig]] = MethodConfig

    def __init__(self, config: MethodConfig | None = None) -> None:
        self.config = config if config is not None else self.config_class(name=self.name)
        self.model: nn.Module | None = None  # the module to call after attach (peft may wrap the base)
        self.base_model: PreTrainedModel | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------------
    @abstractmethod
    def attach(self, model: PreTrainedModel) -> nn.Module:
        """Attach to a frozen model; returns the module to use for forward and generate."""

    @abstractmethod
    def detach(self) -> PreTrainedModel:
        """Remove every trace of the method; the returned model computes exactly what the base model did."""

    @abstractmethod
    def trainable_parameters(self) -> list[nn.Parameter]:
        """The parameters the optimiser updates (nothing else may change)."""

    # -- hooks into forward / generate -------------------------------------------------------------------------
    def model_kwargs(self, batch_size: int, *, training: bool = False) -> dict[str, Any]:
        """Extra keyword arguments for ``model(...)`` and ``model.generate(...)``; none by default."""
        return {}

    def regularization(self) -> torch.Tensor | None:
        """A penalty added to the training loss (S0's L2 on the state); none by default."""
        return None

    # -- artefacts -----------------------------------------------------------------------------------------------
    @abstractmethod
    def save(self, directory: str | Path) -> Path:
        """Write the tuned artefact and a JSON description of what it belongs to."""

    @abstractmethod
    def load(self, directory: str | Path) -> None:
        """Load an artefact into the attached method; a mismatch is an :class:`ArtefactMismatchError`."""

    # -- description ---------------------------------------------------------------------------------------------
    def num_trainable_parameters(self) -> int:
        return sum(p.numel() for p in self.trainable_parameters())

    def trainable_bytes(self) -> int:
        return sum(p.numel() * p.element_size() for p in self.trainable_parameters())

    def describe(self) -> dict[str, Any]:
        """What a result file records about the method."""
        return {
            "method": self.name,
            "inference_cost": str(self.inference_cost),
            "trainable_params": self.num_trainable_parameters(),
            "trainable_bytes": self.trainable_bytes(),
            "config": asdict(self.config),
        }

    def _require_attached(self) -> nn.Module:
        if self.model is None:
            raise RuntimeError(f"method {self.name} is not attached to a model; call attach(model) first")
        return self.model


REGISTRY: dict[str, type[TuningMethod]] = {}
UNLOADABLE: dict[str, str] = {}  # module -> why it could not be imported (a missing optional dependency)


def register(cls: type[TuningMethod]) -> type[TuningMethod]:
    """Class decorator: make the method available as ``method=<cls.name>``."""
    REGISTRY[cls.name] = cls
    return cls


def discover() -> dict[str, type[TuningMethod]]:
    """Import every module of ``s0repro.methods`` (its ``__path__``, which a plug-in folder may extend), so every
    ``@register``-ed method is in :data:`REGISTRY`; returns it. A module that cannot be imported costs only its own
    methods: it is noted in :data:`UNLOADABLE` and the others still register."""
    import s0repro.methods as package

    import_modules(package, UNLOADABLE)
    return REGISTRY


def method_class(name: str) -> type[TuningMethod]:
    """The registered method class for ``method=<name>``."""
    if name not in REGISTRY:
        discover()
    try:
        return REGISTRY[name]
    except KeyError:
        raise UserError(f"unknown method {name!r}; registered methods: {', '.join(sorted(REGISTRY))}"
                        f"{unloadable_note(UNLOADABLE)}") from None


def method_config(name: str, values: dict[str, Any]) -> MethodConfig:
    """Method ``name``'s config dataclass filled with ``values`` (a planned cell's method config)."""
    return method_class(name).config_class(**values)


def build_method(name: str, config: MethodConfig | dict[str, Any] | None = None) -> TuningMethod:
    """Instantiate a registered method from its name and a config (dataclass or plain dict)."""
    cls = method_class(name)
    if isinstance(config, dict):
        fields = {**config}
        fields.setdefault("name", name)
        try:
            config = cls.config_class(**fields)
        except TypeError as err:
            raise UserError(f"bad config for method={name}: {err}") from None
    return cls(config)


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Sorted keys and a trailing newline, so artefact descriptions diff cleanly (peft's convention)."""
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
