"""Layer selection of S0 / state offset: the early / middle / late / all thirds on both families, at every size."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM

from s0repro.errors import UserError
from s0repro.methods import build_method
from s0repro.methods.layer_state import check_layer_spec, group_bounds, select_layers
from s0repro.models import find_recurrent_layers
from s0repro.models.architectures import build_config
from tests.conftest import model_config


def meta_model(name: str, **dims):
    cfg = model_config(name)
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(build_config(cfg.arch, {**cfg.dims, **dims}))


def groups_of(model) -> dict[str, list[int]]:
    layers = find_recurrent_layers(model)
    out = {}
    for group in ("early", "middle", "late", "all"):
        try:
            out[group] = [l.layer_idx for l in select_layers(layers, group)]
        except UserError:
            out[group] = []
    return out


def test_qwen3_5_4b_groups_are_the_papers_thirds():
    # 24 GatedDeltaNet layers (every 4th decoder layer is attention): recurrent 0-7 / 8-15 / 16-23 as in the paper
    g = groups_of(meta_model("qwen3_5_4b"))
    assert g["early"] == [0, 1, 2, 4, 5, 6, 8, 9]
    assert g["middle"] == [10, 12, 13, 14, 16, 17, 18, 20]
    assert g["late"] == [21, 22, 24, 25, 26, 28, 29, 30]
    assert g["all"] == sorted(g["early"] + g["middle"] + g["late"])
    assert all(i % 4 != 3 for i in g["all"])  # no attention layer in any group


def test_falcon_h1_7b_44_layers_split_15_14_15():
    g = groups_of(meta_model("falcon_h1_7b"))
    assert g["early"] == list(range(0, 15))
    assert g["middle"] == list(range(15, 29))
    assert g["late"] == list(range(29, 44))
    assert g["all"] == list(range(44))


@pytest.mark.parametrize(("n", "sizes"), [(1, (0, 1, 0)), (2, (1, 0, 1)), (3, (1, 1, 1)), (4, (1, 2, 1)),
                                          (5, (2, 1, 2)), (6, (2, 2, 2)), (24, (8, 8, 8)), (44, (15, 14, 15))])
def test_uneven_counts_give_early_and_late_the_same_size(n, sizes):
    b = group_bounds(n)
    got = tuple(b[g][1] - b[g][0] for g in ("early", "middle", "late"))
    assert got == sizes
    assert b["early"][0] == 0 and b["early"][1] == b["middle"][0] and b["middle"][1] == b["late"][0]
    assert b["late"][1] == n and b["all"] == (0, n)  # the thirds tile all layers, in depth order


@pytest.mark.parametrize(("name", "dims", "expected"), [
    ("tiny_gdn", {}, {"early": [0], "middle": [1], "late": [2]}),  # 3 recurrent (layer 3 is attention)
    ("tiny_gdn", {"num_hidden_layers": 8}, {"early": [0, 1], "middle": [2, 4], "late": [5, 6]}),  # 6 recurrent
    ("tiny_gdn", {"num_hidden_layers": 5}, {"early": [0], "middle": [1, 2], "late": [4]}),  # 4 recurrent: 1/2/1
    ("tiny_gdn", {"num_hidden_layers": 6}, {"early": [0, 1], "middle": [2], "late": [4, 5]}),  # 5 recurrent: 2/1/2
    ("tiny_mamba2", {"num_hidden_layers": 5}, {"early": [0, 1], "middle": [2], "late": [3, 4]}),  # 5: 2/1/2
    ("tiny_mamba2", {"num_hidden_layers": 7}, {"early": [0, 1], "middle": [2, 3, 4], "late": [5, 6]}),
])
def test_tiny_families_group_indices(name, dims, expected):
    g = groups_of(meta_model(name, **dims))
    assert {k: g[k] for k in expected} == expected


def test_two_layer_mamba2_has_no_middle_third(tiny_mamba2):
    method = build_method("s0", {"layers": "middle"})
    with pytest.raises(UserError, match="has 2 recurrent layers, too few for a middle third"):
        method.attach(tiny_mamba2.model)
    early = build_method("s0", {"layers": "early"})
    early.attach(tiny_mamba2.model)
    assert [l.layer_idx for l in early.layers] == [0]
    early.detach()


@pytest.mark.parametrize("method_name", ["s0", "state_offset"])
def test_group_option_tunes_only_that_group_and_records_it(tiny_gdn, method_name):
    method = build_method(method_name, {"layers": "late"})
    method.attach(tiny_gdn.model)
    assert sorted(method.states) == ["2"]
    info = method.describe()
    assert info["layer_indices"] == [2] and info["config"]["layers"] == "late"
    every = find_recurrent_layers(tiny_gdn.model)
    assert info["trainable_params"] == every[2].numel
    method.detach()


def test_real_size_group_parameter_counts_match_the_paper():
    # paper, Appendix "Layer Sensitivity": 4.2M per third, 12.6M for all 24 layers of Qwen3.5-4B
    model = meta_model("qwen3_5_4b")
    for group, expected in (("early", 4_194_304), ("middle", 4_194_304), ("late", 4_194_304), ("all", 12_582_912)):
        method = build_method("s0", {"layers": group})
        method.attach(model)
        assert method.num_trainable_parameters() == expected
        method.detach()


@pytest.mark.parametrize("spec", ["first", "", [], [1.5], [True], 3, {"a": 1}])
def test_bad_layer_spec_is_one_line(spec):
    with pytest.raises(UserError, match="method.layers="):
        check_layer_spec(spec)
    with pytest.raises(UserError, match="method.layers="):
        build_method("s0", {"layers": spec})


def test_index_list_still_works_and_unknown_index_is_refused(tiny_gdn):
    method = build_method("s0", {"layers": [0, 2]})
    method.attach(tiny_gdn.model)
    assert sorted(method.states) == ["0", "2"]
    method.detach()
    with pytest.raises(UserError, match=r"\[3\], which are not recurrent layers"):
        build_method("s0", {"layers": [3]}).attach(tiny_gdn.model)
