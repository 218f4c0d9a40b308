r'''Many tasks in one batch with an S0 bank: two tiny tasks tuned separately, then served together, row by row.

Run from any directory (``python examples/s0_bank.py``; ~1 min on a CPU). Needs the tiny pre-trained GatedDeltaNet
model (``make tiny-models``). The tuned states go to a temporary folder (``--states DIR`` keeps them). It prints one
line per row: the task whose state the row starts from (``None``: the base model), the prompt, and the first line
of the greedy completion:

    plus_one | 'def next_value(x):\n'   ->     return x + 1
      double | 'def next_value(x):\n'   ->     return x * 2
        None | 'def next_value(x):\n'   ->     """
      double | 'def scale(n):\n'        ->     return x * 2
    plus_one | 'def scale(n):\n'        ->     return x + 1

(Four training prompts per task: the tuned states also answer ``x`` where the argument is ``n``.)
'''

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from s0repro import methods, models, train
from s0repro.methods.bank import S0Bank

TASKS = {"plus_one": "    return x + 1\n", "double": "    return x * 2\n"}
ROWS = [("plus_one", "def next_value(x):\n"), ("double", "def next_value(x):\n"), (None, "def next_value(x):\n"),
        ("double", "def scale(n):\n"), ("plus_one", "def scale(n):\n")]


def tune(lm: models.LoadedModel, states: Path) -> None:
    """Each task's S0 state, trained on its own four prompts and saved as its own state folder."""
    for task, body in TASKS.items():
        s0 = methods.build_method("s0", {"alpha": 1.0})
        s0.attach(lm.model)
        examples = [train.TrainExample(f"def {name}(x):\n", body) for name in ("f", "g", "step", "update")]
        train.train(s0, lm.tokenizer, examples, train.TrainConfig(steps=30, lr=3e-2, progress=False))
        s0.save(states / task)
        s0.detach()


def serve(lm: models.LoadedModel, states: Path) -> list[str]:
    """One batch, each row starting from its task's state; the lines the module docstring shows."""
    bank = S0Bank(lm.model)
    for task in TASKS:
        bank.load(task, states / task)
    enc = lm.tokenizer([prompt for _, prompt in ROWS], return_tensors="pt", padding=True)
    out = lm.model.generate(**enc, **bank.model_kwargs([task for task, _ in ROWS]), max_new_tokens=20,
                            do_sample=False)
    return [f"{task!s:>8} | {prompt!r:24} -> {lm.tokenizer.decode(ids, skip_special_tokens=True).splitlines()[0]}"
            for (task, prompt), ids in zip(ROWS, out[:, enc["input_ids"].shape[1]:], strict=True)]


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=Path, default=None, help="keep the tuned states here (default: a temp dir)")
    args = parser.parse_args(argv)
    lm = models.load_model("minicode_gdn")  # by name: conf/model/minicode_gdn.yaml from any directory
    with tempfile.TemporaryDirectory(prefix="s0_bank_") as tmp:
        states = args.states or Path(tmp)
        tune(lm, states)
        lines = serve(lm, states)
    print(*lines, sep="\n")
    return lines


if __name__ == "__main__":
    main()
