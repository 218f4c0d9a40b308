"""One line instead of transformers' per-process notices that say the same thing in every worker.

Without the fused kernels (``flash-linear-attention``, ``causal_conv1d``: CUDA only) transformers runs its torch
reference implementations and says so once per function and process; peft reads the deprecated
``is_gradient_checkpointing`` and triggers a FutureWarning in each process. Neither changes a result. Importing the
models stage installs the filters (so every worker process has them); :func:`fallback_note` is the one line a run
prints instead.
"""

from __future__ import annotations

import importlib.util
import logging
import warnings

KERNEL_PACKAGES = {"fla": "flash-linear-attention", "causal_conv1d": "causal_conv1d"}  # module -> distribution
_FALLBACK = "is falling back to its reference PyTorch implementation"


class _DropFallbacks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return _FALLBACK not in record.getMessage()


def install_filters() -> None:
    """Silence the per-process notices (idempotent): :func:`fallback_note` says it once per run."""
    logger = logging.getLogger("transformers.integrations.hub_kernels")
    if not any(isinstance(f, _DropFallbacks) for f in logger.filters):
        logger.addFilter(_DropFallbacks())
    warnings.filterwarnings("ignore", message=r"`is_gradient_checkpointing` is deprecated", category=FutureWarning)


def missing_kernels() -> list[str]:
    """The fused-kernel distributions that are not installed here."""
    return [dist for module, dist in KERNEL_PACKAGES.items() if importlib.util.find_spec(module) is None]


def fallback_note() -> str | None:
    """``note: torch reference kernels in use (...)``, or None when every fused kernel is installed."""
    missing = missing_kernels()
    if not missing:
        return None
    return (f"note: torch reference kernels in use ({', '.join(missing)} not installed): same results, slower on a "
            "GPU; nothing to do on a CPU")
