"""The worker pool: a parallel run writes the same result files as a serial one; a crash costs only its own cell.

The fake evaluator (tests/results/fake_evaluate.py) scores each problem from one forward pass of the tuned model, so
per-problem verdicts, losses and scores all depend on the training that ran in the worker."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from s0repro.conf import arm_labels, compose, plan_runs, to_settings
from s0repro.run import CellsFailed
from s0repro.run import run as run_with
from s0repro.run.workers import plan_jobs, pool_size
from tests.results import fake_evaluate

ARGS = ["+exp=qwen3_5", "scale=tiny", "model=tiny_gdn", "logger=none", "progress=false", "train.steps=2", "seed=0..1"]
VOLATILE = {"run", "meta", "attempt", "artefact", "files"}  # provenance, timestamps, attempt ids
MEASURED = {"seconds", "peak_memory_mb"}  # of the training, per process


def go(root: Path, workers: int, *extra: str) -> list[dict]:
    args = [*ARGS, f"results_dir={root}", f"workers={workers}", *extra]
    return run_with(compose(args), args, evaluator=fake_evaluate.FakeEvaluator())


def comparable(root: Path) -> dict[str, object]:
    """Every result file without its provenance, and every cell's per-problem records."""
    out: dict[str, object] = {}
    for path in sorted(root.rglob("result.json")):
        payload = json.loads(path.read_text())
        cell = str(path.parent.relative_to(root))
        out[cell] = {k: v for k, v in payload.items() if k not in VOLATILE}
        if payload["train"]:
            out[cell]["train"] = {k: v for k, v in payload["train"].items() if k not in MEASURED}
        out[cell + "/eval.jsonl"] = (path.parent / payload["files"]["eval_records"]).read_text()
    return out


@pytest.fixture
def one_thread():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_parallel_and_serial_runs_write_the_same_results(tmp_path, one_thread):
    serial = go(tmp_path / "serial", 1)
    parallel = go(tmp_path / "parallel", 2)
    assert [(p["method"], p["seed"]) for p in parallel] == [(p["method"], p["seed"]) for p in serial]
    assert len(serial) == 2 * len(arm_labels(compose(ARGS)))  # every arm x 2 seeds
    assert len({p["run"]["pid"] for p in parallel} - {os.getpid()}) == 2  # both workers ran cells
    a, b = comparable(tmp_path / "serial"), comparable(tmp_path / "parallel")
    assert len(a) == 2 * len(serial) and a == b
    losses = [p["train"]["losses"] for p in serial if p["train"]]
    assert all(len(x) == 2 and x[0] != x[1] for x in losses)  # training really ran in the compared cells


class CrashingEvaluator(fake_evaluate.FakeEvaluator):
    """Its process exits hard (no exception, no clean-up) when asked for seed 1's verified training set."""

    def verified_set(self, *args, seed: int, verified: bool = True, **kwargs):
        if seed == 1 and verified:
            os._exit(3)
        return super().verified_set(*args, seed=seed, verified=verified, **kwargs)


def test_a_worker_that_dies_costs_only_its_cell(tmp_path, one_thread, capsys):
    args = [*ARGS[:6], "seed=0..2", "method=s0", f"results_dir={tmp_path}", "workers=2"]
    with pytest.raises(CellsFailed, match=r"1 of 3 cells failed \(tiny_qwen3_5/minicode/s0 seed=1\)"):
        run_with(compose(args), args, evaluator=CrashingEvaluator())
    assert "tiny_qwen3_5/minicode/s0 seed=1: FAILED (its worker process died (exit code 3))" in capsys.readouterr().out
    assert sorted(str(p.parent.relative_to(tmp_path / "tiny_qwen3_5/minicode")) for p in tmp_path.rglob("result.json")) \
        == ["s0/seed_0", "s0/seed_2"]


