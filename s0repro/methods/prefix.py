"""Prefix tuning through peft: the paper's negative control on a pure Transformer (Qwen2.5-3B-Instruct).

30 virtual tokens with ``prefix_projection=True`` (an MLP reparametrises the per-layer key/value prefix). Each prefix
token is an extra attention position at every layer and every step: per-token-prefix cost. On a hybrid model the
prefix would reach only the attention layers and leave the recurrent state untouched, so it is refused with one line.

The generate trap. transformers 5.24 renamed the cache keyword ``past_key_values`` -> ``cache``; peft 0.21's
``PeftModelForCausalLM.prepare_inputs_for_generation`` still writes the prefix into ``past_key_values``, which the
model drops in favour of ``cache``: ``generate()`` then runs the base model (its logits equal the base model's) while
``forward()`` does use the prefix. :class:`PrefixCausalLM` replaces ``generate()``: it builds the prefix cache itself,
prepends 30 ones to the attention mask, and lets the base model's ``generate`` continue from that cache. Positions
then match the forward pass (real tokens start at position 30 in both), and the tests check generate's step scores
against a teacher-forced forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from peft import PeftModelForCausalLM, PrefixTuningConfig, TaskType
from torch import nn
from transformers import PreTrainedModel

from s0repro.errors import UserError
from s0repro.methods.artefact import load_artefact, save_artefact
from s0repro.methods.base import (
    InferenceCost,
    MethodConfig,
    TuningMethod,
    register,
)
from s0repro.models.recurrent import find_recurrent_layers

ARTEFACT_FILES = ("prefix_encoder.safetensors", "prefix_config.json")


@dataclass
class PrefixConfig(MethodConfig):
    name: str = "prefix"
    lr: float = 1e-3  # the paper sweeps 3 learning rates (values not given); override method.lr
    steps: int = 20
    batch: int = 0  # examples per optimiser step (train.batch); 0 = a full pass, as for S0
    num_virtual_tokens: int = 30  # paper
    prefix_projection: bool = True  # paper: reparametrise the prefix through an MLP
    encoder_hidden_size: int | None = None  # hidden size of that MLP; None = the model's hidden size (peft default)

    def __post_init__(self) -> None:
        if self.num_virtual_tokens < 1:
            raise UserError(f"method.num_virtual_tokens={self.num_virtual_tokens} must be >= 1")

    def peft_config(self) -> PrefixTuningConfig:
        return PrefixTuningConfig(
            task_type=TaskType.CAUSAL_LM,
            num_virtual_tokens=self.num_virtual_tokens,
            prefix_projection=self.prefix_projection,
            encoder_hidden_size=self.encoder_hidden_size,
        )


class PrefixCausalLM(PeftModelForCausalLM):
    """peft's prefix-tuning wrapper with a ``generate()`` that really uses the prefix under transformers 5.x."""

    def generate(self, input_ids: torch.Tensor | None = None, attention_mask: torch.Tensor | None = None,
                 **kwargs: Any) -> Any:
        if input_ids is None:
            raise UserError("prefix-tuned generate() needs input_ids")
        if kwargs.get("cache") is not None or kwargs.get("past_key_values") is not None:
            raise UserError("prefix-tuned generate() builds its own cache; do not pass one")
        kwargs.pop("cache", None)
        kwargs.pop("past_key_values", None)
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        config = self.active_peft_config
        generation_config = kwargs.get("generation_config") or self.get_base_model().generation_config
        copies = kwargs.get("num_return_sequences") or getattr(generation_config, "num_return_sequences", 1) or 1
        batch = input_ids.shape[0]
        with torch.no_grad():
            cache = self.get_prompt(batch_size=batch * copies)
        prefix_mask = attention_mask.new_ones(batch, config.num_virtual_tokens)
        return self.get_base_model().generate(
            input_ids=input_ids,
            attention_mask=torch.cat([prefix_mask, attention_mask], dim=1),
            cache=cache,
            **kwargs,
        )


@register
class PrefixMethod(TuningMethod):
    name = "prefix"
    inference_cost = InferenceCost.PER_TOKEN_PREFIX
    config_class = PrefixConfig

    def attach(self, model: PreTrainedModel) -> nn.Module:
        if self.model is not None:
            raise RuntimeError("method prefix is already attached; detach() first")
        recurrent = find_recurrent_layers(model)
        if recurrent:
            raise UserError(
                f"method=prefix is the pure-Transformer control, but {model.config.model_type} is a hybrid with "
                f"{len(recurrent)} recurrent layers the prefix would not reach; use method=s0, state_offset or lora"
            )
        self.base_model = model
        self.model = PrefixCausalLM(model, self.config.peft_config())
        self.model.prompt_encoder.to(next(model.parameters()).device)
        return self.model

    def detach(self) -> PreTrainedModel:
        self._require_attached()
        base = self.base_model
        self.model = self.base_model = None
        return base

    def _encoder(self) -> nn.Module:
        return self._require_attached().prompt_encoder["default"]

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self._encoder().parameters() if p.requires_grad]

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "note": f"{self.config.num_virtual_tokens} extra attention positions per layer"}

    # -- artefacts -----------------------------------------------------------------------------------------------
    def _signature(self) -> dict[str, Any]:
        config = self.base_model.config
        return {
            "model_type": config.model_type,
            "tensors": {k: list(v.shape) for k, v in self._encoder().state_dict().items()},
        }

    def save(self, directory: str | Path) -> Path:
        return save_artefact(directory, self, files=ARTEFACT_FILES, tensors=self._encoder().state_dict(),
                             signature=self._signature())

    def load(self, directory: str | Path) -> None:
        tensors = load_artefact(directory, what="prefix", files=ARTEFACT_FILES, signature=self._signature())
        encoder = self._encoder()
        device = next(encoder.parameters()).device
        encoder.load_state_dict({k: v.to(device) for k, v in tensors.items()})
