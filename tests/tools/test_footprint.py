"""The meta-device footprint: counts what a real forward saves, sizes S0's file, and adds up its parts."""

from __future__ import annotations

import torch

from s0repro.methods import build_method
from s0repro.tools import footprint
from s0repro.tools.footprint import _SavedBytes, s0_file_bytes, training_footprint
from tests.conftest import model_config, tiny


def _tiny(name: str):
    """The tiny config with the vocabulary its loader gives it (the char tokenizer's), so meta and CPU agree."""
    loaded = tiny(name)
    cfg = model_config(name)
    cfg.dims = {**cfg.dims, "vocab_size": loaded.model.config.vocab_size}
    return cfg, loaded


def test_meta_measurement_equals_a_real_cpu_forward():
    """The bytes autograd saves on meta tensors are the bytes it saves on a real CPU forward of the same model."""
    tokens = 40
    cfg, loaded = _tiny("tiny_gdn")
    meta = training_footprint(cfg, "s0", tokens)
    method = build_method("s0")
    method.attach(loaded.model)
    counter = _SavedBytes(loaded.model)
    ids = torch.randint(0, 50, (1, tokens))
    with torch.autograd.graph.saved_tensors_hooks(counter.pack, lambda t: t):
        logits = loaded.model(input_ids=ids, **method.model_kwargs(1, training=True)).logits
        torch.nn.functional.cross_entropy(logits[0, :-1].float(), ids[0, 1:])
    # Only the attention kernel may differ: meta tensors take SDPA's math path, which keeps the T x T probabilities
    # (fp32 weights and dropout mask at most) that CPU's fused kernel does not.
    cfg_ = loaded.model.config
    attention = cfg_.layer_types.count("full_attention") * cfg_.num_attention_heads * tokens * tokens * 4 * 2
    assert counter.total["torch"] > 0
    assert abs(meta.activation_bytes["torch"] - counter.total["torch"]) <= attention
    assert meta.largest_saved_bytes == counter.largest


def test_kernel_path_counts_less_than_the_fallback_and_peak_adds_up():
    cfg, _ = _tiny("tiny_gdn")
    row = training_footprint(cfg, "s0", 64)
    assert 0 < row.activation_bytes["kernel"] < row.activation_bytes["torch"]
    assert row.optimiser_bytes == 4 * 4 * row.trainable_params  # fp32 value, grad, Adam m and v
    assert row.peak_bytes("kernel") == (row.weights_bytes + row.optimiser_bytes + row.activation_bytes["kernel"]
                                        + row.largest_saved_bytes)
    longer = training_footprint(cfg, "s0", 128)
    assert longer.activation_bytes["torch"] > 1.5 * row.activation_bytes["torch"]  # activations grow with length


def test_s0_file_size_at_real_size_is_the_papers_48_mib():
    model = footprint.meta_model(footprint.model_config("qwen3_5_4b"))
    assert s0_file_bytes(model) == 12_582_912 * 4  # = 48.0 MiB
    assert model.get_input_embeddings().weight.dtype == torch.bfloat16


def test_table_marks_what_fits_an_a10g():
    cfg, _ = _tiny("tiny_mamba2")
    rows = [training_footprint(cfg, "s0", t) for t in (32, 16)]
    text = footprint.table(rows, {"tiny_mamba2": s0_file_bytes(footprint.meta_model(cfg)) / 2**20})
    lines = text.splitlines()
    assert len(lines) == 3 and "16 tokens" in lines[0].split("32 tokens")[0]  # one row, lengths ascending
    assert lines[2].startswith("| tiny_mamba2 |") and lines[2].endswith("| yes / yes |")
    assert f"{4 * rows[0].trainable_params / 2**20:.1f}" in lines[2]  # the S0 file column
