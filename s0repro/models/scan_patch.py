"""Wrap a modeling module's scan function for as long as someone needs it, several wrappers deep.

transformers' mixers call module-level scan functions by name (and bind a kernel to that name when one is
installed), so wrapping the name reaches the torch fallback and the kernel alike. Wrappers stack in the order they
were added; removing one rebuilds the stack from the original, so handles may be removed in any order, and the
module gets its original function back when the last one goes.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

Wrapper = Callable[[Callable], Callable]

_LOCK = threading.Lock()
_ORIGINALS: dict[tuple[str, str], Callable] = {}
_STACKS: dict[tuple[str, str], list[tuple[int, Wrapper]]] = {}
_MODULES: dict[str, ModuleType] = {}
_COUNTER = iter(range(1 << 62))


def _install(key: tuple[str, str]) -> None:
    fn = _ORIGINALS[key]
    for _, wrapper in _STACKS[key]:
        fn = functools.wraps(fn)(wrapper(fn))
    setattr(_MODULES[key[0]], key[1], fn)


@dataclass
class ScanPatch:
    """One wrapper on one function; ``remove()`` takes it off (idempotent)."""

    key: tuple[str, str]
    token: int
    removed: bool = False

    def remove(self) -> None:
        with _LOCK:
            if self.removed:
                return
            self.removed = True
            stack = _STACKS[self.key]
            stack[:] = [entry for entry in stack if entry[0] != self.token]
            _install(self.key)
            if not stack:
                del _STACKS[self.key], _ORIGINALS[self.key]


def patch_function(module: ModuleType, name: str, wrapper: Wrapper) -> ScanPatch:
    """Replace ``module.name`` by ``wrapper(current)`` until the returned handle is removed."""
    key = (module.__name__, name)
    with _LOCK:
        if key not in _ORIGINALS:
            _ORIGINALS[key] = getattr(module, name)
            _STACKS[key] = []
            _MODULES[module.__name__] = module
        token = next(_COUNTER)
        _STACKS[key].append((token, wrapper))
        _install(key)
    return ScanPatch(key, token)


def patched_functions() -> list[tuple[str, str]]:
    """(module, function) pairs wrapped right now (for tests and debugging)."""
    return sorted(_STACKS)
