"""What every table script shares: the command line, loading result files into cells, and finding a cell.

A table names the experiments it reads (``qwen3_5``, ``falcon_h1``...); ``--scale tiny`` reads the same experiments
run at ``scale=tiny``, which write under ``tiny_<exp>`` (conf/scale/tiny.yaml), whose rows are a CPU-sized world, not
comparable with the paper.
A column is further filtered by model family (``meta.model.arch``), so one experiment may hold several models.
Missing cells come back as None and the table prints "not run". ``--scale auto`` (the default) renders what is on
disk: the tiny tables when only ``tiny_`` results exist, the full ones otherwise, and both (tiny into
``<out>/tiny``) when both exist. When an experiment has no ``none`` (base) run, its base is the baseline score every
tuned result records (seed level only: per-problem base verdicts live in the ``none`` run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from experiments.render import (
    DASH,
    NOT_RUN,
    UNREADABLE,
    Bar,
    Table,
    VsRow,
    ci_text,
    mark_unreadable,
    p_text,
    pct,
    vs_table,
)
from s0repro.conf import CONF_DIR, compose
from s0repro.errors import UserError
from s0repro.results import scan_results
from s0repro.results.schema import left_alone
from s0repro.stats import Cell, SeedComparison, group_cells, holm, problem_level, seed_level
from s0repro.stats.ttest import ZERO_VARIANCE
from s0repro.stats.views import ProblemComparison

RESULTS_ENV = "S0REPRO_RESULTS"
CODE_TASKS = ("humaneval", "humaneval_plus", "minicode")
SCALES = ("full", "tiny")
TINY_NOTE = ("SCALE=tiny: tiny models of the same architecture families on minicode (CPU-sized); a test of the "
             "pipeline, not the paper's numbers.")


OFFSET_READINGS = {"readout": "dS in the read-out, o_t = (S_t + dS)^T q_t (Kang et al.; method.where=readout)",
                   "recurrence": "dS added to the state inside the recurrence every step (method.where=recurrence)",
                   None: "not recorded (results from before method.where: the read-out, the only reading then)"}


def offset_notes(cells: Sequence[Cell | None]) -> list[str]:
    """Which reading of the state offset the table's offset cells ran (nothing when none ran)."""
    ran = {c.where for c in cells if c is not None}
    return [f"State offset: {'; '.join(OFFSET_READINGS[w] for w in sorted(ran, key=str))}."] if ran else []


def world(opts: Options, cells: Sequence[Cell | None], full: str) -> str:
    """What a table's rows ran on: the paper's model and task at full scale; at tiny scale the models and tasks the
    result files name (meta.model, task), so a tiny table never carries a paper model's name."""
    if opts.scale != "tiny":
        return full
    found = [c for c in cells if c is not None]
    models = ", ".join(sorted({c.model_id or c.model or "?" for c in found})) or "tiny models"
    tasks = ", ".join(sorted({c.task for c in found})) or "minicode"
    return f"{models} on {tasks} (CPU-sized, not the paper's models)"


def paper_vs(opts: Options, title: str, rows: Sequence[VsRow]) -> list[Table]:
    """The paper-vs-ours table at full scale; none at tiny scale, where "ours" is a CPU-sized world of tiny models
    on minicode and placing the paper's number in its CI would compare things that are not comparable."""
    return [] if opts.scale == "tiny" else [vs_table(title, rows)]


def paper_column(opts: Options, name: str = "paper") -> str:
    """A main table's column of the paper's numbers, named as what it is at tiny scale."""
    return name if opts.scale != "tiny" else f"{name}: the paper's models (not this CPU-sized world)"


def code_task_name(scale: str) -> str:
    return "minicode" if scale == "tiny" else "HumanEval"


@dataclass(frozen=True)
class Options:
    results: Path
    out: Path
    scale: str = "full"
    conf_dir: Path = CONF_DIR  # where the experiments' arms are read (a table's rows follow them)

    def exps(self, name: str) -> list[str]:
        """Experiment names to read for a paper experiment at this scale, most specific first."""
        return [f"tiny_{name}"] if self.scale == "tiny" else [name]


