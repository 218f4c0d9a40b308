"""Reading an offline W&B run back, for the tests that check what a cell logged.

wandb >= 0.2x no longer ships a Python reader (its ``sdk.internal.datastore`` moved into the Go core), so the record
framing (the LevelDB log format: 32 KiB blocks of crc32c | length | type | payload) is parsed here and each record is
decoded with wandb's own protobuf, ``wandb.proto.wandb_internal_pb2.Record``.
"""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from typing import Any

_BLOCK = 32768
_HEADER = b":W&B"
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def _records(path: Path) -> list[Any]:
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    if data[:4] != _HEADER:
        raise ValueError(f"{path} is not a .wandb file")
    records, pos, chunk = [], 7, b""
    while pos + 7 <= len(data):
        left = _BLOCK - pos % _BLOCK
        if left < 7:  # block trailer: too small for a record header
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        pos += 7
        if kind == 0 and length == 0:  # zero padding at the end of a block
            pos += left - 7
            continue
        chunk += data[pos:pos + length]
        pos += length
        if kind in (_FULL, _LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(chunk)
            records.append(record)
            chunk = b""
    return records


def read_wandb_file(path: str | Path) -> dict[str, Any]:
    """Config, summary and run fields (group, job_type, tags, name) of a ``.wandb`` file.

    ``complete`` says whether the run's exit record is there: wandb's core process may still be writing the file for
    a moment after ``finish()`` returns.
    """
    config: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    run: dict[str, Any] = {}
    complete = False
    for record in _records(Path(path)):
        kind = record.WhichOneof("record_type")
        complete = complete or kind == "exit"
        if kind == "run":
            r = record.run
            run = {"run_id": r.run_id, "project": r.project, "group": r.run_group, "job_type": r.job_type,
                   "name": r.display_name, "tags": list(r.tags)}
            for item in r.config.update:
                config[item.key] = json.loads(item.value_json)
        elif kind == "config":
            for item in record.config.update:
                config[item.key] = json.loads(item.value_json)
        elif kind == "summary":
            for item in record.summary.update:
                keys = [item.key] if item.key else list(item.nested_key)
                node = summary
                for part in keys[:-1]:
                    node = node.setdefault(part, {})
                node[keys[-1]] = json.loads(item.value_json)
    config.pop("_wandb", None)
    return {"run": run, "config": config, "summary": summary, "complete": complete}


def read_back(path: Path, timeout_s: float = 30.0) -> dict:
    """The run as written; wandb's core process finishes the file a moment after ``finish()`` returns."""
    deadline = time.monotonic() + timeout_s
    while True:
        back = read_wandb_file(path)
        if back["complete"] or time.monotonic() > deadline:
            return back
        time.sleep(0.1)
