"""The runner end to end on a tiny random model, with a fake evaluator handed in (tests/results/fake_evaluate.py).

What is asserted: which cells run and in which order, what is cached (model, baseline, verified sets), what a result
file holds, that finished cells are skipped and ``force`` re-runs them, that a killed cell leaves nothing behind, and
that bad input stops before anything under results/ changes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from s0repro.conf import compose
from s0repro.errors import UserError
from s0repro.paths import REPO_ROOT
from s0repro.results.schema import iter_results, read_result, validate_result
from s0repro.run import CellsFailed, main
from s0repro.run import run as run_with
from tests.results import fake_evaluate
from tests.results.wandb_file import read_back

TINY = ["+exp=qwen3_5", "scale=tiny", "model=tiny_gdn", "logger=none", "progress=false", "train.steps=1", "workers=1"]


EVALUATOR = fake_evaluate.FakeEvaluator()


@pytest.fixture
def fakes():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is faster, and the box is shared
    EVALUATOR.calls.clear()
    yield EVALUATOR.calls
    torch.set_num_threads(threads)


def run(cfg, overrides) -> list[dict]:
    return run_with(cfg, overrides, evaluator=EVALUATOR)


def go(tmp_path: Path, *overrides: str) -> list[dict]:
    args = [*TINY, f"results_dir={tmp_path / 'results'}", *overrides]
    return run(compose(args), args)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_an_experiment_runs_every_arm_for_every_seed_and_caches_what_it_can(tmp_path, fakes):
    payloads = go(tmp_path, "seed=0..1")
    assert [(p["method"], p["seed"]) for p in payloads] == [
        (m, s) for s in (0, 1) for m in ("none", "lora", "state_offset", "s0", "s0_unverified")]
    results = iter_results(tmp_path / "results", "tiny_qwen3_5")
    assert len(results) == 10
    assert (tmp_path / "results/tiny_qwen3_5/minicode/s0/seed_0/result.json").is_file()  # seed 0 is a seed
    # one baseline evaluation serves every cell; the none arm *is* it
    assert fakes["evaluate_base"] == 1 and fakes["evaluate_tuned"] == 8
    assert fakes["verified"] == 4  # (seed 0, seed 1) x (verified, unverified), shared by the four tuned arms
    base = {r["seed"]: r for r in results if r["method"] == "none"}
    for r in results:
        assert r["eval"]["baseline_score"] == base[r["seed"]]["eval"]["score"]
    assert base[0]["train"] is None and base[0]["eval"]["correct"] == base[1]["eval"]["correct"]


def test_a_result_file_holds_run_train_eval_and_meta_info_and_the_artefact(tmp_path, fakes):
    (payload,) = go(tmp_path, "method=s0", "seed=3", "train.steps=2")
    path = tmp_path / "results/tiny_qwen3_5/minicode/s0/seed_3/result.json"
    result = read_result(path)
    assert result == json.loads(json.dumps(payload, default=str))
    validate_result(result)
    assert result["run"]["config"]["exp_name"] == "tiny_qwen3_5" and result["run"]["config"]["seed"] == 3
    assert result["run"]["arm"]["train"]["steps"] == 2 and result["run"]["arm"]["method"]["name"] == "s0"
    assert len(result["run"]["git_commit"] or "x" * 40) == 40 and result["run"]["git_dirty"] in (True, False, None)
    train = result["train"]
    assert len(train["losses"]) == train["steps"] == 2
    assert train["num_examples"] == 2 and train["n_train_problems"] == 3  # (3 + i) % 3 != 0 keeps 2 of 3
    assert train["trainable_params"] == result["method_info"]["trainable_params"] == 3 * 4 * 16 * 16
    ev = result["eval"]
    assert ev["n"] == fake_evaluate.N_EVAL == len(ev["correct"]) == len(ev["task_ids"])
    assert ev["score"] == pytest.approx(sum(ev["correct"]) / ev["n"])
    assert (ev["metric"], ev["batch_size"], ev["padding_side"]) == ("pass@1", 16, "left")
    assert set(result["meta"]) >= {"versions", "hardware", "dataset", "model"}
    assert result["meta"]["model"]["name"] == "tiny_gdn"
    artefact = path.parent / result["artefact"]
    assert (artefact / "s0_state.safetensors").is_file() and (artefact / "s0_config.json").is_file()
    records = (path.parent / result["files"]["eval_records"]).read_text().splitlines()
    assert [json.loads(line)["task_id"] for line in records] == ev["task_ids"]


def test_every_cell_is_scored_under_both_clean_ups_and_names_its_primary(tmp_path, fakes, capsys):
    payloads = go(tmp_path, "method=s0", "seed=0", "eval.cleanup=authors")
    ev = payloads[0]["eval"]
    assert f"pass@1 {100 * ev['score']:.1f}% [lenient {100 * ev['by_cleanup']['lenient']['score']:.1f}%]" in \
        capsys.readouterr().out  # the progress line shows the other clean-up beside the primary
    assert ev["cleanup"] == "authors" and set(ev["by_cleanup"]) == {"authors", "lenient"}
    assert ev["correct"] == ev["by_cleanup"]["authors"]["correct"] and ev["score"] == ev["by_cleanup"]["authors"]["score"]
    for view in ev["by_cleanup"].values():
        assert len(view["correct"]) == len(view["failure_class"]) == ev["n"]
    # the fake's authors verdict is stricter, so it passes a subset of lenient's
    assert all(b for a, b in zip(ev["by_cleanup"]["authors"]["correct"], ev["by_cleanup"]["lenient"]["correct"],
                                 strict=True) if a)
    assert (ev["mode"], ev["baseline"]) == ("fast", "shared")  # scale=tiny: batched, one shared base run
    folder = tmp_path / "results/tiny_qwen3_5/minicode/s0/seed_0"
    records = [json.loads(line) for line in (folder / payloads[0]["files"]["eval_records"]).read_text().splitlines()]
    assert [r["by_cleanup"]["lenient"]["passed"] for r in records] == ev["by_cleanup"]["lenient"]["correct"]
    assert payloads[0]["train"]["sampling"] == {}  # the fake's verified set samples nothing
    (base,) = go(tmp_path, "method=none", "seed=0")  # the none arm records both clean-ups too
    assert set(base["eval"]["by_cleanup"]) == {"authors", "lenient"} and base["eval"]["cleanup"] == "authors"


def test_the_authors_batched_evaluation_records_ours_exact_beside_it(tmp_path, fakes):
    """eval.pads=decay + eval.exact_beside (the transfer experiments): a second generation, one prompt at a time
    and pad-neutral, is scored for the base and the tuned model and kept in eval.beside.exact."""
    (tuned,) = go(tmp_path, "method=s0", "seed=0", "eval.pads=decay", "eval.exact_beside=true", "eval.batch_size=8")
    ev = tuned["eval"]
    assert (ev["mode"], ev["generation"]["pads"], ev["batch_size"]) == ("authors_batched", "decay", 8)
    exact = ev["beside"]["exact"]
    assert exact["generation"] == {"batch_size": 1, "pads": "neutral"}
    assert set(exact["by_cleanup"]) == {"authors", "lenient"} and len(exact["correct"]) == ev["n"]
    assert fakes["evaluate_base"] == 2 and fakes["evaluate_tuned"] == 2  # one extra generation each, no more
    folder = tmp_path / "results/tiny_qwen3_5/minicode/s0/seed_0"
    assert len(list(folder.rglob("eval.exact.jsonl"))) == 1
    (plain,) = go(tmp_path, "method=s0", "seed=1")
    assert plain["eval"]["beside"] == {} and plain["eval"]["mode"] == "fast"


def test_a_per_seed_baseline_is_evaluated_once_per_seed_and_recorded(tmp_path, fakes):
    payloads = go(tmp_path, "method=s0", "seed=0..2", "eval.baseline=per_seed")
    assert fakes["evaluate_base"] == 3 and {p["eval"]["baseline"] for p in payloads} == {"per_seed"}
    assert len(list((tmp_path / "results/.cache/baseline").glob("*-seed*.json"))) == 3
    go(tmp_path, "method=none", "seed=0..2", "eval.baseline=per_seed")
    assert fakes["evaluate_base"] == 3  # each seed's base comes from its own cache entry
    shared = go(tmp_path, "method=s0", "seed=3..4")
    assert fakes["evaluate_base"] == 4 and shared[0]["eval"]["baseline"] == "shared"  # one evaluation, both seeds


def test_finished_cells_are_skipped_and_force_reruns_them(tmp_path, fakes):
    go(tmp_path, "method=s0", "seed=0..1")
    root = tmp_path / "results"
    before = snapshot(root)
    assert go(tmp_path, "method=s0", "seed=0..1") == []
    assert snapshot(root) == before
    assert [p["seed"] for p in go(tmp_path, "method=s0", "seed=0..2")] == [2]  # only the new cell
    assert fakes["evaluate_base"] == 1  # the baseline came from the disk cache in the later process-like runs
    rerun = go(tmp_path, "method=s0", "seed=0", "force=true")
    assert len(rerun) == 1 and fakes["evaluate_base"] == 2  # force recomputes caches too
    cell = root / "tiny_qwen3_5/minicode/s0/seed_0"
    assert [p.name for p in cell.glob("attempt-*")] == [rerun[0]["attempt"]]  # the superseded attempt is gone


def test_a_killed_cell_leaves_nothing_and_is_redone(tmp_path, fakes, monkeypatch):
    go(tmp_path, "method=none", "seed=0")
    root = tmp_path / "results"
    before = snapshot(root)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("s0repro.run.cell.train", killed)
    with pytest.raises(KeyboardInterrupt):
        go(tmp_path, "method=s0", "seed=0")
    cell = root / "tiny_qwen3_5/minicode/s0/seed_0"
    assert not (cell / "result.json").exists() and not list(cell.glob("attempt-*"))
    assert {k: v for k, v in snapshot(root).items() if k in before} == before
    monkeypatch.undo()
    assert [p["method"] for p in go(tmp_path, "method=s0", "seed=0")] == ["s0"]


def test_a_failing_cell_does_not_cost_the_others(tmp_path, fakes, monkeypatch):
    import s0repro.run.cell as runner

    real = runner.train

    def flaky(method, *args, **kwargs):
        if method.name == "lora":
            raise RuntimeError("CUDA out of memory (simulated)")
        return real(method, *args, **kwargs)

    monkeypatch.setattr(runner, "train", flaky)
    with pytest.raises(CellsFailed, match="1 of 5 cells failed"):
        go(tmp_path, "seed=0")
    labels = {r["method"] for r in iter_results(tmp_path / "results")}
    assert labels == {"none", "state_offset", "s0", "s0_unverified"}


def test_s0_on_a_pure_transformer_is_refused_before_anything_is_written(tmp_path, fakes):
    args = ["model=tiny_transformer", "method=s0", "logger=none", f"results_dir={tmp_path / 'results'}"]
    with pytest.raises(UserError, match="cannot run on model tiny_transformer.*pure Transformer"):
        run(compose(args), args)
    assert not list((tmp_path / "results").glob("adhoc"))


def test_a_gpu_only_config_without_cuda_is_one_line(tmp_path, fakes):
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(UserError, match="configured for CUDA only"):
        go(tmp_path, "model.requires_cuda=true")


def test_a_hub_model_without_network_is_one_line(tmp_path, fakes, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    args = ["model=qwen3_5_4b", "model.requires_cuda=false", "method=s0", "logger=none", f"results_dir={tmp_path / 'results'}"]
    with pytest.raises(UserError, match="cannot load Qwen/Qwen3.5-4B") as info:
        run(compose(args), args)
    assert "\n" not in str(info.value)


def test_a_corrupt_result_is_one_line_left_alone_and_the_other_cells_run(tmp_path, fakes, capsys):
    go(tmp_path, "method=none", "seed=0")
    root = tmp_path / "results"
    bad = root / "tiny_qwen3_5/minicode/s0/seed_0/result.json"
    bad.parent.mkdir(parents=True)
    bad.write_text('{"schema_version": 1, "exp": "tiny')
    capsys.readouterr()
    ran = go(tmp_path, "arm=[s0,lora]", "seed=0")
    assert [p["method"] for p in ran] == ["lora"]
    (line,) = [x for x in capsys.readouterr().out.splitlines() if "result.json" in x]
    assert line.startswith(str(bad)) and "unreadable result file" in line and "force=true" in line
    assert bad.read_text() == '{"schema_version": 1, "exp": "tiny'  # kept for inspection
    assert go(tmp_path, "method=s0", "seed=0", "force=true")[0]["method"] == "s0"
    validate_result(json.loads(bad.read_text()))


def test_a_results_dir_that_is_a_file_is_one_line(tmp_path, fakes):
    (tmp_path / "results").write_text("not a directory")
    with pytest.raises(UserError, match="results_dir=.*not a directory"):
        go(tmp_path, "method=s0")
    assert (tmp_path / "results").read_text() == "not a directory"


@pytest.mark.parametrize("args, expected", [
    (["+exp=nope"], "error: unknown exp 'nope'"),
    (["+exp=qwen3_5", "scale=tiny", "seed=3..1"], "error: seed='3..1'"),
    (["+exp=qwen3_5", "scale=tiny", "seed=a"], "error: seed='a'"),
    (["+exp=qwen3_5", "scale=tiny", "train.stpes=1"], "error: unknown config key 'train.stpes'"),
])
def test_the_command_line_reports_bad_input_in_one_line_and_exits_2(args, expected, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(expected) and "\n" not in err


def test_a_seed_list_on_the_command_line_is_a_list_not_a_sweep():
    from s0repro.run import normalise_argv

    assert normalise_argv(["seed=42,7,123"]) == ["seed='42,7,123'"]
    assert normalise_argv(["-m", "seed=42,7,123"]) == ["-m", "seed=42,7,123"]  # Hydra's sweep under -m
    assert normalise_argv(["seed=[1,2]"]) == ["seed=[1,2]"]


def _child_env() -> dict[str, str]:
    """The environment of a child-process run of tests/run/fake_cli.py (the CLI with the fake evaluation stage)."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), WANDB_MODE="disabled", OMP_NUM_THREADS="1")
    env.pop("WANDB_API_KEY", None)
    return env


