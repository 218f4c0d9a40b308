"""Spider (``xlangai/spider``), split as in the paper: train on the first 500 training examples, evaluate on the
1,034 validation examples. Questions and gold SQL come from the hub (or ``data_path=``); the SQLite databases are
not on the hub, so the user points at the ``database/`` folder of the Spider release with ``db_dir=``
(``<db_dir>/<db_id>/<db_id>.sqlite``). Each problem carries its database path and schema (CREATE statements)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from s0repro.data.base import Problem, TaskData, register_task
from s0repro.data.hub import load_rows
from s0repro.errors import UserError

DATASET = "xlangai/spider"
TEMPLATE = ("Given the SQLite database schema below, write one SQL query that answers the question. Only output the "
            "SQL query, no explanation. No markdown.\n\nSchema:\n{schema}\n\nQuestion: {prompt}")


def db_file(db_dir: str | Path, db_id: str) -> Path:
    return Path(db_dir) / db_id / f"{db_id}.sqlite"


def read_schema(path: str | Path) -> str:
    """The database's CREATE statements, the schema a prompt shows the model."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT sql FROM sqlite_master WHERE type='table' AND sql IS NOT NULL").fetchall()
    finally:
        con.close()
    return "\n".join(r[0].strip() + ";" for r in rows)


@register_task("spider")
def load_spider(db_dir: str | None = None, revision: str | None = None, data_path: str | None = None,
                n_train: int = 500, n_eval: int | None = None) -> TaskData:
    if not db_dir or not Path(db_dir).is_dir():
        raise UserError(f"task=spider needs db_dir=<Spider release>/database (the SQLite files are not on the hub); "
                        f"got {db_dir!r}")
    train_rows, train_src = load_rows(DATASET, "train", revision=revision, path=data_path)
    eval_rows, eval_src = load_rows(DATASET, "validation", revision=revision, path=data_path)
    schemas: dict[str, str] = {}

    def problems(rows: list[dict], split: str) -> list[Problem]:
        out = []
        for i, r in enumerate(rows):
            path = db_file(db_dir, r["db_id"])
            if not path.is_file():
                raise UserError(f"Spider database {path} not found (db_dir={db_dir})")
            if r["db_id"] not in schemas:
                schemas[r["db_id"]] = read_schema(path)
            out.append(Problem(task_id=f"spider/{split}/{i}", prompt=r["question"], answer=r["query"],
                               meta={"db_id": r["db_id"], "db_path": str(path), "schema": schemas[r["db_id"]]}))
        return out

    return TaskData(name="spider", kind="sql", train=problems(train_rows[:n_train], "train"),
                    eval=problems(eval_rows[:n_eval] if n_eval else eval_rows, "validation"),
                    source={"train": train_src, "eval": eval_src, "db_dir": str(db_dir),
                            "split": f"train first {n_train}, eval validation"}, prompt_template=TEMPLATE)
