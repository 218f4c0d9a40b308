"""The S0 seam: a ``DynamicCache`` whose recurrent layers start from a given state instead of zeros.

transformers' recurrent mixers (GatedDeltaNet, Mamba-2, KDA, Mamba-1) read ``cache.get_recurrent_state(layer)``
before processing a chunk and pass it as ``initial_state(s)`` to the scan (torch fallback and fla / mamba-ssm kernels
alike; Mamba-1's scan takes none, see :mod:`s0repro.models.mamba1`). Before prefill that
call returns None; ours returns S0, once. After prefill the layer has a previous state and the ordinary cache takes
over, so decode steps continue from the cache and never re-inject: that is why S0 costs nothing at inference.

Two departures from the stock layer, both needed for training through the state:
- ``update_recurrent_state`` assigns instead of ``copy_``-ing into a preallocated buffer, which keeps the autograd
  graph from S0 to the loss intact and never writes into the parameter.
- the initial state handed out is a fresh contiguous tensor per batch, so Mamba-2's in-place single-token update
  (a 1-token prompt) cannot write into an expanded view of the parameter (backward through that update is made
  safe by :mod:`s0repro.models.seams`).

``pending_state`` lets a hook see, before the mixer runs, the state a layer is about to be handed (the Mamba-1 entry
and the Nemotron-H / Zamba2 padding correction need it); ``replace_pending`` swaps it for a corrected one.
"""

from __future__ import annotations

import torch
from transformers import DynamicCache, PretrainedConfig


class InitialStateCache(DynamicCache):
    """A dynamic cache that seeds the recurrent state of selected layers at prefill."""

    def __init__(self, initial_states: dict[int, torch.Tensor], *, config: PretrainedConfig) -> None:
        super().__init__(config=config)
        self._initial_states = dict(initial_states)  # layer_idx -> [batch, heads, k, v]

    def get_recurrent_state(self, layer_idx: int, state_idx: int = 0) -> torch.Tensor | None:
        layer = self.layers[layer_idx]
        if state_idx == 0 and layer_idx in self._initial_states and not layer.has_previous_state[0]:
            state = self._initial_states.pop(layer_idx)
            self._store(layer, state, state_idx)
            return state
        return super().get_recurrent_state(layer_idx, state_idx)

    def pending_state(self, layer_idx: int) -> torch.Tensor | None:
        """The initial state layer ``layer_idx`` will be handed at prefill, or None (already handed out / none)."""
        if layer_idx >= len(self.layers) or not self.layers[layer_idx].has_previous_state[0]:
            return self._initial_states.get(layer_idx)
        return None

    def replace_pending(self, layer_idx: int, state: torch.Tensor) -> None:
        """Hand out ``state`` instead of the pending one (a padding correction computed per batch row)."""
        self._initial_states[layer_idx] = state

    def update_recurrent_state(
        self, recurrent_states: torch.Tensor, layer_idx: int, state_idx: int = 0, **kwargs
    ) -> torch.Tensor:
        self._store(self.layers[layer_idx], recurrent_states, state_idx)
        return recurrent_states

    @staticmethod
    def _store(layer, state: torch.Tensor, state_idx: int) -> None:
        if layer.device is None:
            layer.device, layer.dtype = state.device, state.dtype
        layer.recurrent_states[state_idx] = state
        layer.is_recurrent_states_initialized[state_idx] = True
