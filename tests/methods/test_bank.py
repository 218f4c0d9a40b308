"""The S0 bank on both hybrid families: each row of a mixed-task batch equals that row's single-task run."""

from __future__ import annotations

import pytest
import torch

from s0repro.errors import UserError
from s0repro.methods import ArtefactMismatchError, build_method
from s0repro.methods.bank import S0Bank
from tests.conftest import model_config, tiny

PROMPTS = ["def add(a, b):\n    return", "x = [1, 2, 3]\nprint(len(x))\n# the answer is", "for i in"]
NEW = 10
GREEDY = dict(max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False)


@pytest.fixture(params=["tiny_gdn", "tiny_mamba2"])
def lively_hybrid(request):
    """Each hybrid family, initialised wide (0.1, as tiny_mamba2.yaml already is) so that different initial states
    make greedy decoding pick different tokens: at the default 0.02 tiny_gdn emits one token whatever its state."""
    return tiny(request.param, dims={**model_config(request.param).dims, "initializer_range": 0.1})


def save_task(loaded, directory, seed: int, scale: float = 30.0, **cfg) -> None:
    """A random non-zero S0 state saved as an artefact (as training would leave one)."""
    method = build_method("s0", {"alpha": 1.0, **cfg})
    method.attach(loaded.model)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in method.trainable_parameters():
            p.copy_(scale * torch.randn(p.shape, generator=gen))
    method.save(directory)
    method.detach()


def single_run(loaded, prompt: str, task_dir, **kw) -> torch.Tensor:
    """The reference: one prompt alone (no padding), its task loaded into a single S0 method (None: base)."""
    enc = loaded.tokenizer([prompt], return_tensors="pt")
    if task_dir is None:
        with torch.no_grad():
            return loaded.model.generate(**enc, **GREEDY, **kw)[0, -NEW:]
    method = build_method("s0", {"alpha": 1.0})
    method.attach(loaded.model)
    try:
        method.load(task_dir)
        with torch.no_grad():
            return loaded.model.generate(**enc, **GREEDY, **method.model_kwargs(1), **kw)[0, -NEW:]
    finally:
        method.detach()


def test_each_row_equals_its_single_task_run(lively_hybrid, tmp_path):
    tiny_hybrid = lively_hybrid
    dirs = {"a": tmp_path / "a", "b": tmp_path / "b", None: None}
    save_task(tiny_hybrid, dirs["a"], seed=1)
    save_task(tiny_hybrid, dirs["b"], seed=2)
    refs = {(p, t): single_run(tiny_hybrid, p, d) for p in PROMPTS for t, d in dirs.items()}
    for p in PROMPTS:  # the test can tell rows apart: on every prompt the three tasks generate different tokens
        outs = [refs[(p, t)] for t in dirs]
        assert all(not torch.equal(x, y) for i, x in enumerate(outs) for y in outs[i + 1:]), p

    bank = S0Bank(tiny_hybrid.model)
    bank.load("a", dirs["a"])
    bank.load("b", dirs["b"])
    rows = [(PROMPTS[0], "b"), (PROMPTS[1], None), (PROMPTS[2], "a"), (PROMPTS[0], "a"), (PROMPTS[1], "b"),
            (PROMPTS[2], None), (PROMPTS[1], "a"), (PROMPTS[2], "b")]
    enc = tiny_hybrid.tokenizer([p for p, _ in rows], return_tensors="pt", padding=True)
    assert (enc["attention_mask"][:, 0] == 0).sum() >= 4  # left padding on the shorter prompts
    with torch.no_grad():
        out = tiny_hybrid.model.generate(**enc, **GREEDY, **bank.model_kwargs([t for _, t in rows]))[:, -NEW:]
    for i, (prompt, task) in enumerate(rows):
        assert torch.equal(out[i], refs[(prompt, task)]), (i, task)


