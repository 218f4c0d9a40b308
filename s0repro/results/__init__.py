"""Stage 5: results. One atomic JSON file per (exp, task, method label, seed); the only input of stats and tables.

``schema`` (the file's layout, reading it back), ``record`` (the typed record the runner builds), ``store`` (atomic,
locked writes), ``tracking`` (W&B). Importing this stage imports no other stage (no torch), so tables and notebooks
stay light.
"""

from s0repro.results.schema import (
    SCHEMA_VERSION,
    CorruptResultError,
    eval_records,
    iter_results,
    read_result,
    result_dir,
    result_path,
    scan_results,
    validate_result,
)

__all__ = [
    "SCHEMA_VERSION",
    "CorruptResultError",
    "eval_records",
    "iter_results",
    "read_result",
    "result_dir",
    "result_path",
    "scan_results",
    "validate_result",
]
