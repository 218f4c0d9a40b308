"""How much of an initial recurrent state survives a prompt, per layer and head: does S0 have anything to act on?

S0 tuning only works if the state a layer starts from is still there when the model starts answering. Each
GatedDeltaNet / Mamba-2 layer's final state is *affine* in its initial state (decay and delta-rule erasure act
linearly; the inputs of layer ``l`` do not depend on layer ``l``'s own state), so

    survival[l, h] = || S_T(S0) - S_T(0) ||_F / || S0 ||_F      (head h of layer l, S0 a random probe)

is the fraction of the initial state left after the prompt: 1 = perfect memory, 1e-30 = forgotten (values below
~1e-12 are float32 rounding; exact zeros show as 1e-300). Beside it, ``decay_only`` is what the gate alone would
leave, ``exp(sum_t log decay_t)``: for Mamba-2 it is exactly ``exp(sum_t A_h dt_t)``; for GatedDeltaNet the gap
between the two is what the delta rule overwrites. Only one layer is
probed at a time (one batch row per layer, row 0 the zero-state reference), through S0's own cache seam
(:class:`s0repro.models.cache.InitialStateCache`), so the number describes the forward pass S0 tunes.

Run: ``python -m s0repro.tools.memory conf/model/minicode_gdn.yaml`` (``make tiny-memory``) prints the table for a typical minicode prompt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from s0repro.models.cache import InitialStateCache
from s0repro.models.recurrent import RecurrentLayer, find_recurrent_layers

ALIVE = 0.05  # a head that keeps at least 5 % of its initial state after a prompt "remembers"
# The probe is large so that S_T(S0) - S_T(0) stands far above float32 rounding of the input-driven part of S_T:
# the map is linear, so the ratio does not depend on the scale, and the measurable floor drops to ~1e-13.
PROBE_SCALE = 1e6


@dataclass(frozen=True)
class LayerSurvival:
    layer_idx: int
    kind: str  # gated_deltanet | mamba2
    fractions: list[float]  # per head, geometric mean over the prompts
    decay_only: list[float] = field(default_factory=list)  # exp(sum_t log-decay): what the gate alone leaves


@dataclass
class SurvivalReport:
    layers: list[LayerSurvival]
    prompt_tokens: list[int] = field(default_factory=list)

    def heads(self) -> list[float]:
        return [f for layer in self.layers for f in layer.fractions]

    def alive(self, threshold: float = ALIVE) -> int:
        """Heads that keep at least ``threshold`` of their initial state."""
        return sum(f >= threshold for f in self.heads())

    def alive_per_layer(self, threshold: float = ALIVE) -> dict[str, int]:
        """Per layer, the heads that keep at least ``threshold`` (S0 needs some in every layer, not just one)."""
        return {str(layer.layer_idx): sum(f >= threshold for f in layer.fractions) for layer in self.layers}

    def summary(self, threshold: float = ALIVE) -> dict:
        heads = self.heads()
        return {
            "heads": len(heads),
            "alive": self.alive(threshold),
            "alive_per_layer": self.alive_per_layer(threshold),
            "threshold": threshold,
            "max": max(heads) if heads else 0.0,
            "median": sorted(heads)[len(heads) // 2] if heads else 0.0,
            "prompt_tokens_mean": sum(self.prompt_tokens) / max(1, len(self.prompt_tokens)),
            "per_layer": {str(layer.layer_idx): [float(f"{f:.3g}") for f in layer.fractions]
                          for layer in self.layers},
            "decay_only_per_layer": {str(layer.layer_idx): [float(f"{f:.3g}") for f in layer.decay_only]
                                     for layer in self.layers},
        }

    def table(self) -> str:
        lines = [f"{'layer':>5} {'kind':<15} survival per head (after ~{self.summary()['prompt_tokens_mean']:.0f} "
                 "prompt tokens)"]
        for layer in self.layers:
            cells = " ".join(f"{f:8.2e}" for f in layer.fractions)
            gate = " ".join(f"{f:8.2e}" for f in layer.decay_only)
            lines.append(f"{layer.layer_idx:>5} {layer.kind:<15} {cells}   (gate alone: {gate})")
        s = self.summary()
        per_layer = ", ".join(f"layer {k}: {v}" for k, v in s["alive_per_layer"].items())
        lines.append(f"{s['alive']} of {s['heads']} heads keep >= {s['threshold']:.0%} of the initial state "
                     f"({per_layer})")
        return "\n".join(lines)


def _log_decay_hook(layer: RecurrentLayer, sink: dict[int, torch.Tensor]):
    """A forward hook on the projection that produces the step size; stores sum_t log(decay) per head (row 0).
    None for KDA and Mamba-1, whose decay is per channel (their ``decay_only`` is left empty)."""
    mixer = layer.module
    if layer.kind not in ("gated_deltanet", "mamba2"):
        return None

    if layer.kind == "gated_deltanet":  # g = -exp(A_log) * softplus(a + dt_bias); decay = exp(g)
        def hook(_module, _inputs, a):
            g = -mixer.A_log.float().exp() * F.softplus(a[0].float() + mixer.dt_bias)
            sink[layer.layer_idx] = g.sum(0)
        return mixer.in_proj_a.register_forward_hook(hook)

    def hook(_module, _inputs, projected):  # Mamba-2: decay = exp(A * softplus(dt + dt_bias)), dt after mup
        raw = (projected * getattr(mixer, "mup_vector", 1.0))[0, :, -mixer.num_heads:].float()  # mup: Falcon-H1
        sink[layer.layer_idx] = (-mixer.A_log.float().exp() * F.softplus(raw + mixer.dt_bias)).sum(0)
    return mixer.in_proj.register_forward_hook(hook)


def _probe_one(model: PreTrainedModel, layers: list[RecurrentLayer], ids: torch.Tensor,
               generator: torch.Generator) -> tuple[list[list[float]], list[list[float]]]:
    rows = 1 + len(layers)
    device = next(model.parameters()).device
    probes = {}
    for j, layer in enumerate(layers):
        state = torch.zeros((rows, *layer.state_shape), dtype=torch.float32)
        state[1 + j] = PROBE_SCALE * torch.randn(layer.state_shape, generator=generator)
        probes[layer.layer_idx] = state.to(device)
    start = {idx: probe.flatten(2).norm(dim=2).cpu() for idx, probe in probes.items()}  # [rows, heads]
    cache = InitialStateCache(probes, config=model.config)
    batch = ids.to(device).expand(rows, -1)
    log_decay: dict[int, torch.Tensor] = {}
    handles = [h for h in (_log_decay_hook(layer, log_decay) for layer in layers) if h is not None]
    try:
        with torch.no_grad():
            model(input_ids=batch, attention_mask=torch.ones_like(batch), cache=cache, use_cache=True)
    finally:
        for handle in handles:
            handle.remove()
    out = []
    for j, layer in enumerate(layers):
        final = cache.layers[layer.layer_idx].recurrent_states[0].float()  # the state after the prompt
        delta = (final[1 + j] - final[0]).flatten(1).norm(dim=1)
        out.append((delta.cpu() / start[layer.layer_idx][1 + j]).tolist())
    return out, [log_decay[layer.layer_idx].cpu().tolist() if layer.layer_idx in log_decay else []
                 for layer in layers]


def state_survival(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompts: list[str], *,
                   seed: int = 0) -> SurvivalReport:
    """Survival of a random initial state across each prompt, per recurrent layer and head (one prompt at a time,
    so no padding is involved). Empty for a pure Transformer."""
    layers = find_recurrent_layers(model)
    if not layers or not prompts:
        return SurvivalReport(layers=[], prompt_tokens=[])
    generator = torch.Generator().manual_seed(seed)
    logs = [[0.0] * layer.state_shape[0] for layer in layers]
    decay_logs: list[list[float]] = [[] for _ in layers]
    lengths = []
    for prompt in prompts:
        ids = torch.tensor([tokenizer(prompt, add_special_tokens=False)["input_ids"]])
        lengths.append(ids.shape[1])
        fractions, log_decays = _probe_one(model, layers, ids, generator)
        for j, (per_head, decays) in enumerate(zip(fractions, log_decays, strict=True)):
            for h, f in enumerate(per_head):
                logs[j][h] += math.log(max(f, 1e-300)) / len(prompts)
            decay_logs[j] = [acc + max(d, -690.0) / len(prompts)
                             for acc, d in zip(decay_logs[j] or [0.0] * len(decays), decays, strict=True)]
    result = [LayerSurvival(layer.layer_idx, layer.kind, [math.exp(x) for x in logs[j]],
                            [math.exp(x) for x in decay_logs[j]]) for j, layer in enumerate(layers)]
    return SurvivalReport(layers=result, prompt_tokens=lengths)


def minicode_prompts(tokenizer: PreTrainedTokenizerBase, n: int = 4, seed: int = 0) -> list[str]:
    """Typical prompts: the first ``n`` held-out minicode problems, rendered as every stage renders them."""
    from s0repro.data import render_prompt
    from s0repro.data.minicode import load_minicode

    task = load_minicode(seed)
    return [render_prompt(tokenizer, task, problem) for problem in task.eval[:n]]