def result_scale(result: dict[str, Any]) -> str:
    """A result's scale: the one it recorded (``run.config.scale.name``, scale=...), else tiny for a tiny model
    (``run.config.model.source``) or a ``tiny_`` experiment, else full."""
    config = (result.get("run") or {}).get("config") or {}
    scale = config.get("scale")
    if isinstance(scale, dict) and scale.get("name"):
        return str(scale["name"])
    tiny = (config.get("model") or {}).get("source") == "tiny" or str(result.get("exp", "")).startswith("tiny_")
    return "tiny" if tiny else "full"


@cache
def experiment_arms(exp: str, conf_dir: Path = CONF_DIR) -> tuple[str, ...]:
    """The arm labels of ``conf/exp/<exp>.yaml`` in the order it lists them; () when there is no such experiment."""
    if not (conf_dir / "exp" / f"{exp}.yaml").is_file():
        return ()
    return tuple(compose([f"+exp={exp}"], conf_dir).get("arms") or {})


def scales_on_disk(root: Path) -> list[str]:
    """The scales whose results are under ``root`` (:func:`result_scale` of each; unreadable files count by their
    experiment's name, and the tables then report them)."""
    found = set()
    for path in root.glob("*/*/*/seed_*/result.json"):
        try:
            found.add(result_scale(json.loads(path.read_text())))
        except (OSError, ValueError):
            found.add("tiny" if path.parts[-5].startswith("tiny_") else "full")
    return ["full", "tiny"] if {"tiny", "full"} <= found else ["tiny"] if "tiny" in found else ["full"]


def parse_all(description: str, argv: Sequence[str] | None = None) -> list[Options]:
    """One Options per scale to render (``--scale auto``: what :func:`scales_on_disk` finds; tiny beside full
    goes into ``<out>/tiny``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--results", type=Path, default=Path(os.environ.get(RESULTS_ENV, "results")),
                        help=f"results root (default: ${RESULTS_ENV} or ./results)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: <results>/tables)")
    parser.add_argument("--scale", choices=(*SCALES, "auto"), default=os.environ.get("SCALE", "auto"),
                        help="full, tiny, or auto (default): the scale(s) of the results on disk")
    args = parser.parse_args(argv)
    out = args.out or args.results / "tables"
    if args.scale not in SCALES:
        scales = scales_on_disk(args.results)
        print(f"tables: SCALE=auto renders {' and '.join(scales)} (the results under {args.results})")
    else:
        scales = [args.scale]
    return [Options(args.results, out if i == 0 else out / scale, scale) for i, scale in enumerate(scales)]


def parse_options(description: str, argv: Sequence[str] | None = None) -> Options:
    return parse_all(description, argv)[0]


def readable_results(root: Path) -> list[dict]:
    """Every readable result under ``root``; an unreadable one is marked (a warning, a line under each table) and
    left on disk as it is, so one damaged file does not stop the other tables."""
    found, unreadable = scan_results(root)
    for err in unreadable:
        mark_unreadable(left_alone(err))
    return found


class Cells:
    """Every cell under a results root, searchable by experiment, task, method label and model family."""

    def __init__(self, root: Path) -> None:
        results = readable_results(root)
        groups: dict[tuple[str, ...], list[dict]] = {}
        for r in results:  # split by model so one experiment can hold several (e.g. the scaling sizes)
            model = (r.get("meta") or {}).get("model") or {}
            key = (r["exp"], r["task"], r["method"], model.get("arch") or "", model.get("hub_id") or model.get("name") or "")
            groups.setdefault(key, []).append(r)
        self.cells: list[Cell] = [cell for group in groups.values() for cell in group_cells(group).values()]
        with_none = {k[:2] + k[3:] for k in groups if k[2] == "none"}
        recorded = [recorded_base(g) for k, g in groups.items() if k[2] != "none" and k[:2] + k[3:] not in with_none]
        self.recorded_bases = _unique_bases([c for c in recorded if c is not None])
        self.cells += self.recorded_bases

    def is_recorded_base(self, cell: Cell | None) -> bool:
        """True for a base made from the tuned results' recorded baseline scores (no ``none`` run on disk)."""
        return any(cell is c for c in self.recorded_bases)

    def find(self, exps: Sequence[str], method: str, tasks: Sequence[str] | None = None,
             arch: str | None = None) -> Cell | None:
        """The first cell matching, in the order of ``exps`` then ``tasks``; None if nothing ran."""
        for exp in exps:
            for task in tasks or [None]:
                for cell in self.cells:
                    if (cell.exp == exp and cell.method == method and (task is None or cell.task == task)
                            and (arch is None or cell.model in (arch, None))):
                        return cell
        return None

    def with_base(self, exps: Sequence[str], method: str, tasks: Sequence[str] | None = None,
                  arch: str | None = None) -> tuple[Cell | None, Cell | None]:
        """A tuned cell and the base (``none``) cell of the same experiment, else of any of ``exps``."""
        tuned = self.find(exps, method, tasks, arch)
        if tuned is None:
            return None, self.find(exps, "none", tasks, arch)
        base = self.find([tuned.exp], "none", [tuned.task], arch) or self.find(exps, "none", tasks, arch)
        return tuned, base

    def methods(self, exps: Sequence[str], prefix: str) -> list[Cell]:
        """All cells of the first experiment that has any method label starting with ``prefix``."""
        for exp in exps:
            found = [c for c in self.cells if c.exp == exp and c.method.startswith(prefix)]
            if found:
                return found
        return []


