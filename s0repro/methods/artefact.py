"""Self-describing artefacts: a safetensors file of tensors beside a JSON that says what they belong to.

Every tensor-carrying method (S0, state offset, prefix) saves the same way, peft-style: the tensors, plus a JSON with
the method, its config, the *signature* of the model it was trained on and the package versions. Loading compares
signatures first, so a state made for one model loaded onto another is one clear error, never a silent misfit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from s0repro.methods.base import ArtefactMismatchError, TuningMethod, write_json
from s0repro.provenance import package_versions

FORMAT_VERSION = 1


def save_artefact(
    directory: str | Path,
    method: TuningMethod,
    *,
    files: tuple[str, str],
    tensors: dict[str, torch.Tensor],
    signature: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``files = (tensor_file, meta_file)`` into ``directory``; returns the directory."""
    tensor_file, meta_file = files
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cpu = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    save_file(cpu, directory / tensor_file, metadata={"format": f"s0repro-{method.name}",
                                                       "version": str(FORMAT_VERSION)})
    write_meta(directory / meta_file, method, signature, extra)
    return directory


def write_meta(path: Path, method: TuningMethod, signature: dict[str, Any], extra: dict[str, Any] | None = None) -> None:
    """The self-description every saved artefact carries beside its tensors: method, format, config, the model it
    belongs to and the package versions that wrote it."""
    write_json(path, {
        "method": method.name,
        "format_version": FORMAT_VERSION,
        "config": method.describe()["config"],
        "model": signature,
        "versions": package_versions(),
        **(extra or {}),
    })


def load_artefact(
    directory: str | Path, *, what: str, files: tuple[str, str], signature: dict[str, Any]
) -> dict[str, torch.Tensor]:
    """Read the tensors after checking the saved signature equals ``signature`` (the attached model's)."""
    tensor_file, meta_file = files
    directory = Path(directory)
    if not ((directory / meta_file).is_file() and (directory / tensor_file).is_file()):
        raise ArtefactMismatchError(f"{directory} holds no {what} ({meta_file} and {tensor_file} expected)")
    try:
        meta = json.loads((directory / meta_file).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise _unreadable(directory / meta_file, what, err) from None
    saved = meta.get("model", {}) if isinstance(meta, dict) else None
    if saved != signature:
        raise ArtefactMismatchError(
            f"{what} in {directory} was made for {_summary(saved or {})}, but the attached model is "
            f"{_summary(signature)}"
        )
    try:
        return load_file(directory / tensor_file)
    except SafetensorError as err:
        raise _unreadable(directory / tensor_file, what, err) from None


def _unreadable(path: Path, what: str, err: Exception) -> ArtefactMismatchError:
    """A truncated or corrupt file (an interrupted copy, a partial download) is one line naming it, not a library trace."""
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return ArtefactMismatchError(f"{path} is not a readable {what} file ({reason}); copy or save it again")


def _summary(signature: dict[str, Any]) -> str:
    parts = [str(signature.get("model_type", "?"))]
    if "layers" in signature:
        shapes = sorted({tuple(l["shape"]) for l in signature["layers"]})
        parts.append(f"with {len(signature['layers'])} recurrent layers of shape "
                     + ", ".join("x".join(map(str, s)) for s in shapes))
    if "tensors" in signature:
        parts.append(f"with tensors {signature['tensors']}")
    return " ".join(parts)
