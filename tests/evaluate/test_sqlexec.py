"""Spider execution match on a SQLite database built here: set semantics, ORDER BY, errors, timeouts, safety."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from s0repro.evaluate.sqlexec import execution_match, run_query


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.sqlite"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, price REAL);
        INSERT INTO item VALUES (1, 'pen', 1.5), (2, 'book', 12.0), (3, 'bag', 30.0), (4, 'cup', 4.0);
    """)
    con.commit()
    con.close()
    return path


def test_set_semantics_without_order_by(db: Path) -> None:
    gold = "SELECT name FROM item WHERE price > 2"
    assert execution_match(db, "SELECT name FROM item WHERE price > 2 ORDER BY name DESC", gold) == (True, "passed")
    assert execution_match(db, "select name from item where price >= 4", gold) == (True, "passed")
    assert execution_match(db, "SELECT name FROM item", gold) == (False, "failed")
    assert execution_match(db, "SELECT id FROM item WHERE price > 2", gold) == (False, "failed")


def test_order_matters_when_gold_orders(db: Path) -> None:
    gold = "SELECT name FROM item ORDER BY price DESC"
    assert execution_match(db, "SELECT name FROM item ORDER BY price DESC", gold) == (True, "passed")
    assert execution_match(db, "SELECT name FROM item ORDER BY price ASC", gold) == (False, "failed")
    assert execution_match(db, "SELECT name FROM item", gold)[0] is False


def test_numeric_types_compare_by_value(db: Path) -> None:
    assert execution_match(db, "SELECT 12", "SELECT price FROM item WHERE id = 2") == (True, "passed")


def test_bad_and_slow_queries(db: Path) -> None:
    assert execution_match(db, "SELEC name FROM item", "SELECT name FROM item") == (False, "error")
    assert execution_match(db, "SELECT 1; SELECT 2", "SELECT 1") == (False, "error")
    slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    assert run_query(db, slow, timeout_s=0.2).error == "timeout"
    with pytest.raises(ValueError):
        execution_match(db, "SELECT 1", "SELECT nope FROM item")


def test_queries_cannot_write_or_attach(db: Path, tmp_path: Path) -> None:
    assert run_query(db, "DELETE FROM item").rows is None
    assert run_query(db, f"ATTACH DATABASE '{tmp_path / 'new.db'}' AS x").rows is None
    assert not (tmp_path / "new.db").exists()
    assert run_query(db, "SELECT count(*) FROM item").rows == [(4,)]
