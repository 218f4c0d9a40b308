"""S0's KL influence per prompt position on tiny hybrid models (GatedDeltaNet and Mamba-2)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from s0repro.methods import build_method
from s0repro.tools.influence import kl_ratio, prompt_kl

TEXT = "def add(a, b):\n    return a + b\n\nprint(add(2, 3))\n# the answer is five, and that is all there is\n"


def _attach(loaded, scale: float):
    method = build_method("s0", {"alpha": 1.0})
    method.attach(loaded.model)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in method.trainable_parameters():
            p.copy_(scale * torch.randn(p.shape, generator=gen))
    return method


def test_kl_matches_torch_and_ratio_is_relative_to_the_first_position(tiny_hybrid):
    method = _attach(tiny_hybrid, 1.0)
    kl = prompt_kl(tiny_hybrid.model, tiny_hybrid.tokenizer, method, TEXT)
    enc = tiny_hybrid.tokenizer(TEXT, return_tensors="pt")
    assert kl.shape == (enc["input_ids"].shape[1],)
    with torch.no_grad():
        base = tiny_hybrid.model(**enc).logits[0].double().log_softmax(-1)
        tuned = tiny_hybrid.model(**enc, **method.model_kwargs(1)).logits[0].double().log_softmax(-1)
    ref = F.kl_div(base, tuned, log_target=True, reduction="none").sum(-1).numpy()
    np.testing.assert_allclose(kl, ref, rtol=1e-9, atol=1e-12 * float(ref.max()))
    ratio = kl_ratio(kl)
    assert kl[0] > 0 and ratio[0] == 1.0
    np.testing.assert_allclose(ratio, kl / kl[0], rtol=1e-12)  # how fast it decays is the model's property


def test_zero_state_has_no_influence(tiny_gdn):
    method = _attach(tiny_gdn, 0.0)
    kl = prompt_kl(tiny_gdn.model, tiny_gdn.tokenizer, method, TEXT)
    assert np.all(kl == 0.0) and kl_ratio(kl) is None

