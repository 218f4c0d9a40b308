"""A result dict factory (valid per the schema) for the views tests."""

import pytest

from s0repro.results import validate_result


def fake_result(exp, task, method, seed, correct, *, task_ids=None, params=None, cost=None, arch="qwen3_5"):
    ids = task_ids or [f"T/{i}" for i in range(len(correct))]
    payload = {
        "schema_version": 1, "exp": exp, "task": task, "method": method, "method_name": method, "seed": seed,
        "run": {"config": {}}, "train": None if method == "none" else {"trainable_params": params},
        "eval": {"metric": "pass@1", "score": sum(correct) / len(correct), "n": len(correct),
                 "task_ids": list(ids), "correct": list(correct), "failure_types": {}},
        "method_info": {"method": method, "inference_cost": cost, "trainable_params": params},
        "meta": {"model": {"arch": arch}},
    }
    return validate_result(payload)


@pytest.fixture
def make_result():
    return fake_result
