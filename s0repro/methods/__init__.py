"""Stage 2: tuning methods behind one interface, looked up by name (``method=s0|lora|prefix|state_offset|none``).

Every module of this package is imported here (:func:`~s0repro.methods.base.discover`); each registers its method
with ``@register``. Each registered method class and its config class are also exported from this package by their
class names (``from s0repro.methods import S0Method, S0Config``), so a new method needs no edit here.
"""

from s0repro.methods.base import (
    REGISTRY,
    ArtefactMismatchError,
    InferenceCost,
    MethodConfig,
    TuningMethod,
    build_method,
    discover,
    method_class,
    method_config,
    register,
)

for _cls in discover().values():
    globals()[_cls.__name__] = _cls
    globals()[_cls.config_class.__name__] = _cls.config_class

__all__ = [  # noqa: PLE0604 - the discovered classes join the fixed names
    "REGISTRY",
    "ArtefactMismatchError",
    "InferenceCost",
    "MethodConfig",
    "TuningMethod",
    "build_method",
    "discover",
    "method_class",
    "method_config",
    "register",
    *sorted({n for c in REGISTRY.values() for n in (c.__name__, c.config_class.__name__)}),
]
