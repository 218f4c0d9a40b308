"""Load a hub dataset by id and revision, or a local copy; offline it is one clear line within seconds.

GSM8K, MATH-500 and Spider exist only on the HuggingFace hub. ``datasets`` retries an unreachable hub for about half
a minute before failing with a long traceback; we first check in a few seconds whether the hub answers at all, and
if it does not (and the user has not asked for the offline cache with ``HF_DATASETS_OFFLINE``/``HF_HUB_OFFLINE``)
we fail at once, naming the local-path override. A local path may be a ``save_to_disk`` folder, a folder of
parquet/json/jsonl files, or one such file.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from s0repro.errors import UserError, one_line

PROBE_TIMEOUT_S = 3.0
# File stems a local copy may use for a split: the hub's names, and the Spider release's (train_spider.json, dev.json).
SPLIT_FILE_NAMES = {"train": ("train", "train_spider"), "validation": ("validation", "dev"), "test": ("test",)}


def hub_reachable(timeout_s: float = PROBE_TIMEOUT_S, host: str | None = None) -> bool:
    """True if a TCP connection to the hub endpoint (``HF_ENDPOINT``; or ``host``, port 443) opens within
    ``timeout_s``, DNS included. The one probe for datasets, models and evalplus's data."""
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = 443 if host else endpoint.port or (443 if endpoint.scheme == "https" else 80)
    host = host or endpoint.hostname or "huggingface.co"
    ok: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                ok.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)  # getaddrinfo has no timeout of its own
    thread.start()
    thread.join(timeout_s)
    return bool(ok)


def _offline_requested() -> bool:
    return any(os.environ.get(k, "").lower() in ("1", "true", "yes") for k in ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE"))


def _load_local(path: Path, split: str) -> list[dict[str, Any]]:
    import datasets

    if not path.exists():
        raise UserError(f"data path {path} does not exist")
    if path.is_dir() and ((path / "dataset_dict.json").is_file() or (path / "dataset_info.json").is_file()):
        data = datasets.load_from_disk(str(path))
        if isinstance(data, datasets.DatasetDict):
            if split not in data:
                raise UserError(f"{path} has splits {sorted(data)}, not {split!r}")
            data = data[split]
        return [dict(r) for r in data]
    names = SPLIT_FILE_NAMES.get(split, (split,))
    files = [path] if path.is_file() else sorted(
        p for p in path.iterdir() if p.is_file() and any(p.stem == n or p.stem.startswith(n + "-") for n in names))
    if not files:
        raise UserError(f"no file for split {split!r} in {path} (expected {' or '.join(names)}.jsonl/.json/.parquet, "
                        f"or {names[0]}-*.parquet)")
    rows: list[dict[str, Any]] = []
    for f in files:
        if f.suffix == ".parquet":
            rows += [dict(r) for r in datasets.Dataset.from_parquet(str(f))]
        elif f.suffix in (".jsonl", ".json"):
            text = f.read_text()
            rows += json.loads(text) if f.suffix == ".json" else [json.loads(line) for line in text.splitlines()
                                                                  if line.strip()]
        else:
            raise UserError(f"cannot read {f}: expected .parquet, .json or .jsonl")
    return rows


def load_rows(dataset_id: str, split: str, *, config: str | None = None, revision: str | None = None,
              path: str | Path | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows of one split plus a source record (id, revision or path, row count, sha256 of the rows)."""
    if path:
        rows = _load_local(Path(path), split)
        source: dict[str, Any] = {"dataset": dataset_id, "path": str(path), "split": split}
    else:
        if not _offline_requested() and not hub_reachable():
            raise UserError(f"cannot reach the HuggingFace hub for {dataset_id} ({split}); pass a local copy "
                            f"with data_path=... (save_to_disk folder, parquet or jsonl), or set HF_DATASETS_OFFLINE=1 "
                            "to use a pre-downloaded HF cache")
        import datasets

        try:
            data = datasets.load_dataset(dataset_id, config, split=split, revision=revision)
        except Exception as err:  # datasets raises many types for "not available"
            raise UserError(f"cannot load {dataset_id}@{revision or 'main'} ({split}): {one_line(err, 160)}; pass a local copy "
                            "with data_path=...") from None
        rows = [dict(r) for r in data]
        source = {"dataset": dataset_id, "config": config, "revision": revision or "main", "split": split}
    source["rows"] = len(rows)
    source["sha256"] = hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()
    return rows, source
