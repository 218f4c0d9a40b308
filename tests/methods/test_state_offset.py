"""Per-step state offset on the tiny GatedDeltaNet and Mamba-2 models (torch fallback paths).

The read-out terms are checked against naive per-token recurrences written here (o_t = (S_t + dS)^T q_t,
y_t = C_t (h_t + h') + D x_t), and so is the other reading, ``where=recurrence`` (S_t = step(S_{t-1}) + dS, output
and handed-on state); the wiring is checked on whole models: zero offset is the base model bit for bit,
prefill and every decode step see the same offset (generate's scores equal a teacher-forced forward), the patch
is gone after detach.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import yaml
from transformers import AutoModelForCausalLM
from transformers.models.falcon_h1 import modeling_falcon_h1 as falcon
from transformers.models.qwen3_5 import modeling_qwen3_5 as qwen

from s0repro.errors import UserError
from s0repro.methods import ArtefactMismatchError, InferenceCost, StateOffsetConfig, build_method
from s0repro.methods.offset_recurrence import gdn_offset_recurrence, mamba2_offset_weights
from s0repro.methods.state_offset import gdn_offset_readout, mamba2_offset_readout, patched_modules
from s0repro.models import ModelConfig, NoRecurrentLayersError, load_model
from s0repro.models.architectures import build_config
from s0repro.train import TrainConfig, TrainExample, train

MODELS = ["tiny_gdn", "tiny_mamba2"]


def _load(name: str):
    with open(f"conf/model/{name}.yaml") as f:
        return load_model(ModelConfig(**{**yaml.safe_load(f), "device": "cpu"}))


def _ids(tokenizer, text: str = "def add(a, b):\n    return a + b") -> dict:
    return dict(tokenizer([text], return_tensors="pt"))


def _randomise(method, std: float = 0.3, seed: int = 0) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in method.trainable_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * std)


def _gdn_inputs(T: int) -> tuple[torch.Tensor, ...]:
    """q, k, v, log decay, beta, S0 and dS for a 2-batch, 2-head GatedDeltaNet scan of T tokens (seeded by T)."""
    g = torch.Generator().manual_seed(T)
    B, H, K, V = 2, 2, 8, 4
    q, k = torch.randn(B, T, H, K, generator=g), torch.randn(B, T, H, K, generator=g)
    v = torch.randn(B, T, H, V, generator=g)
    decay = -torch.rand(B, T, H, generator=g) * 0.2
    beta = torch.rand(B, T, H, generator=g)
    return q, k, v, decay, beta, torch.randn(B, H, K, V, generator=g), torch.randn(H, K, V, generator=g)


def _mamba2_inputs(T: int) -> tuple[torch.Tensor, ...]:
    """x, raw dt, dt bias, A, D, B and C (2 groups of 4 heads), h0 and h' for a Mamba-2 scan of T tokens."""
    g = torch.Generator().manual_seed(T)
    b, H, P, N, G = 2, 4, 3, 5, 2
    x = torch.randn(b, T, H, P, generator=g)
    dt_raw, dt_bias = torch.randn(b, T, H, generator=g), torch.randn(H, generator=g) * 0.1
    A, D = -torch.rand(H, generator=g) - 0.1, torch.randn(H, generator=g)
    Bg, Cg = torch.randn(b, T, G, N, generator=g), torch.randn(b, T, G, N, generator=g)
    return x, dt_raw, dt_bias, A, D, Bg, Cg, torch.randn(b, H, P, N, generator=g), torch.randn(H, P, N, generator=g)


# -- the read-out terms against naive recurrences ----------------------------------------------------------------------
def _naive_gdn(q, k, v, g, beta, s0, ds, where="readout"):
    """Per-token gated delta rule with the offset in the read-out, or (``recurrence``) added to the state every step.
    q, k [B,T,H,K]; v [B,T,H,V]; s0, ds [.., H,K,V]. Returns the outputs (and, for ``recurrence``, the last state)."""
    q = F.normalize(q.float(), dim=-1, eps=0) * q.shape[-1] ** -0.5  # eps differs from the kernel's 1e-6 only at 0
    k = F.normalize(k.float(), dim=-1, eps=0)
    state, outs = s0.clone(), []
    for t in range(q.shape[1]):
        state = state * g[:, t].exp()[..., None, None]
        kv = torch.einsum("bhkv,bhk->bhv", state, k[:, t])
        state = state + torch.einsum("bhk,bhv->bhkv", k[:, t], beta[:, t, :, None] * (v[:, t] - kv))
        if where == "recurrence":
            state = state + ds
        outs.append(torch.einsum("bhkv,bhk->bhv", state + (ds if where == "readout" else 0), q[:, t]))
    return torch.stack(outs, dim=1) if where == "readout" else (torch.stack(outs, dim=1), state)


