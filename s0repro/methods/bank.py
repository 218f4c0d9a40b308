"""A bank of S0 tasks over one frozen model: every row of a batch starts from its own task's state.

S0 is only the state a recurrent layer starts from, so nothing stops the rows of one batch from starting from
different tasks' states: stack them along the batch dimension of :class:`InitialStateCache` and the model runs at
the base model's speed. (LoRA needs per-row adapter routing for that: peft's ``adapter_names=``, S-LoRA / Punica
kernels in servers.)

    bank = S0Bank(model)                       # installs the padding-neutral decay, like S0Method.attach
    bank.load("sql", "states/sql")             # validated against the model exactly as S0Method.load does
    bank.load("code", "states/code")
    enc = tokenizer(prompts, return_tensors="pt", padding=True)          # left padding
    model.generate(**enc, **bank.model_kwargs(["sql", "code", None]))   # None: the base model (zero state)

Each task keeps the state it would inject alone (``S0Method.effective_state`` at inference: alpha, normalisation and
its layer subset included; layers outside the subset start from zero), so a row's greedy output is that of the
single-task run. Not a tuning method: it trains nothing and is not in the registry.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedModel

from s0repro.errors import UserError
from s0repro.methods.base import ArtefactMismatchError, build_method
from s0repro.methods.s0 import S0Method
from s0repro.models.cache import InitialStateCache
from s0repro.models.padding import PaddingNeutralHooks
from s0repro.models.recurrent import require_recurrent_layers
from s0repro.models.seams import install_initial_state_seams


class S0Bank:
    """Loaded S0 states by task name, and the cache that starts row i of a batch from task ``task_ids[i]``."""

    def __init__(self, model: PreTrainedModel) -> None:
        self.model = model
        self.layers = require_recurrent_layers(model, "an S0 bank")
        self._device = next(model.parameters()).device
        # per layer: [1 + tasks, heads, k, v] fp32; row 0 is the zero state of rows without a task
        self._table = {l.layer_idx: torch.zeros((1, *l.state_shape), device=self._device) for l in self.layers}
        self._rows: dict[str, int] = {}  # task name -> its row in every table
        self.padding_hooks: PaddingNeutralHooks | None = install_initial_state_seams(model)

    @property
    def tasks(self) -> list[str]:
        return list(self._rows)

    def load(self, task: str, directory: str | Path) -> None:
        """Load a saved S0 artefact as ``task`` (loading a name again replaces its state: a task switch)."""
        directory = Path(directory)
        _, meta_file = S0Method.artefact_files
        if not (directory / meta_file).is_file():
            raise ArtefactMismatchError(f"{directory} holds no S0 state ({meta_file} expected); save one with "
                                        "S0Method.save")
        try:
            config = json.loads((directory / meta_file).read_text())["config"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise UserError(f"{directory / meta_file} is not an S0 artefact description; re-save the state") from None
        method = build_method("s0", config)  # the saved alpha, normalisation and layer subset
        method.attach(self.model)
        try:
            method.load(directory)  # the same signature check as a single-task load
            self.add(task, method)
        finally:
            method.detach()

    def add(self, task: str, method: S0Method) -> None:
        """Copy the state an attached S0 method injects at inference into the bank as ``task``."""
        if not isinstance(task, str) or not task:
            raise UserError(f"task name {task!r} must be a non-empty string")
        if not isinstance(method, S0Method):
            raise UserError(f"task {task!r}: an S0 bank holds S0 states, not {type(method).__name__}")
        if method.base_model is not self.model:
            raise UserError(f"the S0 method for task {task!r} is not attached to this bank's model; attach it first")
        covered = {l.layer_idx: l for l in method.layers}
        row = self._rows.get(task, len(self._rows) + 1)
        with torch.no_grad():
            for idx, table in self._table.items():
                state = (method.effective_state(covered[idx], training=False).detach().to(table)
                         if idx in covered else torch.zeros_like(table[0]))
                if row == len(table):
                    self._table[idx] = torch.cat([table, state.unsqueeze(0)])
                else:
                    table[row] = state
        self._rows[task] = row

    def model_kwargs(self, task_ids: Sequence[str | None]) -> dict[str, Any]:
        """Keyword arguments for ``model(...)`` / ``generate(...)`` on a batch whose row i is task ``task_ids[i]``."""
        if not task_ids:
            raise UserError("task_ids is empty; give one task name (or None for the base model) per batch row")
        unknown = sorted({t for t in task_ids if t is not None and t not in self._rows}, key=str)
        if unknown:
            raise UserError(f"tasks {unknown} are not in the bank (loaded: {self.tasks}); bank.load(name, dir) first")
        rows = torch.tensor([0 if t is None else self._rows[t] for t in task_ids], device=self._device)
        initial = {idx: table.index_select(0, rows) for idx, table in self._table.items()}  # fresh tensors per call
        return {"cache": InitialStateCache(initial, config=self.model.config), "use_cache": True}

    def close(self) -> PreTrainedModel:
        """Remove the padding hooks; the returned model computes exactly what the base model did."""
        if self.padding_hooks is not None:
            self.padding_hooks.remove()
            self.padding_hooks = None
        return self.model
