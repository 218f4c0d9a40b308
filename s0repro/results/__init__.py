"""Stage 5: results. One atomic JSON file per (exp, task, method label, seed); the only input of stats and tables."""

from s0repro.results.schema import (
    SCHEMA_VERSION,
    CorruptResultError,
    iter_results,
    read_result,
    result_dir,
    result_path,
    validate_result,
)

__all__ = [
    "SCHEMA_VERSION",
    "CorruptResultError",
    "iter_results",
    "read_result",
    "result_dir",
    "result_path",
    "validate_result",
]
