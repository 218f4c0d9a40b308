"""S0's direct influence on the next-token distribution across the prompt: how fast the injected state fades.

The paper (Persistence Analysis) runs the same prompt twice, with the tuned initial state and with the default zero
state, and measures the KL divergence between the two next-token distributions at every prompt position, reported
as a ratio that decays to 0.03 % by the final prompt token. The paper does not print the normalisation; we read
"KL ratio" as KL at position t relative to KL at the first position (where S0's influence is largest and nothing
else differs), and say so wherever it is reported. KL(tuned || base), in nats, computed in float64 from the logits.

Cost: two forwards of the prompt per problem (with and without the state), no generation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from s0repro.methods import TuningMethod

KL_FLOOR = 1e-30  # a first-position KL at or below this leaves the ratio undefined (the state changed nothing)


@torch.no_grad()
def prompt_kl(model: torch.nn.Module, tokenizer, method: TuningMethod, text: str) -> np.ndarray:
    """KL(p_tuned || p_base) of the next-token distribution at each prompt position (length = prompt tokens)."""
    device = next(model.parameters()).device
    enc = tokenizer(text, return_tensors="pt").to(device)
    base = model(**enc).logits[0].double().log_softmax(-1)
    tuned = model(**enc, **method.model_kwargs(1)).logits[0].double().log_softmax(-1)
    return (tuned.exp() * (tuned - base)).sum(-1).clamp_min(0.0).cpu().numpy()


def kl_ratio(kl: np.ndarray) -> np.ndarray | None:
    """KL at each position over KL at the first; None when the first is below :data:`KL_FLOOR`."""
    return None if kl.size == 0 or kl[0] <= KL_FLOOR else kl / kl[0]

