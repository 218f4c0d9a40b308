"""The hub model configs say truthfully what they pin, and record dims that rebuild the published architectures."""

from __future__ import annotations

import re

import pytest

from s0repro.paths import REPO_ROOT
from s0repro.tools.footprint import meta_model
from tests.conftest import model_config

HUB_MODELS = ["qwen3_5_0_8b", "qwen3_5_2b", "qwen3_5_4b", "qwen3_5_9b", "falcon_h1_7b", "falcon_h1_7b_base", "qwen2_5_3b"]


@pytest.mark.parametrize("name", HUB_MODELS)
def test_revision_is_a_commit_or_says_it_is_unpinned(name):
    """A branch name is not a pin: `main` must carry the UNPINNED mark so nobody reads it as one."""
    line = next(l for l in (REPO_ROOT / "conf" / "model" / f"{name}.yaml").read_text().splitlines()
                if l.startswith("revision:"))
    revision = model_config(name).revision
    assert re.fullmatch(r"[0-9a-f]{40}", revision) or "UNPINNED" in line, line


@pytest.mark.parametrize(("name", "params"), [
    ("qwen3_5_9b", 8_953_803_264),  # the 8.95B public GGUF metadata reports for the text model (untied head)
    ("qwen2_5_3b", 3_090_000_000),  # its model card: 3.09B parameters
])
def test_recorded_dims_rebuild_the_published_size(name, params):
    """Sizes published for these checkpoints (Qwen3.5-4B and Falcon-H1-7B: test_recurrent.py's S0 / LoRA counts)."""
    count = sum(p.numel() for p in meta_model(model_config(name)).parameters())
    assert abs(count - params) / params < 0.005, count


def test_every_hub_config_records_its_dims():
    for name in HUB_MODELS:
        dims = model_config(name).dims
        assert {"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers"} <= set(dims), name


def test_falcon_base_runs_the_falcon_experiment_with_the_instruct_dims_and_counts():
    """`+exp=falcon_h1 model=falcon_h1_7b_base`: the Base checkpoint, the same architecture, and the paper's counts
    (S0 34,603,008; LoRA r24 on q/k/v_proj + in_proj 22,192,896) on the meta device."""
    from s0repro.conf import compose, method_preset, to_settings
    from s0repro.methods import build_method

    settings = to_settings(compose(["+exp=falcon_h1", "model=falcon_h1_7b_base"]))
    base, instruct = settings.model, model_config("falcon_h1_7b")
    assert (base.name, base.hub_id, instruct.hub_id) == ("falcon_h1_7b_base", "tiiuae/Falcon-H1-7B-Base",
                                                         "tiiuae/Falcon-H1-7B-Instruct")
    assert (base.arch, base.dims, base.dtype) == (instruct.arch, instruct.dims, instruct.dtype)
    assert model_config("falcon_h1_7b_base", requires_cuda=True) == base  # outside Hydra: its defaults followed too
    model = meta_model(base)
    counts = {}
    for stem in ("s0", "lora_falcon"):
        preset = method_preset(stem)
        method = build_method(preset["name"], preset)
        method.attach(model)
        counts[stem] = method.num_trainable_parameters()
        method.detach()
    assert counts == {"s0": 34_603_008, "lora_falcon": 22_192_896}