def recorded_base(results: Sequence[dict]) -> Cell | None:
    """The base cell of an experiment without a ``none`` run: the baseline score its tuned results record.

    Greedy decoding of the frozen model does not depend on the seed, so equal recorded scores are one base run;
    per-problem base verdicts are not in a tuned result, so the cell has no problems (seed-level view only).
    """
    by_seed = {int(r["seed"]): float(r["eval"]["baseline_score"]) for r in results
               if (r.get("eval") or {}).get("baseline_score") is not None}
    if not by_seed:
        return None
    if len(set(by_seed.values())) == 1:
        by_seed = {min(by_seed): next(iter(by_seed.values()))}
    r0 = results[0]
    model = (r0.get("meta") or {}).get("model") or {}
    seeds = tuple(sorted(by_seed))
    return Cell(r0["exp"], r0["task"], "none", seeds, tuple(by_seed[s] for s in seeds), (),
                np.zeros((len(seeds), 0), dtype=bool), None, "none", model.get("arch"),
                model.get("hub_id") or model.get("name"))


def _unique_bases(cells: list[Cell]) -> list[Cell]:
    """One recorded base per (exp, task, model): every tuned label of an experiment records the same baseline."""
    seen: dict[tuple, Cell] = {}
    for c in cells:
        seen.setdefault((c.exp, c.task, c.model, c.model_id), c)
    return list(seen.values())


def compare(tuned: Cell | None, base: Cell | None) -> SeedComparison | None:
    return seed_level(tuned, base) if tuned is not None and base is not None else None


def percent(values: Sequence[float]) -> tuple[float, ...]:
    return tuple(100.0 * v for v in values)


MODEL_NAMES = {"qwen3_5": ("Qwen3.5-4B", "tiny GDN (Qwen3.5 family)"),
               "falcon_h1": ("Falcon-H1-7B", "tiny Mamba-2 (Falcon-H1 family)"),
               "qwen2": ("Qwen2.5-3B-Instruct", "tiny Transformer (Qwen2 family)")}


def model_name(arch: str, scale: str) -> str:
    full, tiny = MODEL_NAMES[arch]
    return tiny if scale == "tiny" else full


STATS_COLUMNS = ["comparison", "seeds (a / b)", "change (pp, mean ± sd)", "seed-level test", "p",
                 "p (Holm, this table)", "95% CI (pp)", "problem-level: bootstrap 95% CI (pp)",
                 "McNemar per seed (Holm, p ≤ 0.05)"]
SEED_VIEW_NOTE = ("Seed-level view (the paper's): each seed's score is one observation; change = mean(a) - mean(b) "
                  "with the sd over seeds of the seed-matched differences; Welch t-test across seeds (one-sample "
                  "t-test when b is a single base run). It ignores problem-sampling variance. 'p (Holm, this "
                  "table)' adjusts the seed-level p-values for the number of comparisons in the table.")
PROBLEM_VIEW_NOTE = ("Problem-level view (not in the paper): per-problem correctness averaged over seeds, paired "
                     "bootstrap over problems (10,000 resamples, seed 0); exact McNemar per seed pair, "
                     "Holm-corrected across seeds.")


