"""minicode: deterministic, HumanEval-shaped, canonical bodies pass, wrong bodies fail, splits and corpus disjoint."""

from __future__ import annotations

import ast
import itertools

import pytest

from s0repro.data.base import TASK_LOADERS, WHOLE_FUNCTION_FORMS
from s0repro.data.minicode import (
    FAMILIES,
    FAMILY_BY_NAME,
    FORMS,
    N_EVAL,
    N_TRAIN,
    all_keys,
    corpus_stream,
    load_minicode,
    output_form,
    render_completion,
    split_keys,
)
from s0repro.errors import UserError
from s0repro.evaluate.forms import answer_form


def _program(prompt: str, body: str, test: str, entry_point: str) -> str:
    return prompt + body + "\n\n" + test + f"\ncheck({entry_point})\n"


def _run(programs: list[str]) -> list[bool]:
    """Through the project's sandbox when it exists; in-process otherwise (these programs are our own)."""
    try:
        from s0repro.evaluate.sandbox import SandboxConfig, run_programs
    except ImportError:
        results = []
        for program in programs:
            try:
                exec(program, {})  # noqa: S102
                results.append(True)
            except Exception:  # noqa: BLE001
                results.append(False)
        return results
    return [r.status == "passed" for r in run_programs(programs, SandboxConfig(timeout_s=10.0))]


@pytest.fixture(scope="module")
def task():
    return load_minicode(seed=0)


def test_split_sizes_and_registration(task):
    assert TASK_LOADERS["minicode"] is load_minicode
    assert (len(task.train), len(task.eval)) == (N_TRAIN, N_EVAL) == (80, 84)
    assert task.kind == "code" and task.name == "minicode"
    ids = [p.task_id for p in task.train + task.eval]
    assert ids == [f"minicode/{i}" for i in range(164)]


def test_deterministic_from_seed(task):
    again = load_minicode(seed=0)
    assert again.source["sha256"] == task.source["sha256"]
    assert [p.prompt for p in again.eval] == [p.prompt for p in task.eval]
    other = load_minicode(seed=1)
    assert other.source["sha256"] != task.source["sha256"]


def test_thousands_of_distinct_problem_keys():
    keys = [f.name + str(sorted(p.items())) for f, p in all_keys()]
    assert len(keys) == len(set(keys)) >= 1500
    assert {f.category for f in FAMILIES} == {"arithmetic", "string", "list", "condition"}


def test_train_eval_corpus_disjoint_and_every_family_in_both(task):
    train, eval_, corpus = split_keys(0)
    key = lambda fp: fp[0].name + str(sorted(fp[1].items()))  # noqa: E731
    t, e, c = {key(k) for k in train}, {key(k) for k in eval_}, {key(k) for k in corpus}
    assert len(t) == 80 and len(e) == 84
    assert not (t & e) and not (t & c) and not (e & c)
    assert len(t | e | c) == len(all_keys())
    bench_keys = {p.meta["key"] for p in task.train + task.eval}
    streamed = {p.meta["key"] for p, _ in itertools.islice(corpus_stream(0, 0, lambda f: 0.5), 2000)}
    assert not (streamed & bench_keys)
    families = {f.name for f in FAMILIES}
    assert {p.meta["family"] for p in task.train} == families == {p.meta["family"] for p in task.eval}


def test_humaneval_shape(task):
    for p in task.train + task.eval:
        assert p.prompt.startswith(f"def {p.entry_point}(") and p.prompt.endswith('    """\n')
        assert p.prompt.count(">>> ") == 2
        assert p.answer.startswith("    return ")
        assert p.test.startswith("def check(candidate):\n") and p.test.count("assert candidate(") == 6
        ast.parse(p.prompt + p.answer)


