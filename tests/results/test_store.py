"""The result store: a cell is finished exactly when its result.json exists, and nothing else ever half-exists."""

from __future__ import annotations

import json
import os

import pytest

from s0repro.results.schema import CorruptResultError
from s0repro.results.store import CellBusyError, ResultStore, atomic_write_json

CELL = ("exp", "task", "s0", 0)


def payload(attempt: str, score: float = 0.5) -> dict:
    return {"schema_version": 1, "exp": "exp", "task": "task", "method": "s0", "seed": 0, "run": {}, "train": None,
            "eval": {"n": 1, "correct": [True], "task_ids": ["t/0"], "score": score}, "meta": {}, "attempt": attempt}


def test_a_commit_makes_the_cell_finished_and_names_its_attempt(tmp_path):
    store = ResultStore(tmp_path)
    assert store.existing(*CELL) is None
    with store.attempt(*CELL) as attempt:
        (attempt.folder / "artefact").mkdir()
        store.commit(attempt, payload(attempt.name))
    result = store.existing(*CELL)
    assert result["attempt"] == attempt.name and (attempt.folder / "artefact").is_dir()
    assert sorted(p.name for p in attempt.cell.iterdir()) == [".lock", attempt.name, "result.json"]


def test_an_interrupted_attempt_leaves_the_old_result_and_its_files(tmp_path):
    store = ResultStore(tmp_path)
    with store.attempt(*CELL) as first:
        store.commit(first, payload(first.name, 0.25))
    with pytest.raises(KeyboardInterrupt), store.attempt(*CELL) as second:
        (second.folder / "partial.bin").write_bytes(b"x")
        raise KeyboardInterrupt
    assert not second.folder.exists()
    assert store.existing(*CELL)["eval"]["score"] == 0.25 and first.folder.is_dir()


def test_a_new_commit_replaces_the_old_attempt(tmp_path):
    store = ResultStore(tmp_path)
    with store.attempt(*CELL) as first:
        store.commit(first, payload(first.name, 0.25))
    with store.attempt(*CELL) as second:
        store.commit(second, payload(second.name, 0.75))
    assert store.existing(*CELL)["eval"]["score"] == 0.75
    assert not first.folder.exists() and second.folder.is_dir()


def test_orphans_of_a_killed_process_are_cleared_on_the_next_attempt(tmp_path):
    store = ResultStore(tmp_path)
    cell = store.cell(*CELL)
    (cell / "attempt-deadbeef").mkdir(parents=True)  # a SIGKILL-ed attempt: no result names it
    (cell / ".result.json.tmp-999999999-abcd").write_text("{")  # a temp file whose process is gone
    with store.attempt(*CELL) as attempt:
        assert not (cell / "attempt-deadbeef").exists()
        assert not list(cell.glob(".result.json.tmp-*"))
        store.commit(attempt, payload(attempt.name))


def test_nothing_is_deleted_beside_a_result_that_cannot_be_read(tmp_path):
    store = ResultStore(tmp_path)
    cell = store.cell(*CELL)
    (cell / "attempt-keepme").mkdir(parents=True)
    (cell / "result.json").write_text("{not json")
    with pytest.raises(CorruptResultError):
        store.existing(*CELL)
    with store.attempt(*CELL):
        assert (cell / "attempt-keepme").is_dir()


def test_a_cell_held_by_another_process_is_busy(tmp_path):
    store = ResultStore(tmp_path)
    with store.attempt(*CELL), pytest.raises(CellBusyError), store.attempt(*CELL):
        pass  # flock is per open file: a second open in this process conflicts like another process would
    with store.attempt(*CELL):  # released: usable again
        pass


def test_atomic_write_never_shows_a_partial_file(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    atomic_write_json(path, {"a": 1})

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        atomic_write_json(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # the temp file was cleaned up


def test_a_results_root_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "results").write_text("x")
    with pytest.raises(NotADirectoryError):
        ResultStore(tmp_path / "results").check_writable()


def test_a_file_where_a_cell_folder_belongs_is_corrupt(tmp_path):
    store = ResultStore(tmp_path)
    store.cell(*CELL).parent.mkdir(parents=True)
    store.cell(*CELL).write_text("oops")
    with pytest.raises(CorruptResultError, match="a file where a results folder belongs"):
        store.existing(*CELL)
