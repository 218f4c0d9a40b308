"""Load a model and its tokenizer from a :class:`ModelConfig`: a hub checkpoint or a tiny architecture.

The hub path is the real one, and the shipped tiny checkpoints take it too: their ``hub_id`` is a local snapshot
(``assets/tiny/<name>``, relative to the repository root) stored as the real repositories are, loaded by
``AutoModelForCausalLM`` and ``AutoTokenizer`` without touching the network. On a machine that cannot reach the hub
(and has no local copy) it fails fast with one
line naming the model and the ways out (``HF_HOME`` with a pre-downloaded snapshot, or a tiny config), instead of
hanging in retries: when ``HF_HUB_OFFLINE`` is set or a 3-second probe cannot reach the hub endpoint, loading goes
straight to ``local_files_only=True`` (a cached snapshot still loads; a missing one fails at once).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from s0repro.data.hub import hub_reachable
from s0repro.errors import UserError, one_line
from s0repro.models.architectures import build_config
from s0repro.models.config import ModelConfig
from s0repro.models.tiny import build_tiny_model
from s0repro.models.tokenizer import build_char_tokenizer
from s0repro.paths import REPO_ROOT

HUB_PROBE_TIMEOUT_S = 3.0


class ModelLoadError(UserError):
    """The model cannot be obtained here (no hub, missing checkpoint, no CUDA for a GPU-only config)."""


@dataclass
class LoadedModel:
    """A frozen causal LM ready for a tuning method, with its tokenizer and the config that made it."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    config: ModelConfig

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device


def resolve_device(requested: str) -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ModelLoadError(f"model.device={requested} but CUDA is not available here; use model.device=cpu")
    return torch.device(requested)


def _hub_usable() -> bool:
    """False when offline mode is requested or the hub endpoint does not accept a TCP connection in time."""
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in {"1", "true", "yes", "on"}:
        return False
    return hub_reachable(HUB_PROBE_TIMEOUT_S)


TINY_ASSETS = REPO_ROOT / "assets" / "tiny"  # where `make tiny-models` writes the shipped tiny checkpoints


def local_snapshot(hub_id: str) -> Path | None:
    """The local directory ``hub_id`` names (absolute, cwd-relative, or relative to the repository root, as
    conf/model files write it), or None for a hub repository id. A missing shipped tiny checkpoint is one line."""
    path = Path(hub_id)
    for candidate in (path, REPO_ROOT / path):
        if (candidate / "config.json").is_file():
            return candidate
    if (REPO_ROOT / path).resolve().parent == TINY_ASSETS:
        raise ModelLoadError(f"tiny checkpoint {REPO_ROOT / path} not found; build it with `make tiny-models`")
    if path.is_absolute() or path.exists():
        raise ModelLoadError(f"model.hub_id={hub_id}: a local folder without config.json; give a hub repository id "
                             "or a saved model's folder")
    return None


def _load_hub(cfg: ModelConfig) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    dtype = getattr(torch, cfg.dtype)
    snapshot = local_snapshot(cfg.hub_id)
    source = str(snapshot) if snapshot else cfg.hub_id
    local_only = snapshot is not None or not _hub_usable()
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, revision=cfg.revision, local_files_only=local_only)
        model = AutoModelForCausalLM.from_pretrained(
            source, revision=cfg.revision, dtype=dtype, attn_implementation=cfg.attn_implementation,
            local_files_only=local_only,
        )
    except (OSError, ValueError) as err:  # transformers wraps connection errors in OSError
        where = "local cache (hub unreachable)" if local_only else "HuggingFace hub"
        raise ModelLoadError(
            f"cannot load {cfg.hub_id}@{cfg.revision} from the {where}: {one_line(err, 160)}; "
            "pre-download it into HF_HOME on a connected machine, or run at scale=tiny (+exp=qwen3_5 scale=tiny)"
        ) from None
    return model, tokenizer


def _load_tiny(cfg: ModelConfig) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A randomly initialised tiny model of ``cfg.dims`` (tests and the builder's starting point)."""
    tokenizer = build_char_tokenizer()
    dims = {"vocab_size": len(tokenizer), "pad_token_id": tokenizer.pad_token_id,
            "eos_token_id": tokenizer.eos_token_id, **dict(cfg.dims)}
    model = build_tiny_model(build_config(cfg.arch, dims), seed=cfg.seed)
    return model, tokenizer


def shipped_config(model: str | Path) -> ModelConfig:
    """A model config by shipped name (``"tiny_gdn"`` is ``conf/model/tiny_gdn.yaml``) or YAML path, from any cwd."""
    path = Path(model)
    if path.suffix not in {".yaml", ".yml"}:
        path = REPO_ROOT / "conf" / "model" / f"{model}.yaml"
    elif not path.is_absolute() and not path.exists():
        path = REPO_ROOT / path
    if not path.is_file():
        names = ", ".join(sorted(p.stem for p in (REPO_ROOT / "conf" / "model").glob("*.yaml")))
        raise ModelLoadError(f"no model config {str(model)!r}: give a YAML path or one of {names}")
    return ModelConfig.from_yaml(path)


def load_model(cfg: ModelConfig | str | Path) -> LoadedModel:
    """Load, freeze and place the model; every weight has ``requires_grad=False`` afterwards.

    ``cfg`` may also be a shipped model's name or a config path (:func:`shipped_config`).
    """
    if not isinstance(cfg, ModelConfig):
        cfg = shipped_config(cfg)
    if cfg.requires_cuda and not torch.cuda.is_available():
        raise ModelLoadError(f"model {cfg.name} is configured for CUDA only and this machine has no GPU; on a CPU add "
                             "scale=tiny (its tiny counterpart on minicode, conf/scale/tiny.yaml)")
    device = resolve_device(cfg.device)
    if device.type == "cpu":
        # Long-memory decays underflow into denormal floats, which made CPU steps ~20x slower on the tiny models.
        torch.set_flush_denormal(True)
    model, tokenizer = _load_hub(cfg) if cfg.source == "hub" else _load_tiny(cfg)
    model.requires_grad_(False)
    model.eval()
    model.to(device)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return LoadedModel(model=model, tokenizer=tokenizer, config=cfg)
