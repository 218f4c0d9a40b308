"""``python -m s0repro.tools.memory conf/model/<tiny model>.yaml``: how much of an initial recurrent state survives
a typical minicode prompt, per layer and head (the table of :func:`s0repro.models.memory.state_survival`)."""

from __future__ import annotations

import sys

import yaml

from s0repro.models.config import ModelConfig
from s0repro.models.loading import load_model
from s0repro.models.memory import minicode_prompts, state_survival


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m s0repro.tools.memory conf/model/<tiny model>.yaml", file=sys.stderr)
        return 2
    with open(args[0]) as fh:
        cfg = ModelConfig(**yaml.safe_load(fh))
    cfg.device = "cpu"
    loaded = load_model(cfg)
    print(state_survival(loaded.model, loaded.tokenizer, minicode_prompts(loaded.tokenizer)).table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