class StatsTable(Table):
    """Comparisons in both views, one row each; Holm-adjusted seed-level p-values over the table's rows."""

    def __init__(self, title: str) -> None:
        super().__init__(title, list(STATS_COLUMNS), notes=[SEED_VIEW_NOTE, PROBLEM_VIEW_NOTE])
        self.p_values: list[float] = []

    def compare(self, label: str, a: Cell | None, b: Cell | None) -> None:
        """Add the row 'a vs b' ('not run' when a cell is missing) and refresh the Holm column."""
        if a is None or b is None:
            self.add(label, f"{a.n if a else 0} / {b.n if b else 0}", NOT_RUN, *[DASH] * 6)
            self.p_values.append(float("nan"))
        else:
            sv = seed_level(a, b)
            pv: ProblemComparison | None = problem_level(a, b) if set(a.task_ids) & set(b.task_ids) else None
            change = pct(sv.delta, signed=True) + ("" if sv.delta_sd != sv.delta_sd else f" ± {pct(sv.delta_sd)}")
            test = {"welch": "Welch t", "one_sample": "one-sample t (single base run)"}.get(sv.test.test, sv.test.test)
            if not sv.test.defined:
                test += " (undefined: zero variance)" if sv.test.note == ZERO_VARIANCE else " (undefined: n < 2)"
            mcn = f"{pv.n_significant}/{len(pv.mcnemar)}" if pv and pv.mcnemar else DASH
            boot = ci_text(pv.bootstrap.ci_low, pv.bootstrap.ci_high, signed=True) if pv else DASH
            self.add(label, f"{a.n} / {b.n}", change, test, p_text(sv.test.p_value), DASH,
                     ci_text(sv.test.ci_low, sv.test.ci_high, signed=True), boot, mcn)
            self.p_values.append(sv.test.p_value)
        for row, q in zip(self.rows, holm(self.p_values).adjusted, strict=True):
            row[5] = p_text(q)


def change_text(cmp: SeedComparison) -> str:
    """'+12.3 ± 1.4' (pp): mean change over base, plus the sd of the seed changes from two seeds on."""
    return pct(cmp.delta, signed=True) + (f" ± {pct(cmp.delta_sd)}" if cmp.deltas[1:] else "")


def delta_row(quantity: str, paper_pp: float | None, cmp: SeedComparison | None) -> VsRow:
    """A paper-vs-ours row for a change over base (pp), with the seed-level test's CI of the difference."""
    if cmp is None:
        return VsRow(quantity, paper_pp, None)
    kind = {"welch": "Welch", "one_sample": "one-sample t"}.get(cmp.test.test, cmp.test.test)
    return VsRow(quantity, paper_pp, 100 * cmp.delta, (100 * cmp.test.ci_low, 100 * cmp.test.ci_high), kind)


def score_row(quantity: str, paper_pct: float | None, cell: Cell | None) -> VsRow:
    """A paper-vs-ours row for a score (%), with the t interval over seeds."""
    if cell is None:
        return VsRow(quantity, paper_pct, None)
    s = cell.summary()
    return VsRow(quantity, paper_pct, 100 * s.mean, (100 * s.ci_low, 100 * s.ci_high), "t over seeds")


def delta_bar(group: str, label: str, cmp: SeedComparison) -> Bar:
    """A bar of per-seed changes (pp) with the test's CI."""
    values = percent(cmp.deltas) if cmp.deltas else (100 * cmp.delta,)
    ci = None if not cmp.test.defined else (100 * cmp.test.ci_low, 100 * cmp.test.ci_high)
    return Bar(group, label, values, ci)


def score_bar(group: str, label: str, cell: Cell) -> Bar:
    s = cell.summary()
    return Bar(group, label, percent(cell.scores), None if s.n < 2 else (100 * s.ci_low, 100 * s.ci_high))


def cli(render, doc: str, argv: Sequence[str] | None = None) -> list[Path]:
    """Parse options, render, print the written paths; a UserError is one line and exit status 2."""
    UNREADABLE.clear()  # what this command found, not an earlier one in the same process
    try:
        paths = [p for opts in parse_all(doc.splitlines()[0], argv) for p in render(opts)]
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    print(*paths, sep="\n")
    return paths
