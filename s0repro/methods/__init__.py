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
from s0repro.methods.s0 import S0Config, S0Method

__all__ = [
    "REGISTRY",
    "ArtefactMismatchError",
    "InferenceCost",
    "MethodConfig",
    "S0Config",
    "S0Method",
    "TuningMethod",
    "build_method",
    "register",
]
