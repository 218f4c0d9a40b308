"""Spider execution match: run the predicted and the gold query on the example's SQLite database and compare rows.

Paper protocol: the result rows compared as sets; when the gold query has ``ORDER BY``, order matters and the rows
are compared as lists. Queries run in this process but cannot harm it: the database is opened read-only, an
authorizer refuses ATTACH and anything that writes, and a progress handler stops a query after its time limit.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SQL_TIMEOUT_S = 10.0
ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)
_DENY = {sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH, sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE,
         sqlite3.SQLITE_DELETE, sqlite3.SQLITE_DROP_TABLE, sqlite3.SQLITE_CREATE_TABLE, sqlite3.SQLITE_PRAGMA}


@dataclass
class SqlOutcome:
    rows: list[tuple] | None
    error: str = ""  # "" on success; "timeout" or the sqlite error otherwise


def run_query(db_path: str | Path, query: str, timeout_s: float = SQL_TIMEOUT_S) -> SqlOutcome:
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
    deadline = time.monotonic() + timeout_s
    con.set_authorizer(lambda action, *_: sqlite3.SQLITE_DENY if action in _DENY else sqlite3.SQLITE_OK)
    con.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    con.text_factory = lambda b: b.decode("utf-8", errors="replace")
    try:
        return SqlOutcome(con.execute(query).fetchall())
    except sqlite3.OperationalError as err:
        return SqlOutcome(None, "timeout" if "interrupted" in str(err) else f"OperationalError: {err}")
    except (sqlite3.Error, ValueError, OverflowError) as err:
        return SqlOutcome(None, f"{type(err).__name__}: {err}")
    finally:
        con.close()


def execution_match(db_path: str | Path, predicted: str, gold: str,
                    compare: Callable[[list[tuple], list[tuple]], bool] | None = None) -> tuple[bool, str]:
    """(match, status): status is "passed", "failed" (different rows), "error" or "timeout" (predicted query).
    ``compare(predicted_rows, gold_rows)`` replaces the row comparison (the authors': sets whatever the ORDER BY)."""
    gold_out = run_query(db_path, gold)
    if gold_out.rows is None:
        raise ValueError(f"gold query fails on {db_path}: {gold_out.error}")
    pred_out = run_query(db_path, predicted)
    if pred_out.rows is None:
        return False, "timeout" if pred_out.error == "timeout" else "error"
    if compare is not None:
        same = compare(pred_out.rows, gold_out.rows)
    elif ORDER_BY.search(gold):
        same = pred_out.rows == gold_out.rows
    else:
        same = set(pred_out.rows) == set(gold_out.rows)
    return same, "passed" if same else "failed"
