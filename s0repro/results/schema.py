"""The result file every run writes and every table reads: ``results/<exp>/<task>/<method>/seed_<n>/result.json``.

``<method>`` is the method *label*: the method name, or name plus variant for ablations and controls
(``lora_r48``, ``s0_unverified``). One file holds one (exp, task, method label, seed) cell::

    {
      "schema_version": 1,
      "exp": "tiny_qwen3_5", "task": "minicode", "method": "s0", "method_name": "s0", "seed": 0,
      "run":   {"config": {...resolved Hydra config...}, "git_commit": "abc...", "git_dirty": false,
                "started": "2026-11-25T16:00:00+00:00", "finished": "...", "wandb_run": null | "path"},
      "train": null | {"losses": [..], "steps": 20, "seconds": 1.2, "peak_memory_mb": 300.0,
                       "trainable_params": 3072, "trainable_bytes": 12288, "verified": true,
                       "num_examples": 46, "n_train_problems": 80, "train_task_ids": [...],
                       "verified_cleanup": "authors"},
      "eval":  {"metric": "pass@1" | "accuracy", "score": 0.39,      # fraction in [0, 1]
                "n": 84, "task_ids": [...], "correct": [true, false, ...],   # per-problem, same order
                "failure_types": {"passed": 33, "wrong_answer": 40, "syntax_error": 6, ...},
                "batch_size": 8, "padding_side": "left", "max_new_tokens": 512},
      "method_info": {"method": "s0", "inference_cost": "none", "trainable_params": 3072, ...},
      "meta":  {"versions": {...}, "hardware": {...}, "dataset": {...TaskData.source...},
                "model": {"name": ..., "arch": ..., "hub_id": ..., "revision": ...}},
      "artefact": null | "attempt-<id>/artefact",   # directory relative to the result file's folder
      "attempt": "attempt-<id>", "files": {"eval_records": "attempt-<id>/eval.jsonl"}
    }

Everything one attempt produces goes into its own ``attempt-<id>/`` folder first; ``result.json`` is replaced
atomically last and names its attempt, so a kill at any moment leaves the old result with its files or the new one
(see :mod:`s0repro.results.store`).

Scores are fractions; tables print percentages. Tables and statistics read only these files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
RESULT_FILE = "result.json"
KL_PROFILE_FILE = "kl_profile.json"  # beside an S0 cell's result: python -m s0repro.tools.kl_profile writes it
REQUIRED_KEYS = ("schema_version", "exp", "task", "method", "seed", "run", "train", "eval", "meta")


class CorruptResultError(ValueError):
    """A result file that cannot be parsed or lacks required fields."""


def left_alone(err: CorruptResultError) -> str:
    """The one line for an unreadable result: what is wrong, that it stays for inspection, and how to redo it."""
    return f"{err}; left as it is and skipped (force=true on its cell re-runs it)"


def result_dir(root: str | Path, exp: str, task: str, method: str, seed: int) -> Path:
    return Path(root) / exp / task / method / f"seed_{seed}"


def result_path(root: str | Path, exp: str, task: str, method: str, seed: int) -> Path:
    return result_dir(root, exp, task, method, seed) / RESULT_FILE


def validate_result(payload: dict[str, Any], source: str = "<memory>") -> dict[str, Any]:
    missing = [k for k in REQUIRED_KEYS if k not in payload]
    if missing:
        raise CorruptResultError(f"{source}: missing keys {missing}")
    ev = payload["eval"]
    if len(ev.get("correct", [])) != ev.get("n") or len(ev.get("task_ids", [])) != ev.get("n"):
        raise CorruptResultError(f"{source}: eval.correct / eval.task_ids do not have eval.n entries")
    return payload


def read_result(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        payload = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise CorruptResultError(f"{path}: unreadable result file ({err})") from None
    return validate_result(payload, str(path))


def eval_records(root: str | Path, result: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The per-problem records of a result's evaluation (``files.eval_records``, in its cell folder under ``root``):
    task id, raw completion, verdicts under each clean-up. None when the result names none or the file is gone."""
    name = (result.get("files") or {}).get("eval_records")
    path = result_dir(root, result["exp"], result["task"], result["method"], result["seed"]) / name if name else None
    if path is None or not path.is_file():
        return None
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def iter_results(root: str | Path, exp: str | None = None) -> list[dict[str, Any]]:
    """Every result under ``root`` (optionally one experiment), sorted by (exp, task, method, seed); the first
    unreadable one raises :class:`CorruptResultError`."""
    found, unreadable = scan_results(root, exp)
    if unreadable:
        raise unreadable[0]
    return found


def scan_results(root: str | Path, exp: str | None = None) -> tuple[list[dict[str, Any]], list[CorruptResultError]]:
    """The valid results under ``root``, sorted as :func:`iter_results`, and the error of each unreadable one (which
    stays on disk as it is, for inspection: tables mark it, ``force=true`` on its cell re-runs it)."""
    base = Path(root) / exp if exp else Path(root)
    found, unreadable = [], []
    for path in sorted(base.rglob(RESULT_FILE)) if base.exists() else []:
        try:
            found.append(read_result(path))
        except CorruptResultError as err:
            unreadable.append(err)
    return sorted(found, key=lambda r: (r["exp"], r["task"], r["method"], r["seed"])), unreadable
