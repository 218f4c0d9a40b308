"""Generation: batched left-padded S0 equals one-at-a-time, stop criteria, sampling seeds, resumable cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from s0repro.errors import UserError
from s0repro.evaluate.generation import (
    GenerationConfig,
    _decode,
    effective_sampling,
    generate,
    stop_token_ids,
)
from s0repro.methods import build_method
from s0repro.models.cache import InitialStateCache
from s0repro.models.recurrent import RecurrentLayer, find_recurrent_layers

MESSAGES = ["hi", "def f(x):\n    return", "a much longer prompt, so the batch needs left padding"]


def render(tokenizer, texts: list[str]) -> list[str]:
    return [tokenizer.apply_chat_template([{"role": "user", "content": t}], tokenize=False,
                                          add_generation_prompt=True, enable_thinking=False) for t in texts]


def test_s0_batched_left_padding_equals_one_at_a_time_and_differs_from_base(lively_tiny) -> None:
    model, tok = lively_tiny.model, lively_tiny.tokenizer
    prompts = render(tok, MESSAGES)
    cfg = GenerationConfig(batch_size=3, max_new_tokens=8)
    base = generate(model, tok, prompts, cfg, progress=False)
    method = build_method("s0", {"alpha": 1.0})
    tuned = method.attach(model)
    try:
        gen = torch.Generator().manual_seed(0)
        with torch.no_grad():
            for p in method.trainable_parameters():
                p.copy_(torch.randn(p.shape, generator=gen))
        batched = generate(tuned, tok, prompts, cfg, method=method, progress=False)
        single = generate(tuned, tok, prompts, GenerationConfig(batch_size=1, max_new_tokens=8), method=method,
                          progress=False)
    finally:
        method.detach()
    assert batched == single
    assert batched != base
    assert len({b[0] for b in base}) > 1  # the model is not degenerate: outputs depend on the prompt


def pad_decay(layer: RecurrentLayer) -> torch.Tensor:
    """Naive reference: the per-head factor one pad position multiplies the state by, computed from the mixer's
    parameters. A pad's input is zeroed, so the step size comes from the biases alone."""
    mixer = layer.module
    with torch.no_grad():
        if layer.kind == "gated_deltanet":
            a = mixer.in_proj_a(torch.zeros(mixer.in_proj_a.in_features))
            return torch.exp(-mixer.A_log.float().exp() * torch.nn.functional.softplus(a + mixer.dt_bias))
        dt = mixer.in_proj(torch.zeros(mixer.in_proj.in_features))[-mixer.num_heads:]
        dt = torch.nn.functional.softplus(dt + mixer.dt_bias).clamp(*mixer.time_step_limit)
        return torch.exp(dt * -mixer.A_log.float().exp())


def test_pads_decay_weakens_s0_exactly_as_prepended_decay_steps_predict(tiny_hybrid) -> None:
    """eval.pads=decay (the authors' batched evaluation): the padded row equals its unpadded run started from
    S0 * decay^pads, and differs from the pad-neutral (ours) run."""
    model, tok = tiny_hybrid.model, tiny_hybrid.tokenizer
    prompts = ["def add(a, b):\n    return", "x = [1, 2, 3]\nprint(len(x))\n# the answer is"]
    step = {l.layer_idx: pad_decay(l) for l in find_recurrent_layers(model)}  # before the hooks are installed
    assert all(f.lt(1).all() for f in step.values())
    method = build_method("s0", {"alpha": 1.0})
    method.attach(model)
    try:
        gen = torch.Generator().manual_seed(1)
        with torch.no_grad():
            for p in method.trainable_parameters():
                p.copy_(30.0 * torch.randn(p.shape, generator=gen))
        enc = tok(prompts, return_tensors="pt", padding=True)
        pads = int((enc["attention_mask"][0] == 0).sum())
        assert pads >= 3  # the short first prompt is left-padded
        with torch.no_grad():
            with method.padding_hooks.pads_decay():
                decayed = model(**enc, **method.model_kwargs(2)).logits[0, -1]
            neutral = model(**enc, **method.model_kwargs(2)).logits[0, -1]
            alone = tok(prompts[:1], return_tensors="pt")
            faded = {l.layer_idx: (method.effective_state(l, training=False)
                                   * step[l.layer_idx][:, None, None] ** pads)[None] for l in method.layers}
            reference = model(**alone, cache=InitialStateCache(faded, config=model.config), use_cache=True)
        reference = reference.logits[0, -1]
        scale = reference.abs().max().item()
        assert torch.allclose(decayed, reference, atol=1e-4 * scale, rtol=0)
        assert (decayed - neutral).abs().max().item() > 1e-2 * scale  # the decay is visible: the test can fail
        cfg = GenerationConfig(batch_size=2, max_new_tokens=8, pads="decay")
        batched = generate(model, tok, prompts, cfg, method=method, progress=False)
        ours = generate(model, tok, prompts, GenerationConfig(batch_size=1, max_new_tokens=8), method=method,
                        progress=False)
        assert batched[1] == ours[1]  # the longest row has no pads: no decay
        assert method.padding_hooks.active  # switched back on after the generation
    finally:
        method.detach()