def test_the_default_is_one_worker_per_core_for_tiny_cpu_runs_and_one_otherwise():
    tiny = to_settings(compose(["model=tiny_gdn", "model.device=cpu"]))
    assert pool_size(tiny) == len(os.sched_getaffinity(0))
    assert pool_size(to_settings(compose(["model=tiny_gdn", "model.device=cpu", "workers=3"]))) == 3
    assert pool_size(to_settings(compose(["model=tiny_gdn", "model.device=cuda"]))) == 1


def test_shared_artefacts_are_one_job_each_and_come_before_the_cells_that_read_them():
    args = list(ARGS)
    jobs = plan_jobs(plan_runs(compose(args), args))
    assert [j.name for j in jobs[:3]] == ["baseline", "samples seed=0", "samples seed=1"]  # one per seed, not per arm
    cells = jobs[3:]
    assert len(cells) == 10 and all(j.kind == "cell" for j in cells)
    for job in cells:
        expected = ("baseline",) if job.spec.method == "none" else ("baseline", f"samples seed={job.spec.seed}")
        assert job.needs == expected, job.name
    per_seed = plan_jobs(plan_runs(compose(args), args), per_seed_baseline=True)
    assert [j.name for j in per_seed if j.kind == "baseline"] == ["baseline seed=0", "baseline seed=1"]
    assert [j.seed for j in per_seed if j.kind == "baseline"] == [0, 1]
    assert all(j.needs[0] == f"baseline seed={j.spec.seed}" for j in per_seed if j.kind == "cell")


def test_cells_that_train_longest_are_dispatched_first():
    """Full passes over the training set (S0, the state offset) before LoRA's one-example steps before none: the
    short cells fill the cores at the end instead of a long one running alone."""
    args = list(ARGS)
    cells = [j for j in plan_jobs(plan_runs(compose(args), args)) if j.kind == "cell"]
    order = [(j.spec.label, j.spec.seed) for j in cells]
    full_pass = [(label, seed) for seed in (0, 1) for label in ("state_offset", "s0", "s0_unverified")]
    assert sorted(order[:6]) == sorted(full_pass) and [seed for _, seed in order[:6]] == [0, 0, 0, 1, 1, 1]
    assert order[6:] == [("lora", 0), ("lora", 1), ("none", 0), ("none", 1)]


def test_a_suite_runs_in_one_pool_with_the_serial_results(tmp_path, one_thread, monkeypatch):
    """Both experiments of the tiny Table 1 go through one pool of two workers (no second pool, no idle core between
    the experiments), and the results equal the serial run's."""
    from s0repro.run import workers

    pools = []

    class Counted(workers.Pool):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            pools.append(self)

    monkeypatch.setattr(workers, "Pool", Counted)
    args = ["+exp=table1", "scale=tiny", "model=tiny_gdn", "logger=none", "progress=false", "train.steps=2", "seed=0..1",
            "method=s0"]
    for root, workers_n in ((tmp_path / "serial", 1), (tmp_path / "parallel", 2)):
        run_args = [*args, f"results_dir={root}", f"workers={workers_n}"]
        payloads = run_with(compose(run_args), run_args, evaluator=fake_evaluate.FakeEvaluator())
        assert sorted((p["exp"], p["seed"]) for p in payloads) == [(e, s) for e in ("tiny_falcon_h1", "tiny_qwen3_5")
                                                                   for s in (0, 1)]
    assert len(pools) == 1 and len(pools[0].workers) == 2  # one pool for four cells of two experiments
    parallel = [json.loads(p.read_text()) for p in (tmp_path / "parallel").rglob("result.json")]
    assert {p["run"]["pid"] for p in parallel} <= {w.process.pid for w in pools[0].workers}
    assert comparable(tmp_path / "serial") == comparable(tmp_path / "parallel")


def test_the_pool_shows_one_line_per_cell_and_no_worker_bars(tmp_path, one_thread, capfd):
    go(tmp_path / "r", 2, "progress=true", "arm=[s0,lora]", "seed=0")
    out, err = capfd.readouterr()
    assert "train s0" not in err and "train lora" not in err  # the workers' training bars
    assert sorted(line.split(" seed=")[0].split("/")[-1] for line in out.splitlines() if line.startswith("[")) == [
        "lora", "s0"]
