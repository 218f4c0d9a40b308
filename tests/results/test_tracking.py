"""W&B tracking: an offline run, read back from its .wandb file, holds the right grouping, config and summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from s0repro.paths import REPO_ROOT
from s0repro.results.tracking import (
    LoggerConfig,
    NullTracker,
    WandbTracker,
    cell_run_id,
    make_tracker,
    wandb_mode,
)
from tests.results.wandb_file import read_back, read_wandb_file

PAYLOAD = {"exp": "tiny_qwen3_5", "task": "minicode", "method": "s0", "seed": 0,
           "train": {"losses": [2.0, 1.5, 1.25], "steps": 3, "seconds": 0.5, "num_examples": 4,
                     "trainable_params": 3072},
           "eval": {"metric": "pass@1", "score": 0.5, "n": 2, "baseline_score": 0.25, "cleanup": "authors",
                    "failure_types": {"passed": 1, "wrong_answer": 1},
                    "by_cleanup": {
                        "authors": {"score": 0.5, "failure_classes": {
                            "passed": 1, "no_code": 0, "format": 0, "syntax": 0, "runtime_error": 0,
                            "wrong_answer": 1, "timeout": 0}},
                        "lenient": {"score": 1.0, "failure_classes": {
                            "passed": 2, "no_code": 0, "format": 0, "syntax": 0, "runtime_error": 0,
                            "wrong_answer": 0, "timeout": 0}}}}}
RECORDS = [{"task_id": "m/0", "passed": True, "failure_type": "passed"},
           {"task_id": "m/1", "passed": False, "failure_type": "wrong_answer"}]


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("WANDB_SILENT", "true")


def wandb_files(root: Path) -> list[Path]:
    return sorted(root.glob("wandb/offline-run-*/run-*.wandb"))


def test_an_offline_run_is_written_with_its_config_grouping_and_summary(tmp_path, offline):
    artefact = tmp_path / "artefact"
    artefact.mkdir()
    (artefact / "s0_config.json").write_text("{}")
    tracker = make_tracker(LoggerConfig(), exp="tiny_qwen3_5", task="minicode", label="s0", method="s0", seed=0,
                           config={"model": {"name": "tiny_gdn"}, "train": {"steps": 3}}, directory=tmp_path)
    assert isinstance(tracker, WandbTracker) and tracker.run is not None
    for step, loss in enumerate(PAYLOAD["train"]["losses"]):
        tracker.log_step(step, loss)
    tracker.log_result(PAYLOAD, RECORDS, artefact)
    tracker.finish()
    (path,) = wandb_files(tmp_path)
    assert Path(tracker.run_path) == path.parent
    back = read_back(path)
    assert back["complete"]
    assert back["run"]["group"] == "tiny_qwen3_5" and back["run"]["job_type"] == "s0"
    assert back["run"]["name"] == "tiny_qwen3_5/minicode/s0/seed_0"
    assert {"tiny_qwen3_5", "minicode", "s0", "seed_0"} <= set(back["run"]["tags"])
    assert back["config"] == {"model": {"name": "tiny_gdn"}, "train": {"steps": 3}}
    summary = back["summary"]
    assert summary["eval/score"] == 0.5 and summary["eval/pass@1"] == 0.5
    assert summary["eval/delta_pp"] == pytest.approx(25.0)
    assert summary["train/loss"] == 1.25 and summary["train/final_loss"] == 1.25
    assert summary["eval/failures/wrong_answer"] == 1 and summary["eval/failures/format"] == 0
    assert summary["eval/authors/pass@1"] == 0.5 and summary["eval/lenient/pass@1"] == 1.0
    assert summary["eval/lenient/failures/wrong_answer"] == 0
    failure_keys = {k.rsplit("/", 1)[1] for k in summary if k.startswith("eval/failures/")}
    assert failure_keys == {"passed", "no_code", "format", "syntax", "runtime_error", "wrong_answer", "timeout"}
    assert summary["eval/problems"]["_type"] == "table-file"  # the per-problem table was logged


def test_a_failing_wandb_is_a_warning_not_an_error(tmp_path, offline, monkeypatch, caplog):
    import wandb

    def broken(*args, **kwargs):
        raise RuntimeError("wandb service exploded")

    monkeypatch.setattr(wandb, "init", broken)
    tracker = make_tracker(LoggerConfig(), exp="e", task="t", label="s0", method="s0", seed=0, config={},
                           directory=tmp_path)
    tracker.log_step(0, 1.0)
    tracker.log_result(PAYLOAD, RECORDS, None)
    tracker.finish()
    assert tracker.run_path is None
    assert "W&B could not start (RuntimeError: wandb service exploded)" in caplog.text


def test_logger_none_and_disabled_track_nothing(tmp_path, monkeypatch):
    cfg = LoggerConfig(kind="none")
    assert isinstance(make_tracker(cfg, exp="e", task="t", label="s0", method="s0", seed=0, config={},
                                   directory=tmp_path), NullTracker)
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert isinstance(make_tracker(LoggerConfig(), exp="e", task="t", label="s0", method="s0", seed=0, config={},
                                   directory=tmp_path), NullTracker)
    assert not (tmp_path / "wandb").exists()


def test_mode_auto_is_offline_without_an_api_key(monkeypatch):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    assert wandb_mode("auto") == "offline"
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert wandb_mode("auto") == "online"
    assert wandb_mode("offline") == "offline"


def test_a_file_that_is_not_a_wandb_log_is_refused(tmp_path):
    bad = tmp_path / "run-x.wandb"
    bad.write_bytes(b"PK\x03\x04 something else")
    with pytest.raises(ValueError, match="not a .wandb file"):
        read_wandb_file(bad)


def test_importing_the_results_stage_imports_no_other_stage():
    """Tables, stats and notebooks read results without torch, peft or the pipeline's earlier stages."""
    import subprocess
    import sys

    code = ("import sys, s0repro.results, s0repro.results.tracking, s0repro.results.record, s0repro.results.store\n"
            "heavy = ('torch', 'peft', 'transformers', 's0repro.conf', 's0repro.methods', 's0repro.models', "
            "'s0repro.train', 's0repro.evaluate', 's0repro.data', 's0repro.run')\n"
            "print(sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') for h in heavy)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


ARM_CONFIG = {"method": {"name": "s0", "lr": 1e-3, "alpha": None}, "train": {"lr": None, "steps": 3},
              "arm": {"label": "s0", "method": {"lr": 3e-3, "alpha": 1.0}, "train": {"lr": 3e-3, "steps": 3}}}


def start(tmp_path: Path, seed: int = 0) -> WandbTracker:
    tracker = make_tracker(LoggerConfig(log_artifact=False), exp="tiny_qwen3_5", task="minicode", label="s0",
                           method="s0", seed=seed, config=ARM_CONFIG, directory=tmp_path)
    assert isinstance(tracker, WandbTracker) and tracker.run is not None
    return tracker


def test_a_rerun_cell_is_the_same_run_and_an_interrupted_one_is_marked_failed(tmp_path, offline):
    interrupted = start(tmp_path)
    interrupted.log_step(0, 2.0)
    interrupted.finish()  # no result logged: Ctrl-C or an error inside the cell
    (first,) = wandb_files(tmp_path)
    back = read_back(first)
    assert back["exit_code"] == 1
    assert back["run"]["run_id"] == cell_run_id("s0repro", "tiny_qwen3_5/minicode/s0/seed_0")

    rerun = start(tmp_path)  # force=true / resume after the interruption
    rerun.log_step(0, 2.0)
    rerun.log_result(PAYLOAD, RECORDS, None)
    rerun.finish()
    (second,) = wandb_files(tmp_path)  # the superseded offline folder is gone: one cell, one run
    back = read_back(second)
    assert back["exit_code"] == 0 and back["run"]["run_id"] == cell_run_id("s0repro", "tiny_qwen3_5/minicode/s0/seed_0")
    other = start(tmp_path, seed=1)
    other.finish()
    assert len(wandb_files(tmp_path)) == 2  # another seed is another run


def test_the_top_level_config_holds_the_values_the_cell_used(tmp_path, offline):
    tracker = start(tmp_path)
    tracker.log_result(PAYLOAD, RECORDS, None)
    tracker.finish()
    back = read_back(wandb_files(tmp_path)[0])
    assert back["config"]["method"] == {"name": "s0", "lr": 3e-3, "alpha": 1.0}
    assert back["config"]["train"] == {"lr": 3e-3, "steps": 3}
    assert back["config"]["arm"]["label"] == "s0"


def test_an_offline_folder_reads_as_text_and_its_table_says_which_problems_passed(tmp_path, offline):
    tracker = start(tmp_path)
    tracker.log_step(0, 1.5)
    tracker.log_result(PAYLOAD, RECORDS, None)
    tracker.finish()
    files = Path(tracker.run_path) / "files"
    config = yaml.safe_load((files / "config.yaml").read_text())
    assert config["method"]["value"]["lr"] == 3e-3 and config["train"]["value"]["lr"] == 3e-3
    summary = json.loads((files / "wandb-summary.json").read_text())
    assert summary["eval/score"] == 0.5 and summary["train/loss"] == 1.5
    (table_file,) = files.glob("media/table/eval/problems_*.table.json")
    table = json.loads(table_file.read_text())
    correct = [row[table["columns"].index("correct")] for row in table["data"]]
    assert correct == [True, False] and "passed" not in table["columns"]


def run_cell_into(store: Path, wandb_dir: Path, *, complete: bool = True, label: str = "s0") -> WandbTracker:
    """One cell's tracker as the runner makes it (config with ``results_dir``); completed: its result.json is written
    first, naming the run, as the runner commits before logging."""
    tracker = make_tracker(LoggerConfig(log_artifact=False), exp="e", task="t", label=label, method="s0", seed=0,
                           config={**ARM_CONFIG, "results_dir": str(store)}, directory=wandb_dir)
    assert isinstance(tracker, WandbTracker) and tracker.run is not None
    if complete:
        result = store / "e" / "t" / label / "seed_0" / "result.json"
        result.parent.mkdir(parents=True, exist_ok=True)
        result.write_text(json.dumps({"run": {"wandb_run": tracker.run_path}}))
        tracker.log_result(PAYLOAD, RECORDS, None)
    tracker.finish()
    return tracker


def test_the_same_cell_in_two_result_stores_keeps_two_runs(tmp_path, offline):
    main, other = run_cell_into(tmp_path / "results", tmp_path), run_cell_into(tmp_path / "other_results", tmp_path)
    assert main.run_id != other.run_id
    assert len(wandb_files(tmp_path)) == 2
    for store in ("results", "other_results"):
        named = json.loads((tmp_path / store / "e/t/s0/seed_0/result.json").read_text())["run"]["wandb_run"]
        assert Path(named).is_dir()


def test_a_folder_a_result_names_is_kept_and_a_resumed_cell_stays_one_run(tmp_path, offline):
    store = tmp_path / "results"
    first = run_cell_into(store, tmp_path)
    interrupted = run_cell_into(store, tmp_path, complete=False)  # Ctrl-C in a force=true re-run
    assert Path(first.run_path).is_dir() and Path(interrupted.run_path).is_dir()
    assert interrupted.run_id == first.run_id
    again = run_cell_into(store, tmp_path)  # the re-run that finishes: its result names it, the others go
    assert [p.parent for p in wandb_files(tmp_path)] == [Path(again.run_path)]


def test_a_newer_run_does_not_remove_the_folder_the_result_still_names(tmp_path, offline):
    store = tmp_path / "results"
    first = run_cell_into(store, tmp_path)
    result = store / "e/t/s0/seed_0/result.json"
    kept = result.read_text()
    tracker = make_tracker(LoggerConfig(log_artifact=False), exp="e", task="t", label="s0", method="s0", seed=0,
                           config={**ARM_CONFIG, "results_dir": str(store)}, directory=tmp_path)
    tracker.log_result(PAYLOAD, RECORDS, None)  # logged, but the result on disk was not replaced
    tracker.finish()
    assert result.read_text() == kept and Path(first.run_path).is_dir()


def test_the_unverified_control_shows_train_verified_false(tmp_path, offline):
    config = {**ARM_CONFIG, "train": {"lr": None, "steps": 3, "verified": True},
              "arm": {**ARM_CONFIG["arm"], "label": "s0_unverified", "verified": False}}
    tracker = make_tracker(LoggerConfig(log_artifact=False), exp="e", task="t", label="s0_unverified", method="s0",
                           seed=0, config=config, directory=tmp_path)
    tracker.log_result(PAYLOAD, RECORDS, None)
    tracker.finish()
    back = read_back(wandb_files(tmp_path)[0])
    assert back["config"]["train"]["verified"] is False and back["config"]["train"]["lr"] == 3e-3


def test_logging_the_artefact_prints_nothing(tmp_path, offline, capfd, monkeypatch):
    artefact = tmp_path / "artefact"
    artefact.mkdir()
    (artefact / "s0_config.json").write_text("{}")
    from wandb.errors import term

    tracker = make_tracker(LoggerConfig(), exp="e", task="t", label="s0", method="s0", seed=0, config={},
                           directory=tmp_path)
    monkeypatch.setattr(term, "_silent", False)  # as in a worker process, where wandb's terminal log is on
    monkeypatch.setattr(term, "_show_info", True)
    tracker.log_result(PAYLOAD, RECORDS, artefact)
    tracker.finish()
    assert "Adding directory to artifact" not in capfd.readouterr().err
