"""HumanEval from the bundled file (offline), the paper's split, a local override, and HumanEval+ via evalplus data."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from s0repro.data import load_task
from s0repro.data.humaneval import bundled_path, plus_test
from s0repro.errors import UserError
from s0repro.evaluate.sandbox import SandboxConfig
from s0repro.evaluate.scoring import score

ROW = {"task_id": "HumanEval/{i}", "prompt": "def f{i}(x):\n", "canonical_solution": "    return x + {i}\n",
       "test": "def check(c):\n    assert c(1) == 1 + {i}\n", "entry_point": "f{i}"}


def rows(n: int) -> list[dict]:
    return [{k: v.format(i=i) for k, v in ROW.items()} for i in range(n)]


def test_bundled_humaneval_has_the_paper_split() -> None:
    task = load_task("humaneval")
    assert bundled_path().is_file()
    assert (len(task.train), len(task.eval), task.kind) == (80, 84, "code")
    assert task.train[0].task_id == "HumanEval/0" and task.train[-1].task_id == "HumanEval/79"
    assert task.eval[0].task_id == "HumanEval/80" and task.eval[-1].task_id == "HumanEval/163"
    assert task.eval[0].entry_point and "def check" in task.eval[0].test
    assert task.source["rows"] == 164 and len(task.source["sha256"]) == 64
    assert task.source["split"] == "train 0-79, eval 80-163"


def test_local_override_jsonl_and_gz(tmp_path: Path) -> None:
    plain = tmp_path / "he.jsonl"
    plain.write_text("".join(json.dumps(r) + "\n" for r in reversed(rows(5))))
    task = load_task("humaneval", path=str(plain), split_at=3)
    assert [p.task_id for p in task.train] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]  # sorted by index
    packed = tmp_path / "he.jsonl.gz"
    with gzip.open(packed, "wt") as f:
        f.write(plain.read_text())
    assert load_task("humaneval", path=str(packed), split_at=3).source["sha256"] == task.source["sha256"]


def test_hub_source_offline_and_from_a_local_copy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("s0repro.data.hub.hub_reachable", lambda **kw: False)
    for name in ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UserError, match="openai/openai_humaneval"):
        load_task("humaneval", source="hub")
    (tmp_path / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows(4)))
    task = load_task("humaneval", source="hub", path=str(tmp_path), split_at=2)
    assert [p.task_id for p in task.eval] == ["HumanEval/2", "HumanEval/3"]
    with pytest.raises(UserError, match="source"):
        load_task("humaneval", source="ftp")


def test_bad_files_and_splits_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not found"):
        load_task("humaneval", path=str(tmp_path / "missing.jsonl"))
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"task_id": "X/0", "question": "?"}) + "\n")
    with pytest.raises(UserError, match="not HumanEval"):
        load_task("humaneval", path=str(other))
    with pytest.raises(UserError, match="split_at"):
        load_task("humaneval", split_at=165)
    assert len(load_task("humaneval", split_at=0).eval) == 164


def test_humaneval_plus_offline_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HUMANEVAL_OVERRIDE_PATH", raising=False)
    monkeypatch.setattr("s0repro.data.hub.hub_reachable", lambda **kw: False)
    monkeypatch.setattr("evalplus.data.utils.CACHE_DIR", str(tmp_path / "no-cache"))
    with pytest.raises(UserError, match="HUMANEVAL_OVERRIDE_PATH") as err:
        load_task("humaneval_plus")
    assert "\n" not in str(err.value)


def test_humaneval_plus_from_override_runs_differential_tests(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    plus_rows = []
    for r in rows(3):
        plus_rows.append({**r, "base_input": [[1], [2]], "plus_input": [[10**6], [-3]], "atol": 0})
    plus_rows[2] = {**plus_rows[2], "prompt": "def f2(x):\n", "canonical_solution": "    return x / 3\n",
                    "base_input": [[1.0]], "plus_input": [[2.0]], "atol": 1e-6}
    path = tmp_path / "HumanEvalPlus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in plus_rows))
    monkeypatch.setenv("HUMANEVAL_OVERRIDE_PATH", str(path))
    task = load_task("humaneval_plus", split_at=1)
    assert task.name == "humaneval_plus" and len(task.train) == 1 and len(task.eval) == 2
    problems = task.train + task.eval
    good = [p.answer for p in problems]
    bad = ["    return x if x < 100 else 0\n", "    return x + 1 if x > 0 else x\n", "    return x / 3.01\n"]
    results = score(task, problems * 2, good + bad, SandboxConfig(timeout_s=3.0))
    assert [r.passed for r in results] == [True, True, True, False, False, False]
    assert "def check(candidate)" in plus_test(plus_rows[0])


def plus_task(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, plus_rows: list[dict]):
    path = tmp_path / "HumanEvalPlus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in plus_rows))
    monkeypatch.setenv("HUMANEVAL_OVERRIDE_PATH", str(path))
    return load_task("humaneval_plus", split_at=0)


def test_humaneval_plus_a_list_is_not_a_tuple_as_in_evalplus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    row = {"task_id": "HumanEval/0", "prompt": "def pair(x):\n", "canonical_solution": "    return (x, x + 1)\n",
           "test": "", "entry_point": "pair", "base_input": [[1]], "plus_input": [[2.5]], "atol": 0}
    task = plus_task(monkeypatch, tmp_path, [row])
    (p,) = task.eval
    same, as_list, close = score(task, [p] * 3, ["    return (x, x + 1)\n", "    return [x, x + 1]\n",
                                                "    return (x, x + 1 + 1e-9 * isinstance(x, float))\n"],
                                 SandboxConfig(timeout_s=3.0))
    assert same.passed and not as_list.passed and as_list.failure_type == "wrong_answer"
    assert close.passed  # ints exact; 2.5 makes the expected output floats: atol 1e-6, as in evalplus


def test_humaneval_plus_find_zero_accepts_any_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """evalplus checks |poly(x)| <= atol; the reference's root (1 for (x-1)(x-2)(x-3)) is not the only right answer."""
    (real,) = [p for p in load_task("humaneval", split_at=0).eval if p.entry_point == "find_zero"]
    row = {"task_id": real.task_id, "prompt": real.prompt, "canonical_solution": real.answer, "test": "",
           "entry_point": "find_zero", "base_input": [[[-6, 11, -6, 1]], [[-3, 6, 9, -10]]], "plus_input": [],
           "atol": 1e-4}
    task = plus_task(monkeypatch, tmp_path, [row])
    (p,) = task.eval
    newton = ("    x = 10.0\n    for _ in range(100):\n"
              "        x -= poly(xs, x) / sum(i * c * x ** (i - 1) for i, c in enumerate(xs) if i)\n    return x\n")
    canonical, other_root, wrong = score(task, [p] * 3, [p.answer, newton, "    return 2.5\n"],
                                         SandboxConfig(timeout_s=3.0))
    assert canonical.passed, canonical.detail  # failed when roots were compared, at [-3, 6, 9, -10]
    assert other_root.passed, other_root.detail  # 3 and 1.19, where the reference finds 1 and 0.38
    assert not wrong.passed and wrong.failure_type == "wrong_answer"


def test_humaneval_plus_time_limit_is_per_input_and_excludes_the_reference(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: Path) -> None:
    """Each call gets max(1 s, 4 x the reference's CPU time); the reference runs in a child, on its own CPU clock."""
    spin = "    import time\n    t = time.process_time()\n    while time.process_time() - t < {s}:\n        pass\n"
    row = {"task_id": "HumanEval/0", "prompt": "def slow(x):\n", "canonical_solution": spin.format(s="x") +
           "    return x\n", "test": "", "entry_point": "slow", "base_input": [[0.0], [0.7]], "plus_input": [],
           "atol": 0}
    task = plus_task(monkeypatch, tmp_path, [row])
    (p,) = task.eval
    cfg = SandboxConfig(timeout_s=1.2, wall_factor=8.0)  # reference 0.7 s + candidate 0.7 s > 1.2 s, each < 1.2 s
    same, too_slow = score(task, [p] * 2, [p.answer, spin.format(s="1.5 if x == 0 else x") + "    return x\n"], cfg)
    assert same.passed, same.detail
    assert (too_slow.status, too_slow.failure_type, too_slow.detail) == ("timeout", "timeout", "TimeoutError")