def test_stop_tokens_and_max_new_tokens(tiny) -> None:
    tok = tiny.tokenizer
    stops = stop_token_ids(tok)
    vocab = tok.get_vocab()
    assert stops == [tok.eos_token_id, vocab["<|im_end|>"]]
    ids = tok("ab", add_special_tokens=False)["input_ids"] + [vocab["<|im_end|>"]] + \
        tok("cd", add_special_tokens=False)["input_ids"]
    assert _decode(tok, ids, set(stops)) == "ab"
    out = generate(tiny.model, tok, render(tok, ["x"]), GenerationConfig(max_new_tokens=5), progress=False)
    assert len(out) == 1 and len(out[0]) == 1 and 0 < len(out[0][0]) <= 5


def test_sampling_gives_k_samples_reproducible_by_seed(lively_tiny) -> None:
    model, tok = lively_tiny.model, lively_tiny.tokenizer
    prompts = render(tok, MESSAGES[:2])
    cfg = GenerationConfig(batch_size=6, max_new_tokens=5, do_sample=True, num_samples=3)
    a = generate(model, tok, prompts, cfg, seed=1, progress=False)
    b = generate(model, tok, prompts, cfg, seed=1, progress=False)
    c = generate(model, tok, prompts, cfg, seed=2, progress=False)
    assert [len(row) for row in a] == [3, 3]
    assert a == b and a != c
    assert len(set(a[0])) > 1


def test_sampling_keeps_the_checkpoints_generation_config_and_reports_it(lively_tiny) -> None:
    """Only temperature, top_p and the budget are passed: a checkpoint's top_k = 1 makes sampling greedy."""
    model, tok = lively_tiny.model, lively_tiny.tokenizer
    prompts = render(tok, MESSAGES[:2])
    sample = GenerationConfig(batch_size=6, max_new_tokens=5, do_sample=True, num_samples=3)
    greedy = generate(model, tok, prompts, GenerationConfig(max_new_tokens=5), progress=False)
    saved = model.generation_config.top_k
    model.generation_config.top_k = 1
    try:
        sampled = generate(model, tok, prompts, sample, seed=1, progress=False)
        reported = effective_sampling(model, sample)
    finally:
        model.generation_config.top_k = saved
    assert sampled == [[g[0]] * 3 for g in greedy]
    assert (reported["top_k"], reported["temperature"], reported["top_p"]) == (1, 0.7, 0.95)
    assert (reported["do_sample"], reported["max_new_tokens"]) == (True, 5)
    unset = model.generation_config._get_default_generation_params()["top_k"]  # what generate() fills in: 50
    assert effective_sampling(model, sample)["top_k"] == (saved if saved is not None else unset) != 0  # not forced 0


def test_interrupted_generation_resumes_where_it_stopped(lively_tiny, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    model, tok = lively_tiny.model, lively_tiny.tokenizer
    prompts = render(tok, MESSAGES + ["one more"])
    cfg = GenerationConfig(batch_size=2, max_new_tokens=5)
    cache = tmp_path / "gen.jsonl"
    full = generate(model, tok, prompts, cfg, cache_path=cache, progress=False)
    lines = cache.read_text().splitlines()
    assert json.loads(lines[0])["kind"] == "header" and len(lines) == 1 + len(prompts)
    # interruption: the second batch was being written when the process died
    cache.write_text("\n".join(lines[:3]) + "\n" + lines[3][:10])
    calls = []
    real = type(model).generate

    def counting(self, *args, **kwargs):
        calls.append(kwargs["input_ids"].shape[0])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(type(model), "generate", counting)
    resumed = generate(model, tok, prompts, cfg, cache_path=cache, progress=False)
    assert resumed == full and calls == [2]  # only the unfinished batch ran again
    again = generate(model, tok, prompts, cfg, cache_path=cache, progress=False)
    assert again == full and calls == [2]
    with pytest.raises(UserError, match="another model, method, config"):
        generate(model, tok, prompts, GenerationConfig(batch_size=2, max_new_tokens=6), cache_path=cache,
                 progress=False)


def test_bad_config_is_a_user_error() -> None:
    with pytest.raises(UserError):
        GenerationConfig(padding_side="middle")
    with pytest.raises(UserError):
        GenerationConfig(batch_size=0)
    with pytest.raises(UserError, match="pads"):
        GenerationConfig(pads="fade")


def test_the_progress_bar_is_labelled_by_its_phase(tiny, capsys: pytest.CaptureFixture) -> None:
    tok = tiny.tokenizer
    generate(tiny.model, tok, render(tok, ["x"]), GenerationConfig(max_new_tokens=2), desc="sampling k=4: generate")
    assert "sampling k=4: generate:" in capsys.readouterr().err
