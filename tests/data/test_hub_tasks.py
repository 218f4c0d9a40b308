"""GSM8K, MATH-500 and Spider: one clear line (fast) without a hub, and the paper's splits from local copies."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from s0repro.data import discover, load_task
from s0repro.data.hub import hub_reachable
from s0repro.errors import UserError


def jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture()
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("s0repro.data.hub.hub_reachable", lambda **kw: False)


@pytest.mark.parametrize("name,extra", [("gsm8k", {}), ("math500", {}), ("spider", {"db_dir": "."})])
def test_offline_is_one_clear_line_and_fast(name: str, extra: dict, offline: None) -> None:
    start = time.perf_counter()
    with pytest.raises(UserError, match="data_path") as err:
        load_task(name, revision="abc123", **extra)
    assert "\n" not in str(err.value) and time.perf_counter() - start < 2


def test_probe_gives_up_quickly_on_an_unreachable_host() -> None:
    start = time.perf_counter()
    assert hub_reachable(timeout_s=1.0, host="unreachable.invalid") is False
    assert time.perf_counter() - start < 2


def test_gsm8k_from_a_local_copy(tmp_path: Path) -> None:
    train = [{"question": f"q{i}", "answer": f"work\n#### {1000 + i:,}"} for i in range(250)]
    test = [{"question": f"t{i}", "answer": f"#### {-i}"} for i in range(5)]
    jsonl(tmp_path / "gsm8k" / "train.jsonl", train)
    jsonl(tmp_path / "gsm8k" / "test.jsonl", test)
    task = load_task("gsm8k", data_path=str(tmp_path / "gsm8k"))
    assert (len(task.train), len(task.eval), task.kind) == (200, 5, "math")
    assert task.train[0].answer == "1000" and task.eval[3].answer == "-3"
    assert task.source["train"]["rows"] == 250 and task.source["train"]["path"].endswith("gsm8k")


def test_math500_from_a_local_parquet(tmp_path: Path) -> None:
    import datasets

    rows = [{"problem": f"p{i}", "answer": "\\frac{1}{2}", "subject": "Algebra", "level": 1, "solution": "so \\boxed{0.5}",
             "unique_id": f"test/algebra/{i}.json"} for i in range(500)]
    datasets.Dataset.from_list(rows).to_parquet(str(tmp_path / "test-00000.parquet"))
    task = load_task("math500", data_path=str(tmp_path))
    assert (len(task.train), len(task.eval)) == (250, 250)
    assert task.eval[0].task_id == "test/algebra/250.json" and task.eval[0].answer == "\\frac{1}{2}"
    assert task.eval[0].meta["solution"] == "so \\boxed{0.5}"  # the authors' checker takes its gold from here


def test_spider_from_a_local_copy_with_databases(tmp_path: Path) -> None:
    db = tmp_path / "database" / "shop" / "shop.sqlite"
    db.parent.mkdir(parents=True)
    con = sqlite3.connect(db)
    con.executescript("CREATE TABLE item (id INTEGER, name TEXT);\nCREATE TABLE tag (id INTEGER);")
    con.close()
    rows = [{"db_id": "shop", "question": f"q{i}", "query": "SELECT name FROM item"} for i in range(8)]
    jsonl(tmp_path / "spider" / "train.jsonl", rows)
    jsonl(tmp_path / "spider" / "validation.jsonl", rows[:3])
    task = load_task("spider", db_dir=str(tmp_path / "database"), data_path=str(tmp_path / "spider"), n_train=5)
    assert (len(task.train), len(task.eval), task.kind) == (5, 3, "sql")
    assert task.eval[0].meta["db_path"] == str(db)
    # as the authors' get_schema: the stored CREATE statements, joined by a blank line, nothing added
    assert task.eval[0].meta["schema"] == "CREATE TABLE item (id INTEGER, name TEXT)\n\nCREATE TABLE tag (id INTEGER)"
    with pytest.raises(UserError, match="db_dir"):
        load_task("spider", db_dir=str(tmp_path / "nope"))
    release = tmp_path / "spider_release"  # the release's own file names, JSON arrays
    release.mkdir()
    (release / "train_spider.json").write_text(json.dumps(rows))
    (release / "train_others.json").write_text(json.dumps(rows[:2]))
    (release / "dev.json").write_text(json.dumps(rows[:4]))
    task = load_task("spider", db_dir=str(tmp_path / "database"), data_path=str(release), n_train=100)
    assert (len(task.train), len(task.eval)) == (8, 4)
    jsonl(tmp_path / "spider2" / "train.jsonl", [{**rows[0], "db_id": "missing"}])
    jsonl(tmp_path / "spider2" / "validation.jsonl", rows[:1])
    with pytest.raises(UserError, match="not found"):
        load_task("spider", db_dir=str(tmp_path / "database"), data_path=str(tmp_path / "spider2"))


def test_load_task_refuses_unknown_names_and_options() -> None:
    with pytest.raises(UserError, match="unknown task"):
        load_task("mbpp")
    with pytest.raises(UserError, match="does not take"):
        load_task("humaneval", bogus=1)
    assert {"humaneval", "humaneval_plus", "minicode", "gsm8k", "math500", "spider"} == set(discover())
