"""tools.form_mix: the form mix of a run's outputs, one row per method, seeds pooled; bad folders are one line."""

from __future__ import annotations

import json
from pathlib import Path

from s0repro.tools.form_mix import main

FUNCTION = "def f(x):\n    return x\n"
BODY = "    return x\n"


def _cell(root: Path, method: str, seed: int, raws: list[str]) -> None:
    folder = root / "qwen3_5" / "minicode" / method / f"seed_{seed}"
    (folder / "attempt-1").mkdir(parents=True)
    (folder / "attempt-1" / "eval.jsonl").write_text("".join(json.dumps({"raw": r}) + "\n" for r in raws))
    n = len(raws)
    result = {"schema_version": 1, "exp": "qwen3_5", "task": "minicode", "method": method, "seed": seed, "run": {},
              "train": None, "eval": {"n": n, "task_ids": [f"t/{i}" for i in range(n)], "correct": [False] * n},
              "meta": {"model": {"name": "minicode_gdn"}}, "files": {"eval_records": "attempt-1/eval.jsonl"}}
    (folder / "result.json").write_text(json.dumps(result))


def test_prints_one_row_per_method_with_seeds_pooled(tmp_path, capsys):
    _cell(tmp_path, "none", 0, [BODY, BODY, BODY, FUNCTION])
    _cell(tmp_path, "s0", 0, [FUNCTION, FUNCTION])
    _cell(tmp_path, "s0", 1, [FUNCTION, f"```python\n{FUNCTION}```\n"])
    assert main(["--results", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "form mix (% of samples): qwen3_5 / minicode / minicode_gdn"
    assert lines[1].split() == ["method", "n", "function_fenced", "function", "body", "body_fenced", "prose", "other"]
    assert lines[2].split() == ["none", "4", "0.0", "25.0", "75.0", "0.0", "0.0", "0.0"]
    assert lines[3].split() == ["s0", "4", "25.0", "75.0", "0.0", "0.0", "0.0", "0.0"]


def test_missing_folder_or_records_is_one_line(tmp_path, capsys):
    assert main(["--results", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.strip().startswith("error: no results folder")
    _cell(tmp_path, "none", 0, [BODY])
    (tmp_path / "qwen3_5" / "minicode" / "none" / "seed_0" / "attempt-1" / "eval.jsonl").unlink()
    assert main(["--results", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "evaluation records are missing" in err
