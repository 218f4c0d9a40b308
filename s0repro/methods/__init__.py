"""Stage 2: tuning methods behind one interface, looked up by name (``method=s0|lora|prefix|state_offset|none``)."""

from s0repro.methods.base import (
    REGISTRY,
    ArtefactMismatchError,
    InferenceCost,
    MethodConfig,
    TuningMethod,
    build_method,
    register,
)
from s0repro.methods.lora import LoraMethod, LoraMethodConfig
from s0repro.methods.none import NoneConfig, NoneMethod
from s0repro.methods.prefix import PrefixConfig, PrefixMethod
from s0repro.methods.s0 import S0Config, S0Method
from s0repro.methods.state_offset import StateOffsetConfig, StateOffsetMethod

__all__ = [
    "REGISTRY",
    "ArtefactMismatchError",
    "InferenceCost",
    "LoraMethod",
    "LoraMethodConfig",
    "MethodConfig",
    "NoneConfig",
    "NoneMethod",
    "PrefixConfig",
    "PrefixMethod",
    "S0Config",
    "S0Method",
    "StateOffsetConfig",
    "StateOffsetMethod",
    "TuningMethod",
    "build_method",
    "register",
]