FAKE_CLI = [sys.executable, "-m", "tests.run.fake_cli"]


def test_the_cli_runs_a_seed_list(tmp_path):
    env = _child_env()
    done = subprocess.run(
        [*FAKE_CLI, *TINY, "method=s0", "seed=4,0", f"results_dir={tmp_path / 'r'}",
         f"hydra.run.dir={tmp_path / 'hydra'}"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "tiny_qwen3_5: 2 cells (1 methods x 2 seeds), 0 finished, 2 to run" in done.stdout
    assert sorted(r["seed"] for r in iter_results(tmp_path / "r")) == [0, 4]
    assert "[2/2] tiny_qwen3_5/minicode/s0 seed=0: pass@1" in done.stdout


@pytest.mark.slow
def test_submitit_local_runs_each_seed_in_its_own_process(tmp_path):
    env = _child_env()
    done = subprocess.run(
        [*FAKE_CLI, "-m", "hydra/launcher=submitit_local", *TINY, "method=s0", "seed=0,1",
         f"results_dir={tmp_path / 'r'}", f"hydra.sweep.dir={tmp_path / 'sweep'}", "hydra.launcher.timeout_min=10"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = iter_results(tmp_path / "r")
    assert sorted(r["seed"] for r in results) == [0, 1]
    pids = {r["run"]["pid"] for r in results}
    assert len(pids) == 2 and os.getpid() not in pids


def test_each_cell_is_one_offline_wandb_run_and_the_result_points_to_it(tmp_path, fakes, monkeypatch):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    (payload,) = go(tmp_path, "method=s0", "seed=0", "logger=wandb", f"logger.dir={tmp_path}")
    run_dir = Path(payload["run"]["wandb_run"])
    assert run_dir.parent == tmp_path / "wandb" and run_dir.name.startswith("offline-run-")
    back = read_back(next(run_dir.glob("run-*.wandb")))
    assert (back["run"]["group"], back["run"]["job_type"]) == ("tiny_qwen3_5", "s0")
    assert back["config"]["exp_name"] == "tiny_qwen3_5" and back["config"]["arm"]["label"] == "s0"
    assert back["config"]["seed"] == 0
    assert back["summary"]["eval/score"] == payload["eval"]["score"]
    assert back["summary"]["train/loss"] == pytest.approx(payload["train"]["losses"][-1])


def test_a_wandb_failure_never_costs_the_local_result(tmp_path, fakes, monkeypatch):
    import wandb

    def broken(*args, **kwargs):
        raise RuntimeError("W&B is down")

    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setattr(wandb, "Table", broken)  # fails mid-run, after init
    monkeypatch.setattr(wandb, "Artifact", broken)
    (payload,) = go(tmp_path, "method=s0", "seed=0", "logger=wandb", "logger.mode=offline", f"logger.dir={tmp_path}")
    assert read_result(tmp_path / "results/tiny_qwen3_5/minicode/s0/seed_0/result.json")["seed"] == 0
    monkeypatch.setattr(wandb, "init", broken)  # fails at the start
    (payload,) = go(tmp_path, "method=s0", "seed=1", "logger=wandb", "logger.mode=offline", f"logger.dir={tmp_path}")
    assert payload["run"]["wandb_run"] is None
    assert read_result(tmp_path / "results/tiny_qwen3_5/minicode/s0/seed_1/result.json")["seed"] == 1


def test_a_suite_runs_its_experiments_one_after_another(tmp_path, fakes, capsys):
    args = ["+exp=table1", "scale=tiny", "model=tiny_gdn", "logger=none", "progress=false", "train.steps=1", "seed=0",
            "method=state_offset", f"results_dir={tmp_path / 'results'}"]
    payloads = run(compose(args), args)
    assert [(p["exp"], p["method"]) for p in payloads] == [("tiny_qwen3_5", "state_offset")]
    assert "tiny_falcon_h1: skipped (experiment tiny_falcon_h1 does not compare method 'state_offset'" in \
        capsys.readouterr().out
    args[7] = "method=s0"
    assert [p["exp"] for p in run(compose(args), args)] == ["tiny_qwen3_5", "tiny_falcon_h1"]


def test_the_tracker_is_finished_even_when_a_cell_is_interrupted(tmp_path, fakes, monkeypatch):
    import s0repro.run.cell as runner

    finished = []

    class Spy:
        run_path = None

        def log_step(self, step, loss):
            raise KeyboardInterrupt

        def log_result(self, *args):
            pass

        def finish(self):
            finished.append(True)

    monkeypatch.setattr(runner, "make_tracker", lambda *a, **k: Spy())
    with pytest.raises(KeyboardInterrupt):
        go(tmp_path, "method=s0", "seed=0")
    assert finished == [True]


def test_a_method_that_leaves_the_model_changed_gets_a_fresh_model(tmp_path, fakes, monkeypatch, caplog):
    import torch

    from s0repro.methods.s0 import S0Method

    real_detach = S0Method.detach

    def sloppy(self):
        model = real_detach(self)
        with torch.no_grad():
            next(model.parameters()).add_(1.0)  # a bug: the base weights changed
        return model

    monkeypatch.setattr(S0Method, "detach", sloppy)
    go(tmp_path, "method=s0", "seed=0")
    assert "method s0 did not give the base model back unchanged; reloading it" in caplog.text
    monkeypatch.setattr(S0Method, "detach", real_detach)
    caplog.clear()
    go(tmp_path, "method=s0", "seed=1")  # the reloaded model is the base model again
    assert "did not give the base model back" not in caplog.text


def test_a_dry_run_lists_the_cells_and_touches_nothing(tmp_path, fakes, capsys):
    go(tmp_path, "method=s0", "seed=0")
    before, calls = snapshot(tmp_path / "results"), dict(fakes)
    assert go(tmp_path, "seed=0..1", "dry_run=true") == []
    out = capsys.readouterr().out
    assert "tiny_qwen3_5/minicode/s0 seed=0: finished" in out and "tiny_qwen3_5/minicode/s0 seed=1: to run" in out
    assert out.count(": to run") == 9
    assert snapshot(tmp_path / "results") == before and dict(fakes) == calls  # nothing loaded, nothing run


def test_a_dry_run_does_not_create_the_results_dir(tmp_path, fakes, capsys):
    assert go(tmp_path, "seed=0", "dry_run=true") == []
    assert capsys.readouterr().out.count(": to run") == 5
    assert not (tmp_path / "results").exists() and not fakes  # nothing written, nothing loaded


def test_a_copy_of_the_none_method_skips_training_like_none(tmp_path, fakes, monkeypatch):
    """``methods/none.py`` copied under another name (the README's way to add a method): a method without trainable
    parameters is never trained, whatever its name; its result is the frozen model's evaluation."""
    import importlib.util

    from s0repro.methods import base

    monkeypatch.setattr(base, "REGISTRY", dict(base.discover()))
    source = (REPO_ROOT / "s0repro/methods/none.py").read_text()
    copy = tmp_path / "frozen_copy.py"
    copy.write_text(source.replace('name = "none"', 'name = "frozen_copy"')
                    .replace('name: str = "none"', 'name: str = "frozen_copy"'))
    spec = importlib.util.spec_from_file_location("frozen_copy", copy)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "frozen_copy", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    assert "frozen_copy" in base.REGISTRY
    args = ["model=tiny_gdn", "method=none", "method.name=frozen_copy", "logger=none", "progress=false",
            f"results_dir={tmp_path / 'results'}"]
    (payload,) = run(compose(args), args)
    assert payload["method_name"] == "frozen_copy" and payload["train"] is None
    assert fakes["verified"] == 0 and fakes["evaluate_tuned"] == 0  # no sampling, no second evaluation
