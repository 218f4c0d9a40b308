"""Plug-in discovery shared by the registries (tasks in :mod:`s0repro.data`, methods in :mod:`s0repro.methods`):
import every module of a package so its decorators register, one broken module costing only itself."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def import_modules(package: ModuleType, unloadable: dict[str, str]) -> None:
    """Import every module of ``package`` (its ``__path__``, which a plug-in folder may extend). A module that cannot
    be imported (a missing optional dependency) is noted in ``unloadable`` with why; the others still import."""
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        try:
            importlib.import_module(info.name)
        except ImportError as err:
            unloadable[info.name] = f"{type(err).__name__}: {err}"


def unloadable_note(unloadable: dict[str, str]) -> str:
    """What an "unknown name" error adds: the modules that did not import, and why."""
    return "".join(f"; {module} did not import ({why})" for module, why in sorted(unloadable.items()))