@pytest.mark.parametrize("T", [1, 5, 70], ids=lambda t: f"T{t}")
def test_gdn_recurrence_terms_match_naive_recurrence(T: int) -> None:
    """where=recurrence: base scan + the accumulated offset's terms = the naive rule with dS added every step, for
    the outputs and for the state handed on; it is not the read-out reading."""
    q, k, v, decay, beta, s0, ds = _gdn_inputs(T)
    base, last = qwen.torch_chunk_gated_delta_rule.__wrapped__(
        q, k, v, g=decay, beta=beta, initial_state=s0, output_final_state=True, use_qk_l2norm_in_kernel=True)
    extra, carried = gdn_offset_recurrence(q, k, decay, beta, ds, qk_l2norm=True)
    want, want_state = _naive_gdn(q, k, v, decay, beta, s0, ds, where="recurrence")
    torch.testing.assert_close(base + extra, want, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(last + carried, want_state, rtol=1e-4, atol=1e-4)
    if T > 1:  # from step 2 on the accumulated offset differs from dS: the two readings part
        readout = _naive_gdn(q, k, v, decay, beta, s0, ds)
        assert (readout[:, 1:] - want[:, 1:]).abs().max() > 1e-2


@pytest.mark.parametrize("T", [1, 5, 70], ids=lambda t: f"T{t}")
def test_gdn_readout_term_matches_naive_recurrence(T: int) -> None:
    q, k, v, decay, beta, s0, ds = _gdn_inputs(T)
    base, _ = qwen.torch_chunk_gated_delta_rule.__wrapped__(
        q, k, v, g=decay, beta=beta, initial_state=s0, output_final_state=True, use_qk_l2norm_in_kernel=True)
    ours = base + gdn_offset_readout(q, ds, qk_l2norm=True)
    torch.testing.assert_close(ours, _naive_gdn(q, k, v, decay, beta, s0, ds), rtol=1e-4, atol=1e-4)


def test_gdn_readout_repeats_key_heads_for_grouped_values() -> None:
    g = torch.Generator().manual_seed(1)
    q = torch.randn(1, 3, 2, 4, generator=g)  # 2 key heads
    ds = torch.randn(4, 4, 5, generator=g)  # 4 value heads: heads 0,1 read key head 0; heads 2,3 key head 1
    out = gdn_offset_readout(q, ds, qk_l2norm=False)
    expected = torch.einsum("bthk,hkv->bthv", q.repeat_interleave(2, dim=2) * 0.5, ds)
    torch.testing.assert_close(out, expected)


def _naive_mamba2(x, dt, A, B, C, D, h0, hp, where="readout"):
    """h_t = exp(dt_t A) h_{t-1} + dt_t x_t B_t^T; y_t = (h_t + h') C_t + D x_t. x [b,T,H,P]; B, C [b,T,H,N].
    ``recurrence``: h_t gets + h' every step and y_t = h_t C_t + D x_t; returns (outputs, last state) then."""
    h, ys = h0.clone(), []
    for t in range(x.shape[1]):
        h = h * (dt[:, t] * A).exp()[..., None, None] + torch.einsum("bh,bhp,bhn->bhpn", dt[:, t], x[:, t], B[:, t])
        if where == "recurrence":
            h = h + hp
        ys.append(torch.einsum("bhpn,bhn->bhp", h + (hp if where == "readout" else 0), C[:, t]) + D[:, None] * x[:, t])
    return torch.stack(ys, dim=1) if where == "readout" else (torch.stack(ys, dim=1), h)


@pytest.mark.parametrize("T", [3, 20], ids=lambda t: f"T{t}")
def test_mamba2_recurrence_terms_match_naive_recurrence(T: int) -> None:
    x, dt_raw, dt_bias, A, D, Bg, Cg, h0, hp = _mamba2_inputs(T)
    want, want_state = _naive_mamba2(x, F.softplus(dt_raw + dt_bias), A, Bg.repeat_interleave(2, 2),
                                     Cg.repeat_interleave(2, 2), D, h0, hp, where="recurrence")
    y, last = falcon.mamba2_chunk_scan.__wrapped__(x, dt_raw, A, Bg, Cg, chunk_size=8, D=D, dt_bias=dt_bias,
                                                   initial_states=h0, dt_softplus=True, return_final_states=True)
    c = mamba2_offset_weights(dt_raw, A, dt_bias=dt_bias, dt_softplus=True, dt_limit=(0.0, float("inf")))
    torch.testing.assert_close(y + c[..., None] * mamba2_offset_readout(Cg, hp), want, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(last + c[:, -1, :, None, None] * hp, want_state, rtol=1e-4, atol=1e-4)
    assert c[:, 1:].gt(1).all()  # dS accumulates through the decay: more than one copy after the first step


@pytest.mark.parametrize("T", [3, 20], ids=lambda t: f"T{t}")
def test_mamba2_chunk_and_step_terms_match_naive_recurrence(T: int) -> None:
    x, dt_raw, dt_bias, A, D, Bg, Cg, h0, hp = _mamba2_inputs(T)
    P, N = hp.shape[1:]
    dt = F.softplus(dt_raw + dt_bias)
    expected = _naive_mamba2(x, dt, A, Bg.repeat_interleave(2, 2), Cg.repeat_interleave(2, 2), D, h0, hp)

    y = falcon.mamba2_chunk_scan.__wrapped__(x, dt_raw, A, Bg, Cg, chunk_size=8, D=D, dt_bias=dt_bias,
                                            initial_states=h0, dt_softplus=True)
    torch.testing.assert_close(y + mamba2_offset_readout(Cg, hp), expected, rtol=1e-4, atol=1e-4)

    state, steps = h0.clone(), []
    for t in range(T):  # the decode path, one token at a time, as the mixer calls it
        out = falcon.mamba2_selective_state_update.__wrapped__(
            state, x[:, t], dt_raw[:, t, :, None].expand(-1, -1, P), A[:, None, None].expand(-1, P, N),
            Bg[:, t], Cg[:, t], D[:, None].expand(-1, P), dt_bias=dt_bias[:, None].expand(-1, P), dt_softplus=True)
        steps.append(out + mamba2_offset_readout(Cg[:, t], hp))
    torch.testing.assert_close(torch.stack(steps, 1), expected, rtol=1e-4, atol=1e-4)


# -- the method on whole models ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", MODELS)
def test_zero_offset_is_base_and_detach_restores(name: str) -> None:
    loaded = _load(name)
    model, ids = loaded.model, _ids(loaded.tokenizer)
    originals = {n: getattr(qwen, n) for n in ("torch_chunk_gated_delta_rule", "torch_recurrent_gated_delta_rule")}
    originals |= {n: getattr(falcon, n) for n in ("mamba2_chunk_scan", "mamba2_selective_state_update")}
    with torch.no_grad():
        base = model(**ids).logits
        method = build_method("state_offset", {})
        tuned = method.attach(model)
        assert method.inference_cost is InferenceCost.PER_STEP
        assert torch.equal(tuned(**ids).logits, base)
        _randomise(method)
        assert (tuned(**ids).logits - base).abs().max() > 1e-3
        assert method.detach() is model
        assert torch.equal(model(**ids).logits, base)
    assert patched_modules() == []
    assert all(getattr(qwen if "delta" in n else falcon, n) is fn for n, fn in originals.items())
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


@pytest.mark.parametrize("where", ["readout", "recurrence"])
@pytest.mark.parametrize("name", MODELS)
def test_offset_applies_in_prefill_and_every_decode_step(name: str, where: str) -> None:
    """Decode steps (the single-step scan) continue exactly where a teacher-forced forward (the chunked scan) is,
    for either reading: under ``recurrence`` the handed-on state carries the accumulated dS."""
    loaded = _load(name)
    method = build_method("state_offset", {"where": where})
    model = method.attach(loaded.model)
    _randomise(method)
    ids = _ids(loaded.tokenizer, "x = 1")
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=6, do_sample=False, output_scores=True,
                             return_dict_in_generate=True, pad_token_id=loaded.tokenizer.pad_token_id)
        full = model(input_ids=out.sequences).logits
    start = ids["input_ids"].shape[1] - 1
    for step, scores in enumerate(out.scores):
        torch.testing.assert_close(scores, full[:, start + step], rtol=1e-4, atol=1e-4)
    method.detach()


@pytest.mark.parametrize("name", MODELS)
def test_one_step_changes_only_the_offsets_and_training_lowers_loss(name: str) -> None:
    loaded = _load(name)
    before = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    method = build_method("state_offset", {"l2": 0.0})
    method.attach(loaded.model)
    examples = [TrainExample(prompt="Q: 2+2?\nA:", completion=" 4 4 4 4 4 4")]
    result = train(method, loaded.tokenizer, examples, TrainConfig(steps=6, lr=0.05, progress=False))
    assert result.losses[-1] < result.losses[0] - 0.05
    assert all(p.abs().sum() > 0 for p in method.trainable_parameters())
    assert result.trainable_params == sum(l.numel for l in method.layers)
    after = loaded.model.state_dict()
    assert all(torch.equal(after[k], v) for k, v in before.items())
    method.detach()


@pytest.mark.parametrize("name", MODELS)
def test_save_load_round_trip_gives_identical_logits(name: str, tmp_path) -> None:
    loaded = _load(name)
    ids = _ids(loaded.tokenizer)
    method = build_method("state_offset", {})
    model = method.attach(loaded.model)
    _randomise(method, seed=3)
    with torch.no_grad():
        tuned = model(**ids).logits
    method.save(tmp_path)
    method.detach()
    fresh = build_method("state_offset", {})
    model = fresh.attach(_load(name).model)
    fresh.load(tmp_path)
    with torch.no_grad():
        assert torch.equal(model(**ids).logits, tuned)
    fresh.detach()


def test_artefact_for_another_model_is_refused(tmp_path) -> None:
    method = build_method("state_offset", {})
    method.attach(_load("tiny_gdn").model)
    method.save(tmp_path)
    method.detach()
    other = build_method("state_offset", {})
    other.attach(_load("tiny_mamba2").model)
    with pytest.raises(ArtefactMismatchError, match="qwen3_5"):
        other.load(tmp_path)
    other.detach()


def test_two_attached_models_share_the_patch_until_the_last_detach() -> None:
    a, b = build_method("state_offset", {}), build_method("state_offset", {})
    gdn_a, gdn_b = _load("tiny_gdn"), _load("tiny_gdn")
    a.attach(gdn_a.model)
    b.attach(gdn_b.model)
    _randomise(a)
    ids = _ids(gdn_a.tokenizer)
    a.detach()
    assert patched_modules() == ["transformers.models.qwen3_5.modeling_qwen3_5"]
    with torch.no_grad():  # b's offsets are still zero: its model is the base model
        assert torch.equal(gdn_b.model(**ids).logits, _load("tiny_gdn").model(**ids).logits)
    b.detach()
    assert patched_modules() == []


def test_layers_option_and_pure_transformer_refusal() -> None:
    method = build_method("state_offset", StateOffsetConfig(layers=[1]))
    method.attach(_load("tiny_gdn").model)
    assert [l.layer_idx for l in method.layers] == [1]
    method.detach()
    with pytest.raises(NoRecurrentLayersError, match="pure Transformer"):
        build_method("state_offset", {}).attach(_load("tiny_transformer").model)


@pytest.mark.parametrize(("name", "expected"), [("qwen3_5_4b", 12_582_912), ("falcon_h1_7b", 34_603_008)])
def test_real_architectures_get_s0_sized_offsets(name: str, expected: int) -> None:
    """Same budget as S0 (paper: 12.6M Qwen3.5-4B; 34.6M Falcon-H1-7B), checked on the meta device."""
    with open(f"conf/model/{name}.yaml") as f:
        cfg = yaml.safe_load(f)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(build_config(cfg["arch"], cfg["dims"]))
    method = build_method("state_offset", {})
    method.attach(model)
    assert method.num_trainable_parameters() == expected
    method.detach()


# -- the kernel paths (fla / mamba-ssm) get the same term: CUDA with the gpu extra only ---------------------------------
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA and the gpu extra")


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("T", [1, 100], ids=lambda t: f"T{t}")
def test_kernel_scan_plus_term_matches_naive_recurrence_on_cuda(T: int) -> None:
    g = torch.Generator().manual_seed(T)
    B, Hk, Hv, K, V = 1, 2, 4, 32, 32

    def rnd(*shape):
        return torch.randn(*shape, generator=g).cuda()

    q, k, v = rnd(B, T, Hk, K), rnd(B, T, Hk, K), rnd(B, T, Hv, V)
    decay, beta = -torch.rand(B, T, Hv, generator=g).cuda() * 0.2, torch.rand(B, T, Hv, generator=g).cuda()
    s0, ds = rnd(B, Hv, K, V), rnd(Hv, K, V)
    scan = qwen.torch_recurrent_gated_delta_rule if T == 1 else qwen.torch_chunk_gated_delta_rule
    out, _ = scan(q, k, v, g=decay, beta=beta, initial_state=s0, output_final_state=True, use_qk_l2norm_in_kernel=True)
    expected = _naive_gdn(q.repeat_interleave(2, 2), k.repeat_interleave(2, 2), v, decay, beta, s0, ds)
    torch.testing.assert_close(out.float() + gdn_offset_readout(q, ds, qk_l2norm=True), expected, rtol=2e-2, atol=2e-2)


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("name", MODELS)
def test_offset_in_prefill_and_decode_on_cuda(name: str) -> None:
    with open(f"conf/model/{name}.yaml") as f:
        loaded = load_model(ModelConfig(**{**yaml.safe_load(f), "device": "cuda"}))
    ids = {k: v.cuda() for k, v in _ids(loaded.tokenizer, "def f(x):\n    return x * 2\n" * 4).items()}
    with torch.no_grad():
        base = loaded.model(**ids).logits
        method = build_method("state_offset", {})
        model = method.attach(loaded.model)
        torch.testing.assert_close(model(**ids).logits, base, rtol=0, atol=0)
        _randomise(method)
        out = model.generate(**ids, max_new_tokens=6, do_sample=False, output_scores=True,
                             return_dict_in_generate=True, pad_token_id=loaded.tokenizer.pad_token_id)
        full = model(input_ids=out.sequences).logits
    start = ids["input_ids"].shape[1] - 1
    for step, scores in enumerate(out.scores):  # chunk kernel (prefill) and step kernel (decode) agree
        torch.testing.assert_close(scores, full[:, start + step], rtol=1e-2, atol=1e-2)
    method.detach()


@pytest.mark.parametrize("name", MODELS)
def test_the_two_readings_differ_on_a_model_and_record_which_ran(name: str) -> None:
    loaded = _load(name)
    ids = _ids(loaded.tokenizer)
    logits = {}
    for where in ("readout", "recurrence"):
        method = build_method("state_offset", {"where": where})
        model = method.attach(loaded.model)
        _randomise(method)
        with torch.no_grad():
            logits[where] = model(**ids).logits
        assert method.describe()["where"] == where
        method.detach()
    first = logits["readout"][:, 0]  # one step: the state holds dS once either way
    torch.testing.assert_close(logits["recurrence"][:, 0], first, rtol=1e-4, atol=1e-4 * first.abs().max().item())
    assert (logits["recurrence"] - logits["readout"]).abs().max() > 1e-3
    with pytest.raises(UserError, match="method.where"):
        StateOffsetConfig(where="state")


@pytest.mark.parametrize("model_type", ["falcon_mamba", "kimi_linear"])
def test_the_recurrence_reading_is_refused_where_no_scan_carries_it(model_type: str) -> None:
    """Mamba-1 and KDA take the read-out offset only; ``where=recurrence`` there is one line, not a silent read-out."""
    from s0repro.models.tokenizer import build_char_tokenizer
    from s0repro.tools.support import build

    model = build(model_type, build_char_tokenizer())
    method = build_method("state_offset", {"where": "recurrence"})
    with pytest.raises(UserError, match=r"where=recurrence is implemented for gated_deltanet and mamba2 layers.*"
                                        r"use method.where=readout") as err:
        method.attach(model)
    assert "\n" not in str(err.value)
    assert build_method("state_offset", {"where": "readout"}).attach(model) is model
