"""The overhead benchmark times every registered method that attaches to the model, and only those."""

from __future__ import annotations

import sys

from s0repro.paths import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT))

from benchmarks.common import load  # noqa: E402
from benchmarks.overhead import _plans  # noqa: E402
from s0repro.methods import REGISTRY  # noqa: E402
from s0repro.methods.none import NoneConfig, NoneMethod  # noqa: E402


def test_each_model_gets_the_methods_that_attach_to_it_lora_both_ways():
    assert [label for label, _, _ in _plans(load("tiny_gdn", "cpu"))] == [
        "base", "lora_unmerged", "lora_merged", "s0", "state_offset"]
    assert [label for label, _, _ in _plans(load("tiny_transformer", "cpu"))] == [
        "base", "lora_unmerged", "lora_merged", "prefix"]


def test_a_newly_registered_method_is_benchmarked_without_an_edit(monkeypatch):
    class Throwaway(NoneMethod):
        name = "throwaway"
        config_class = NoneConfig

    monkeypatch.setitem(REGISTRY, "throwaway", Throwaway)
    monkeypatch.setattr("benchmarks.overhead.method_config", lambda stem: {})
    assert ("throwaway", "throwaway", {}) in _plans(load("tiny_gdn", "cpu"))
