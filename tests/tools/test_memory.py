"""The memory diagnostic's command line: the survival table of the model it is given, or its usage and status 2."""

from __future__ import annotations

import yaml

from s0repro.models import ModelConfig, load_model
from s0repro.models.memory import minicode_prompts, state_survival
from s0repro.paths import REPO_ROOT
from s0repro.tools.memory import main


def test_it_prints_the_table_of_the_model_it_is_given(capsys):
    path = REPO_ROOT / "conf/model/tiny_mamba2.yaml"
    assert main([str(path)]) == 0
    loaded = load_model(ModelConfig(**{**yaml.safe_load(path.read_text()), "device": "cpu"}))
    expected = state_survival(loaded.model, loaded.tokenizer, minicode_prompts(loaded.tokenizer)).table()
    assert capsys.readouterr().out == expected + "\n"


def test_without_a_model_file_it_prints_its_usage(capsys):
    assert main([]) == 2
    assert capsys.readouterr().err == "usage: python -m s0repro.tools.memory conf/model/<tiny model>.yaml\n"
