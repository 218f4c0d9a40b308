"""scale=tiny evaluates in batches of 16 (conf/scale/tiny.yaml): allowed because, on each shipped tiny checkpoint,
greedy decoding of minicode prompts batched with left padding gives the same completions as one prompt at a time."""

from __future__ import annotations

import pytest

from s0repro.data import load_task, render_prompt
from s0repro.evaluate.generation import GenerationConfig, generate
from s0repro.models.loading import load_model

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["minicode_gdn", "minicode_mamba2", "minicode_transformer"])
def test_batched_greedy_equals_one_prompt_at_a_time_on_the_shipped_tiny_models(name: str) -> None:
    loaded = load_model(name)
    task = load_task("minicode", seed=0)
    prompts = [render_prompt(loaded.tokenizer, task, p) for p in task.eval[:16]]
    assert len({len(p) for p in prompts}) > 1  # prompts of several lengths: the batch is left-padded
    batched = generate(loaded.model, loaded.tokenizer, prompts, GenerationConfig(batch_size=16, max_new_tokens=96),
                       progress=False)
    single = generate(loaded.model, loaded.tokenizer, prompts, GenerationConfig(batch_size=1, max_new_tokens=96),
                      progress=False)
    assert batched == single
