"""The frozen base model as a method, and the method registry / config files every method is built from."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
import torch
import yaml

from s0repro.conf import method_preset
from s0repro.errors import UserError
from s0repro.methods import REGISTRY, ArtefactMismatchError, InferenceCost, build_method
from s0repro.models import ModelConfig, load_model

EXPECTED_COST = {
    "none": InferenceCost.NONE,
    "s0": InferenceCost.NONE,
    "lora": InferenceCost.MERGE,
    "prefix": InferenceCost.PER_TOKEN_PREFIX,
    "state_offset": InferenceCost.PER_STEP,
}


def _load(name: str = "tiny_gdn"):
    with open(f"conf/model/{name}.yaml") as f:
        return load_model(ModelConfig(**{**yaml.safe_load(f), "device": "cpu"}))


def test_registry_has_every_shipped_method_with_its_inference_cost() -> None:
    """The shipped methods by name; a plug-in added beside them passes as long as it declares a cost."""
    assert {name: REGISTRY[name].inference_cost for name in EXPECTED_COST} == EXPECTED_COST
    assert all(isinstance(cls.inference_cost, InferenceCost) for cls in REGISTRY.values())


@pytest.mark.parametrize("path", sorted(Path("conf/method").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_method_config_file_builds_with_exactly_its_fields(path: Path) -> None:
    raw = method_preset(path.stem)  # as Hydra composes it: the method's schema, the preset it inherits, the file
    method = build_method(raw["name"], raw)
    assert {f.name for f in fields(method.config)} == set(raw), "a method config has every field, nothing else"


def test_unknown_field_is_a_user_error() -> None:
    with pytest.raises(UserError, match="bad config for method=none"):
        build_method("none", {"rank": 3})


def test_none_is_the_untouched_base_model(tmp_path: Path) -> None:
    loaded = _load()
    ids = dict(loaded.tokenizer(["abc"], return_tensors="pt"))
    with torch.no_grad():
        base = loaded.model(**ids).logits
    method = build_method("none", {})
    assert method.attach(loaded.model) is loaded.model
    assert method.trainable_parameters() == [] and method.num_trainable_parameters() == 0
    assert method.model_kwargs(4) == {} and method.regularization() is None
    assert method.describe()["trainable_params"] == 0
    method.save(tmp_path)
    method.load(tmp_path)
    with torch.no_grad():
        assert torch.equal(method.model(**ids).logits, base)
    assert method.detach() is loaded.model
    other = build_method("none", {})
    other.attach(_load("tiny_transformer").model)
    with pytest.raises(ArtefactMismatchError, match="qwen3_5"):
        other.load(tmp_path)