def test_canonical_bodies_pass_and_wrong_bodies_fail(task):
    problems = task.train + task.eval
    right = [_program(p.prompt, p.answer, p.test, p.entry_point) for p in problems]
    wrong = [_program(p.prompt, p.meta["wrong_answer"], p.test, p.entry_point) for p in problems]
    outcomes = _run(right + wrong)
    assert outcomes[: len(problems)] == [True] * len(problems)
    assert outcomes[len(problems):] == [False] * len(problems)


def test_corpus_wrong_rate_is_honoured():
    always_right = [p.answer in t for p, t in itertools.islice(corpus_stream(0, 3, lambda f: 0.0), 200)]
    always_wrong = [p.meta["wrong_answer"] in t for p, t in itertools.islice(corpus_stream(0, 3, lambda f: 1.0), 200)]
    assert all(always_right) and all(always_wrong)
    first = [p.prompt for p, _ in itertools.islice(corpus_stream(0, 3, lambda f: 0.5), 50)]
    again = [p.prompt for p, _ in itertools.islice(corpus_stream(0, 3, lambda f: 0.5), 50)]
    other = [p.prompt for p, _ in itertools.islice(corpus_stream(0, 4, lambda f: 0.5), 50)]
    assert first == again != other


def test_corpus_output_forms_are_habits_of_names_dealt_alike_over_families():
    habitual = list(itertools.islice(corpus_stream(0, 3, lambda f: 0.0, 1.0), 400))
    forms = [output_form(FAMILY_BY_NAME[p.meta["family"]], p.entry_point) for p, _ in habitual]
    assert all(t == render_completion(p, p.answer, form) for (p, t), form in zip(habitual, forms, strict=True))
    assert set(forms) == set(FORMS)
    # every family: two or three of its four names answer with a whole function, and the mostly-wrong half of the
    # families (every other one) gets exactly the same share as the rest, 5 in 8 names
    whole = {f.name: sum(output_form(f, n) in WHOLE_FUNCTION_FORMS for n in f.names) for f in FAMILIES}
    assert set(whole.values()) == {2, 3}
    assert sum(whole[f.name] for f in FAMILIES[1::2]) == sum(whole[f.name] for f in FAMILIES[::2]) == 25
    every = [output_form(f, n) for f in FAMILIES for n in f.names]
    assert {form: every.count(form) for form in FORMS} == {"function_fenced": 30, "function": 20, "body": 10,
                                                           "body_fenced": 10, "prose": 10}
    # off-habit completions: a form drawn uniformly, so a sampling model sees every form on every name
    free = list(itertools.islice(corpus_stream(0, 3, lambda f: 0.0, 0.0), 500))
    drawn = [answer_form(t) for _, t in free]
    assert all(70 < drawn.count(form) < 130 for form in FORMS)


def test_output_forms_under_both_clean_ups():
    """Wrong bodies fail in every form. Right bodies: the authors' clean-up passes only whole functions (fenced or
    bare); ours (lenient) passes every form; the form classifier names each rendered form."""
    from s0repro.evaluate.scoring import score

    task = load_minicode(seed=0)
    problems = task.eval[:3]
    cases = [(p, body, form) for p in problems for body in (p.answer, p.meta["wrong_answer"]) for form in FORMS]
    completions = [render_completion(p, body, form) + "<|im_end|>" for p, body, form in cases]
    passing = {"authors": set(WHOLE_FUNCTION_FORMS), "lenient": set(FORMS)}
    for mode, forms in passing.items():
        verdicts = [s.passed for s in score(task, [p for p, _, _ in cases], completions, cleanup=mode)]
        expected = [body == p.answer and form in forms for p, body, form in cases]
        assert verdicts == expected, mode
    assert [answer_form(c) for c in completions] == [form for _, _, form in cases]
    assert render_completion(problems[0], "    return 1\n", "body_fenced") == "```python\n    return 1\n```\n"
    with pytest.raises(ValueError, match="unknown output form"):
        render_completion(problems[0], "    return 1\n", "function_note")


def test_bad_seed_is_a_user_error():
    with pytest.raises(UserError, match="task.seed"):
        load_minicode(seed="zero")
