"""Shared fixtures: HumanEval from the bundled file, and the random-init tiny GatedDeltaNet model."""

from __future__ import annotations

import pytest
import torch
import yaml

from s0repro.data import Problem, TaskData, load_task
from s0repro.models import LoadedModel, ModelConfig, load_model
from s0repro.paths import REPO_ROOT

TINY_GDN = REPO_ROOT / "conf" / "model" / "tiny_gdn.yaml"


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Tiny-model generation is 10-50x slower with 2 torch threads on a busy 2-core box (threads spin and collide)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def humaneval() -> TaskData:
    return load_task("humaneval")


@pytest.fixture(scope="session")
def tiny() -> LoadedModel:
    """The tiny model with its default init: emits a degenerate (all-newline) completion, fine for mechanics."""
    return load_model(ModelConfig(**yaml.safe_load(TINY_GDN.read_text())))


@pytest.fixture(scope="session")
def lively_tiny() -> LoadedModel:
    """The tiny model re-initialised with larger weights, so greedy output varies with the prompt and the state."""
    loaded = load_model(ModelConfig(**yaml.safe_load(TINY_GDN.read_text())))
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in loaded.model.parameters():
            if p.dim() >= 2:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.3)
    return loaded


TOY = [("add", "    return a + b\n", "assert candidate(1, 2) == 3"),
       ("sub", "    return a - b\n", "assert candidate(5, 2) == 3"),
       ("mul", "    return a * b\n", "assert candidate(2, 3) == 6"),
       ("mx", "    return max(a, b)\n", "assert candidate(2, 3) == 3")]


@pytest.fixture(scope="session")
def toy_code() -> TaskData:
    """A four-problem code task with short prompts (the tiny model's prefill is slow on long HumanEval prompts)."""
    problems = [Problem(task_id=f"toy/{i}", prompt=f"def {name}(a, b):\n", answer=body,
                        test=f"def check(candidate):\n    {assertion}\n", entry_point=name)
                for i, (name, body, assertion) in enumerate(TOY)]
    return TaskData(name="toy", kind="code", train=problems[:2], eval=problems[2:], source={"dataset": "toy"})
