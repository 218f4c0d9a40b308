"""Which model types S0 works on: seven checks on a tiny random model of each, printed as one table.

Run: ``python -m s0repro.tools.support`` (about a minute on two CPU cores). A row per supported model type with its
mixer kind, the per-layer state shape and a mark per check; then one line per refused type with the reason. The
same table is in ``docs/architectures.md`` (a test keeps the two equal). Checks, each on prompts of two lengths:

attach   S0 attaches, with one state of the layer's shape per recurrent layer;
zero     a zero S0 gives the base model's logits exactly (at every real position, bit for bit);
grad     the gradient reaching S0 matches a central finite difference (2 %);
padding  left-padded batched greedy generation gives the tokens of one prompt at a time;
reload   save, then load into a freshly built model, gives the same tokens;
offset   the state offset: zero is the base model exactly, non-zero moves the logits, its gradient matches a
         finite difference;
bank     an S0 bank with two tasks in one left-padded batch gives each row its single-task tokens.
Token checks also compare the logits each token was chosen from (relative 1e-4), since a random tiny model's
greedy tokens alone rarely move.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import torch
from transformers import AutoModelForCausalLM, PreTrainedModel, PreTrainedTokenizerBase

from s0repro.methods import build_method
from s0repro.methods.bank import S0Bank
from s0repro.methods.layer_state import LayerStateMethod
from s0repro.models.recurrent import REFUSED, SUPPORTED_TYPES, find_recurrent_layers
from s0repro.models.support import support_config
from s0repro.models.tiny import init_long_memory
from s0repro.models.tokenizer import build_char_tokenizer

CHECKS = ("attach", "zero", "grad", "padding", "reload", "offset", "bank")
PROMPTS = ("def add(a, b):\n    return", "x = [1, 2]\n#")
NEW_TOKENS = 4
STATE_SCALE = 1.0  # random S0 entries ~ N(0, 1): moves a tiny model's logits well past float noise
FD_EPS, FD_REL = 1e-2, 2e-2


@dataclass
class Row:
    model_type: str
    kind: str
    shape: str
    passed: dict[str, bool]


def build(model_type: str, tokenizer: PreTrainedTokenizerBase, seed: int = 0, **overrides) -> PreTrainedModel:
    """A frozen fp32 tiny model of ``model_type``, deterministic in ``seed`` (``overrides``: config keywords)."""
    config = support_config(model_type, vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id,
                            eos_token_id=tokenizer.eos_token_id, **overrides)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    init_long_memory(model, torch.Generator().manual_seed(seed))
    return model.requires_grad_(False).eval()


def _randomise(method: LayerStateMethod, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in method.trainable_parameters():
            p.copy_(STATE_SCALE * torch.randn(p.shape, generator=gen))


@dataclass
class Greedy:
    tokens: torch.Tensor  # [batch, NEW_TOKENS]
    scores: torch.Tensor  # [batch, NEW_TOKENS, vocab]: the logits each token was chosen from

    def row(self, i: int) -> Greedy:
        return Greedy(self.tokens[i:i + 1], self.scores[i:i + 1])

    def same(self, other: Greedy) -> bool:
        """Same tokens, and the same logits up to float32 noise relative to their scale."""
        scale = other.scores.abs().max().item()
        return torch.equal(self.tokens, other.tokens) and torch.allclose(self.scores, other.scores,
                                                                         atol=1e-4 * scale, rtol=0)


def _greedy(model: PreTrainedModel, enc: dict, extra: dict) -> Greedy:
    out = model.generate(**enc, **extra, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False,
                         return_dict_in_generate=True, output_scores=True)
    scores = torch.stack(out.scores, dim=1).nan_to_num(posinf=0.0, neginf=0.0)  # min_new_tokens masks EOS with -inf
    return Greedy(out.sequences[:, -NEW_TOKENS:], scores)


def _fd_agrees(model: PreTrainedModel, enc: dict, method: LayerStateMethod, kwargs: Callable[[], dict]) -> bool:
    """Analytic vs central finite-difference derivative of a fixed logit functional along a random direction."""
    weights = torch.randn(model.config.vocab_size, generator=torch.Generator().manual_seed(2))

    def loss() -> torch.Tensor:
        return (model(**enc, **kwargs()).logits.double().log_softmax(-1) * weights.double()).sum()

    params = method.trainable_parameters()
    for p in params:
        p.grad = None
    loss().backward()
    gen = torch.Generator().manual_seed(3)
    directions = [torch.randn(p.shape, generator=gen) for p in params]
    analytic = sum((p.grad.double() * d.double()).sum().item() for p, d in zip(params, directions, strict=True))
    with torch.no_grad():
        for p, d in zip(params, directions, strict=True):
            p.add_(FD_EPS * d)
        plus = loss().item()
        for p, d in zip(params, directions, strict=True):
            p.sub_(2 * FD_EPS * d)
        minus = loss().item()
        for p, d in zip(params, directions, strict=True):
            p.add_(FD_EPS * d)
    numeric = (plus - minus) / (2 * FD_EPS)
    return abs(analytic) > 1e-6 and abs(numeric - analytic) <= FD_REL * abs(analytic)


def run_checks(model_type: str) -> Row:
    """All seven checks on a tiny ``model_type``; a check that raises counts as failed."""
    tok = build_char_tokenizer()
    model = build(model_type, tok)
    layers = find_recurrent_layers(model)
    enc = tok(list(PROMPTS), return_tensors="pt", padding=True)
    real = enc["attention_mask"].bool()
    singles = [tok([p], return_tensors="pt") for p in PROMPTS]
    with torch.no_grad():
        base = model(**enc).logits
    passed: dict[str, bool] = {}

    def check(name: str, fn: Callable[[], bool]) -> None:
        try:
            passed[name] = bool(fn())
        except Exception as err:  # noqa: BLE001 - a check that raises is a failed check, shown in the table
            print(f"{model_type} {name}: {type(err).__name__}: {err}", file=sys.stderr)
            passed[name] = False

    s0 = build_method("s0", {"alpha": 1.0, "alpha_mode": "train_and_inference"})
    check("attach", lambda: s0.attach(model) is model and [tuple(p.shape) for p in s0.trainable_parameters()]
          == [l.state_shape for l in layers])

    def zero() -> bool:
        with torch.no_grad():
            tuned = model(**enc, **s0.model_kwargs(2)).logits[real]
        # float32 noise bound relative to the logits' scale (the scan's zero start and a given zero state may round
        # differently)
        return torch.allclose(tuned, base[real], atol=1e-6 * base[real].abs().max().item(), rtol=0)

    check("zero", zero)
    _randomise(s0, seed=1)
    check("grad", lambda: _fd_agrees(model, singles[0], s0, lambda: s0.model_kwargs(1, training=True)))

    def padding() -> bool:
        batched = _greedy(model, enc, s0.model_kwargs(2))
        moved = not batched.same(_greedy(model, enc, {}))  # S0 must matter for the comparison to mean anything
        return moved and all(batched.row(i).same(_greedy(model, one, s0.model_kwargs(1)))
                             for i, one in enumerate(singles))

    check("padding", padding)

    def reload() -> bool:
        with tempfile.TemporaryDirectory() as tmp:
            s0.save(tmp)
            fresh = build(model_type, tok)
            other = build_method("s0", {"alpha": 1.0, "alpha_mode": "train_and_inference"})
            other.attach(fresh)
            other.load(tmp)
            same = _greedy(fresh, enc, other.model_kwargs(2)).same(_greedy(model, enc, s0.model_kwargs(2)))
            other.detach()
            return same

    check("reload", reload)

    def bank() -> bool:
        with tempfile.TemporaryDirectory() as tmp:
            s0.save(f"{tmp}/a")
            alone_a = _greedy(model, singles[0], s0.model_kwargs(1))
            _randomise(s0, seed=4)
            s0.save(f"{tmp}/b")
            alone_b = _greedy(model, singles[1], s0.model_kwargs(1))
            s0.detach()
            states = S0Bank(model)
            try:
                states.load("a", f"{tmp}/a")
                states.load("b", f"{tmp}/b")
                mixed = _greedy(model, enc, states.model_kwargs(["a", "b"]))
            finally:
                states.close()
            return mixed.row(0).same(alone_a) and mixed.row(1).same(alone_b)

    check("bank", bank)
    if s0.model is not None:
        s0.detach()

    def offset() -> bool:
        method = build_method("state_offset")
        method.attach(model)
        try:
            with torch.no_grad():
                exact = torch.equal(model(**enc).logits[real], base[real])
            _randomise(method, seed=5)
            with torch.no_grad():
                moved = (model(**enc).logits[real] - base[real]).abs().max().item() > 1e-3
            return exact and moved and _fd_agrees(model, singles[0], method, dict)
        finally:
            method.detach()

    check("offset", offset)
    kinds = sorted({l.kind for l in layers})
    shapes = sorted({"x".join(map(str, l.state_shape)) for l in layers})
    return Row(model_type, ",".join(kinds) or "-", ",".join(shapes) or "-", {c: passed.get(c, False) for c in CHECKS})


def render(rows: list[Row]) -> str:
    """The table (markdown, so docs/architectures.md can hold it verbatim) and the refusals."""
    head = ["model type", "kind", "state / layer", *CHECKS]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for row in rows:
        marks = ["pass" if row.passed[c] else "FAIL" for c in CHECKS]
        lines.append("| " + " | ".join([row.model_type, row.kind, row.shape, *marks]) + " |")
    lines.append("")
    lines.extend(f"- {t}: refused, {why}" for t, why in sorted(REFUSED.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    types = args or list(SUPPORTED_TYPES)
    unknown = [t for t in types if t not in SUPPORTED_TYPES]
    if unknown:
        print(f"unsupported model types {unknown}; supported: {', '.join(SUPPORTED_TYPES)}", file=sys.stderr)
        return 2
    rows = [run_checks(t) for t in types]
    print(render(rows))
    return 0 if all(all(r.passed.values()) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
