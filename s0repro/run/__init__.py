"""``python -m s0repro.run``: run an experiment's cells and write one result file per cell.

    python -m s0repro.run +exp=qwen3_5 scale=tiny           # every arm x every seed, CPU-sized (conf/scale/tiny.yaml)
    python -m s0repro.run +exp=falcon_h1 scale=tiny seed=0..2   # seeds 0, 1, 2 (inclusive); seed=42,7,123 a list
    python -m s0repro.run +exp=qwen3_5 method=s0            # only the S0 arm
    python -m s0repro.run +exp=layer_groups arm=s0_late     # one arm by its label (arm=[lora_r64,none]: several)
    python -m s0repro.run +exp=qwen3_5 scale=tiny method=s0 train.verified=false   # the s0_unverified arm
    python -m s0repro.run +exp=table1 scale=tiny            # a suite: qwen3_5, then falcon_h1
    python -m s0repro.run +exp=qwen3_5 dry_run=true         # list the cells, finished or not; run nothing
    python -m s0repro.run model=tiny_gdn task=minicode method=s0 method.alpha=0.1   # one method, no experiment
    python -m s0repro.run -m +exp=qwen3_5 scale=tiny seed=0,1 hydra/launcher=submitit_local  # one process a seed
    python -m s0repro.run -m +exp=qwen3_5 seed=42,7,123 hydra/launcher=submitit_slurm \\
        hydra.launcher.partition=gpu hydra.launcher.gpus_per_node=1 hydra.launcher.timeout_min=240

One file a job: :mod:`.cli` (argv, the pre-check, sweeps, Hydra), :mod:`.jobs` (a launcher's jobs on the
terminal), :mod:`.cells` (the run loop: serial or a pool),
:mod:`.prepare` (plan, skip what is finished) and :mod:`.listing` (what it prints first), :mod:`.serial` (one cell
after another) and :mod:`.workers` (the pool), :mod:`.cell` (one cell to its result file) with :mod:`.cell_record`
(its record) and :mod:`.status` (its status line), :mod:`.session` (what the cells of one process share: model, task,
cached baseline and verified sets, reached through the evaluator handed in). The result record is
:mod:`s0repro.results.record`; git state, seeding and the code digest are :mod:`s0repro.provenance`.

A finished cell is skipped (``force=true`` re-runs it and refreshes the cached baseline). Bad input is one line on
stderr and exit status 2, before anything under results/ is touched; a cell that crashes is reported and the others
still run (exit status 1 at the end; re-running retries only the missing cells). Ctrl-C is one line and exit status
130; finished cells are kept, the cell in progress leaves nothing. More than ``max_cells`` (1,000) cells is refused
with the count unless ``max_cells=N`` is raised.
"""

from s0repro.run.cells import run, run_experiment
from s0repro.run.cli import main, normalise_argv, precheck
from s0repro.run.session import Evaluator, Session, StageEvaluator
from s0repro.run.status import CellsFailed

__all__ = ["CellsFailed", "Evaluator", "Session", "StageEvaluator", "main", "normalise_argv", "precheck", "run",
           "run_experiment"]