def test_saved_alpha_normalisation_and_layer_subset_are_kept(lively_hybrid, tmp_path):
    tiny_hybrid = lively_hybrid
    saved = {"alpha": 20.0, "normalize": True}  # ||state||_F = 20 in the one layer: a visible effect
    probe = build_method("s0")
    probe.attach(tiny_hybrid.model)
    saved["layers"] = [probe.layers[-1].layer_idx]  # only the last recurrent layer
    probe.detach()
    save_task(tiny_hybrid, tmp_path / "sub", seed=3, **saved)

    bank = S0Bank(tiny_hybrid.model)
    bank.load("sub", tmp_path / "sub")
    enc = tiny_hybrid.tokenizer(PROMPTS[:2], return_tensors="pt", padding=True)
    with torch.no_grad():
        mixed = tiny_hybrid.model(**enc, **bank.model_kwargs(["sub", None])).logits[:, -1]
    bank.close()

    single = build_method("s0", saved)
    single.attach(tiny_hybrid.model)
    single.load(tmp_path / "sub")
    alone = [tiny_hybrid.tokenizer([p], return_tensors="pt") for p in PROMPTS[:2]]
    with torch.no_grad():
        want = tiny_hybrid.model(**alone[0], **single.model_kwargs(1)).logits[0, -1]
        single.detach()
        base = [tiny_hybrid.model(**a).logits[0, -1] for a in alone]
    tol = 1e-5 * want.abs().max().item()
    assert (want - base[0]).abs().max().item() > 1e3 * tol  # the subset state does move this prompt's logits
    assert torch.allclose(mixed[0], want, atol=tol, rtol=0)
    assert torch.allclose(mixed[1], base[1], atol=tol, rtol=0)


def test_bad_artefacts_and_task_names_are_one_clear_error(tmp_path):
    gdn, mamba = tiny("tiny_gdn"), tiny("tiny_mamba2")
    save_task(gdn, tmp_path / "gdn", seed=1)
    bank = S0Bank(mamba.model)
    with pytest.raises(ArtefactMismatchError, match="made for qwen3_5.*attached model is falcon_h1"):
        bank.load("x", tmp_path / "gdn")
    with pytest.raises(ArtefactMismatchError, match="holds no S0 state"):
        bank.load("x", tmp_path / "missing")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "s0_config.json").write_text("{not json")
    with pytest.raises(UserError, match="not an S0 artefact"):
        bank.load("x", tmp_path / "broken")
    assert bank.tasks == []  # nothing half-loaded
    with pytest.raises(UserError, match=r"\['x'\] are not in the bank"):
        bank.model_kwargs([None, "x"])
    with pytest.raises(UserError, match="task_ids is empty"):
        bank.model_kwargs([])
    other = build_method("s0")
    other.attach(gdn.model)
    with pytest.raises(UserError, match="not attached to this bank's model"):
        bank.add("y", other)
    offset = build_method("state_offset")
    offset.attach(mamba.model)
    with pytest.raises(UserError, match="holds S0 states, not StateOffsetMethod"):
        bank.add("z", offset)
    offset.detach()
    with pytest.raises(UserError, match="non-empty string"):
        S0Bank(gdn.model).add("", other)


def test_reloading_a_name_switches_its_task_and_close_restores_the_model(tiny_gdn, tmp_path):
    save_task(tiny_gdn, tmp_path / "a", seed=1)
    save_task(tiny_gdn, tmp_path / "b", seed=2)
    enc = tiny_gdn.tokenizer(PROMPTS[:2], return_tensors="pt", padding=True)
    with torch.no_grad():
        base = tiny_gdn.model(**enc).logits
    bank = S0Bank(tiny_gdn.model)

    def logits(task_ids):
        with torch.no_grad():
            return tiny_gdn.model(**enc, **bank.model_kwargs(task_ids)).logits

    bank.load("t", tmp_path / "b")
    want_b = logits(["t", "t"])
    bank.load("t", tmp_path / "a")
    bank.load("other", tmp_path / "b")
    assert bank.tasks == ["t", "other"]
    assert not torch.equal(logits(["t", "t"]), want_b)
    assert torch.equal(logits(["other", "other"]), want_b)
    model = bank.close()
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    with torch.no_grad():
        assert torch.equal(model(**enc).logits, base)
