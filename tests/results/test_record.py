"""The typed result record: what the runner builds is a schema-valid result, and it cannot be written half-done."""

from __future__ import annotations

import pytest

from s0repro.evaluate.scoring import EvalResult
from s0repro.results.record import EvalInfo, ResultRecord, RunInfo
from s0repro.results.schema import validate_result


def _record() -> ResultRecord:
    evaluation = EvalResult(score=0.5, correct=[True, False], task_ids=["t/0", "t/1"],
                            failure_types={"none": 1, "syntax": 1}, records=[], generation={"do_sample": False},
                            cleanup="authors",
                            by_cleanup={"authors": {"score": 0.5, "correct": [True, False]},
                                        "lenient": {"score": 1.0, "correct": [True, True]}})
    info = EvalInfo.of(evaluation, kind="math", baseline_score=0.25, batch_size=1, padding_side="left",
                       max_new_tokens=512, baseline="per_seed")
    return ResultRecord(exp="e", task="t", method="none", method_name="none", seed=0, attempt="attempt-x", train=None,
                        eval=info, method_info={}, meta={}, artefact=None, files={})


def test_a_record_becomes_a_valid_result_once_its_run_info_is_in():
    record = _record()
    with pytest.raises(ValueError, match="no run info"):
        record.to_json()
    record.run = RunInfo(config={}, arm={}, git_commit=None, git_dirty=None, started="s", finished="f", seconds=1.0,
                         wandb_run=None, host="h", pid=1, argv=[])
    payload = validate_result(record.to_json())
    assert payload["eval"]["metric"] == "accuracy" and payload["eval"]["n"] == 2
    assert payload["eval"]["correct"] == [True, False] and payload["eval"]["baseline_score"] == 0.25
    assert payload["schema_version"] == 1 and payload["run"]["git_commit"] is None
    assert (payload["eval"]["cleanup"], payload["eval"]["mode"], payload["eval"]["baseline"]) == (
        "authors", "paper", "per_seed")
    assert payload["eval"]["by_cleanup"]["lenient"]["correct"] == [True, True]
