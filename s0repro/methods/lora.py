"""LoRA through peft, with the paper's presets and both inference modes (unmerged and merged).

peft knows no default targets for qwen3_5 / falcon_h1, so ``target_modules`` is always explicit in the config:
Qwen3.5-4B q/k/v/o_proj (only its 8 full-attention layers have them; r=24 -> 4,718,592 params), Falcon-H1-7B
q/k/v_proj + the Mamba-2 in_proj of all 44 layers (r=24 -> 22,192,896; peft refuses out_proj / conv1d on Mamba
mixers). B starts at zero, so the untrained adapter is exactly the base model.

Unmerged, every adapted matmul costs an extra low-rank product at every step (per-step cost); merged, ``W + BA`` is
written into the weights and peft's wrappers are swapped out for the plain base layers, so inference costs exactly
what the base model costs. ``merge()`` / ``unmerge()`` switch explicitly; with
``merge: true`` in the config the switch is automatic: ``model_kwargs(..., training=False)`` (evaluation) merges and
``model_kwargs(..., training=True)`` unmerges. Merging keeps a CPU copy of the weights it overwrites and unmerging
restores them, so ``detach()`` gives back the base weights bit for bit (peft's own unmerge subtracts BA again, which
is not exact in floating point).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, PeftModel, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict
from peft.tuners.lora import LoraLayer
from safetensors.torch import load_file
from torch import nn
from transformers import PreTrainedModel

from s0repro.errors import UserError
from s0repro.methods.artefact import write_meta
from s0repro.methods.base import (
    ArtefactMismatchError,
    InferenceCost,
    MethodConfig,
    TuningMethod,
    register,
)

ADAPTER_FILE, META_FILE = "adapter_model.safetensors", "lora_meta.json"


@dataclass
class LoraMethodConfig(MethodConfig):
    name: str = "lora"
    lr: float = 5e-4  # paper, Qwen3.5-4B (Falcon-H1-7B: 1e-4)
    steps: int = 50
    batch: int = 1  # examples per optimiser step (train.batch); the paper's LoRA runs use batch 1
    r: int = 24
    alpha: float = 48.0  # peft's lora_alpha; the update is scaled by alpha / r
    dropout: float = 0.0
    target_modules: list[str] = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])
    layers: list[int] | None = None  # peft's layers_to_transform; None = every layer that has a target
    merge: bool = False  # evaluate with the adapter merged into the weights (zero inference overhead)

    def __post_init__(self) -> None:
        if self.r < 1:
            raise UserError(f"method.r={self.r} must be a positive rank")
        if not self.target_modules:
            raise UserError("method.target_modules is empty; peft has no defaults for qwen3_5 / falcon_h1, name them")
        if not 0.0 <= self.dropout < 1.0:
            raise UserError(f"method.dropout={self.dropout} must be in [0, 1)")

    def peft_config(self) -> LoraConfig:
        return LoraConfig(
            r=self.r,
            lora_alpha=self.alpha,
            lora_dropout=self.dropout,
            target_modules=list(self.target_modules),
            layers_to_transform=list(self.layers) if self.layers is not None else None,
            bias="none",
        )


@dataclass
class _Merged:
    """One adapted module while merged: where its peft wrapper was, the wrapper, and the exact pre-merge weight."""

    parent: nn.Module
    attr: str
    layer: LoraLayer
    backup: torch.Tensor


@register
class LoraMethod(TuningMethod):
    name = "lora"
    inference_cost = InferenceCost.MERGE
    config_class = LoraMethodConfig

    def __init__(self, config: LoraMethodConfig | None = None) -> None:
        super().__init__(config)
        self._merged: list[_Merged] = []  # what merge() swapped out, for unmerge()
        self._params: list[nn.Parameter] = []

    # -- lifecycle -----------------------------------------------------------------------------------------------
    def attach(self, model: PreTrainedModel) -> nn.Module:
        if self.model is not None:
            raise RuntimeError("method lora is already attached; detach() first")
        names = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
        missing = [t for t in self.config.target_modules if t not in names]
        if missing:
            raise UserError(
                f"method.target_modules {missing} match no module of {model.config.model_type}; "
                f"e.g. Qwen3.5: q_proj k_proj v_proj o_proj, Falcon-H1: q_proj k_proj v_proj in_proj"
            )
        meta = next(model.parameters()).device.type == "meta"
        try:
            peft_model = get_peft_model(model, self.config.peft_config(), low_cpu_mem_usage=meta)
        except ValueError as err:  # peft: no match, or a module it refuses (out_proj / conv1d on Mamba)
            raise UserError(f"peft refused method=lora on {model.config.model_type}: {str(err).splitlines()[0]}") from None
        self.base_model, self.model = model, peft_model
        # listed once: while merged, the adapter tensors are out of the module tree (see merge())
        self._params = [p for n, p in peft_model.named_parameters() if p.requires_grad and "lora_" in n]
        return peft_model

    def detach(self) -> PreTrainedModel:
        peft_model = self._peft()
        self.unmerge()
        base = peft_model.unload()
        self.model = self.base_model = None
        self._params = []
        return base

    def trainable_parameters(self) -> list[nn.Parameter]:
        self._require_attached()
        return list(self._params)

    # -- merged / unmerged ---------------------------------------------------------------------------------------
    @property
    def merged(self) -> bool:
        return bool(self._merged)

    @torch.no_grad()
    def merge(self) -> None:
        """Write W + (alpha/r) BA into the adapted weights and take peft's wrappers out of the forward path."""
        if self.merged:
            return
        peft_model = self._peft()
        layers = [(n, m) for n, m in peft_model.named_modules() if isinstance(m, LoraLayer)]
        for name, layer in layers:
            base = layer.get_base_layer()
            backup = base.weight.detach().to("cpu", copy=True)
            layer.merge()
            parent_name, _, attr = name.rpartition(".")
            parent = peft_model.get_submodule(parent_name)
            setattr(parent, attr, base)  # the merged model runs plain nn.Linear: no wrapper cost at all
            self._merged.append(_Merged(parent, attr, layer, backup))

    @torch.no_grad()
    def unmerge(self) -> None:
        """Put the adapters back on the side and restore the exact base weights."""
        while self._merged:
            entry = self._merged.pop()
            setattr(entry.parent, entry.attr, entry.layer)
            weight = entry.layer.get_base_layer().weight
            weight.copy_(entry.backup.to(weight.device))
            entry.layer.merged_adapters.clear()

    @contextmanager
    def _unmerged(self) -> Iterator[None]:
        """Temporarily unmerged (the adapter tensors are only reachable through peft's wrappers)."""
        was_merged = self.merged
        self.unmerge()
        try:
            yield
        finally:
            if was_merged:
                self.merge()

    def model_kwargs(self, batch_size: int, *, training: bool = False) -> dict[str, Any]:
        if training:
            self.unmerge()
        elif self.config.merge:
            self.merge()
        return {}

    def describe(self) -> dict[str, Any]:
        mode = "merged: no extra cost" if self.config.merge else "unmerged: extra low-rank matmuls at every step"
        return {**super().describe(), "inference_mode": mode}

    # -- artefacts -----------------------------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        peft_model = self._peft()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with self._unmerged():
            peft_model.save_pretrained(str(directory))  # adapter_model.safetensors + adapter_config.json (peft format)
            signature = self._signature()
        write_meta(directory / META_FILE, self, signature)
        return directory

    def load(self, directory: str | Path) -> None:
        directory = Path(directory)
        meta_path, adapter_path = directory / META_FILE, directory / ADAPTER_FILE
        if not (meta_path.is_file() and adapter_path.is_file()):
            raise ArtefactMismatchError(f"{directory} holds no LoRA adapter ({META_FILE} and {ADAPTER_FILE} expected)")
        with self._unmerged():
            saved, here = json.loads(meta_path.read_text()).get("model", {}), self._signature()
        if saved != here:
            diff = sorted(k for k in here if saved.get(k) != here[k])
            raise ArtefactMismatchError(
                f"LoRA adapter in {directory} does not fit the attached model ({', '.join(diff)} differ: saved "
                f"{saved.get('model_type')} r={saved.get('r')} with {len(saved.get('tensors', {}))} tensors, here "
                f"{here['model_type']} r={here['r']} with {len(here['tensors'])})"
            )
        with self._unmerged():
            result = set_peft_model_state_dict(self._peft(), load_file(adapter_path))
        if getattr(result, "unexpected_keys", None):
            raise ArtefactMismatchError(f"LoRA adapter in {directory} has unexpected tensors {result.unexpected_keys[:3]}")

    def _signature(self) -> dict[str, Any]:
        config = self._peft().get_base_model().config
        tensors = {k: list(v.shape) for k, v in get_peft_model_state_dict(self._peft()).items()}
        return {"model_type": config.model_type, "r": self.config.r, "tensors": tensors}

    def _peft(self) -> PeftModel:
        return self._require_attached()  # type: ignore[return-value]
