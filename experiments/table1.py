"""Table 1: HumanEval pass@1 (problems 80-163) for base, LoRA, state offset and S0 on Qwen3.5-4B and Falcon-H1-7B.

Reads experiments ``qwen3_5`` and ``falcon_h1`` (``--scale tiny``: the same files run at ``scale=tiny``, written as
``tiny_qwen3_5``/``tiny_falcon_h1``). Scores: mean +/- sample sd over seeds (the paper's view). Statistics:
both views, see ``common.SEED_VIEW_NOTE``/``PROBLEM_VIEW_NOTE``. "LoRA (best config)" is the ``lora`` label. The
rows are the arms of the experiments the columns read (conf/exp), so a method with an arm there has its row; an arm
without a name in :data:`LABELS` is shown by its label.
Writes table1.md, table1.tex and table1.png into the output folder.

    python -m experiments.table1 [--results results] [--out results/tables] [--scale full|tiny]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from experiments import failures, paper
from experiments.common import (
    CODE_TASKS,
    TINY_NOTE,
    Cells,
    Options,
    StatsTable,
    cli,
    code_task_name,
    experiment_arms,
    model_name,
    offset_notes,
    paper_vs,
    percent,
    readable_results,
)
from experiments.render import (
    DASH,
    NOT_RUN,
    Bar,
    Table,
    VsRow,
    mean_sd,
    overhead_text,
    params_text,
    write_report,
)
from s0repro.stats import mean_ci, welch_ttest

NAME = "table1"
MODELS = ("qwen3_5", "falcon_h1")
LABELS = {"none": "baseline", "lora": "LoRA (best config)", "state_offset": "state offset", "s0": "S0",
          "s0_unverified": "S0, unverified data (control)"}


def methods(opts: Options) -> list[tuple[str, str]]:
    """(arm label, row name) of every arm of the columns' experiments, the baseline first, then in the order the
    experiment files list them. The arms are the file's at every scale: scale=tiny changes only the models, the
    data and the sizes (its results are written as ``tiny_<exp>``, which has no file of its own)."""
    arms: dict[str, None] = {"none": None}
    for exp in MODELS:
        arms.update(dict.fromkeys(experiment_arms(exp, opts.conf_dir)))
    return [(label, LABELS.get(label, label)) for label in arms]


def find(cells: Cells, opts: Options, arch: str, method: str):
    return cells.find(opts.exps(arch), method, CODE_TASKS, arch)


def runs(results: list[dict[str, Any]], opts: Options, arch: str, method: str) -> list[dict[str, Any]]:
    """The results of one Table 1 cell, from the first of the column's experiments that has any (as Cells.find)."""
    for exp in opts.exps(arch):
        for task in CODE_TASKS:
            found = [r for r in results if r["exp"] == exp and r["task"] == task and r["method"] == method
                     and ((r.get("meta") or {}).get("model") or {}).get("arch") in (arch, None)]
            if found:
                return found
    return []


def cleanup_scores(found: list[dict[str, Any]], cleanup: str) -> str:
    """Mean ± sd over seeds of pass@1 under ``cleanup``; 'not scored' when a result did not record it."""
    if not found:
        return NOT_RUN
    views = [((r["eval"].get("by_cleanup") or {}).get(cleanup) or {}).get("score") for r in found]
    if any(v is None for v in views):
        return failures.NOT_SCORED
    return mean_sd(mean_ci(views))


def cleanup_table(results: list[dict[str, Any]], opts: Options, names: list[str]) -> Table:
    """pass@1 under the authors' clean-up (the paper's protocol) beside ours, per model."""
    table = Table(f"Table 1 by clean-up: {code_task_name(opts.scale)} pass@1 (%), mean ± sd over seeds",
                  ["method", *(f"{n}: {c}" for n in names for c in failures.CLEANUPS)])
    primary: set[str] = set()
    for method, label in methods(opts):
        found = [runs(results, opts, a, method) for a in MODELS]
        primary |= {r["eval"].get("cleanup", "lenient") for f in found for r in f}
        table.add(label, *(cleanup_scores(f, c) for f in found for c in failures.CLEANUPS))
    table.notes.append("authors = the authors' HumanEval helper (think blocks removed, the whole completion stripped, "
                       "a leading ```python and a trailing ``` removed: an indented function body loses its first "
                       "line's indentation and fails); lenient = ours (fenced block extracted, indentation kept). "
                       f"Primary clean-up of these results (Table 1 above): {', '.join(sorted(primary)) or DASH}.")
    return table


def verified_note(results: list[dict[str, Any]], opts: Options) -> str:
    """k (samples per training problem) and how many verified solutions each seed's S0 kept, beside the paper's ~48."""
    parts, ks = [], set()
    for arch in MODELS:
        found = sorted(runs(results, opts, arch, "s0"), key=lambda r: r["seed"])
        trains = [r.get("train") or {} for r in found]
        ks |= {t.get("samples_per_problem") for t in trains}
        kept = ", ".join(f"{t.get('num_examples', '?')} (seed {r['seed']})" for r, t in zip(found, trains, strict=True))
        parts.append(f"{model_name(arch, opts.scale)} {kept or NOT_RUN}")
    k = ", ".join(str(v) for v in sorted(ks, key=str)) if ks else DASH
    return (f"Verified training set: k = {k} samples a problem; S0 kept {'; '.join(parts)}. "
            f"The paper (Qwen3.5-4B, HumanEval): about {paper.VERIFIED_KEPT} kept.")


def baseline_note(results: list[dict[str, Any]], opts: Options) -> str:
    """Which base evaluation the tuned results were compared with: one shared greedy run, or one per seed."""
    used = {r["eval"].get("baseline", "not recorded") for a in MODELS for m, _ in methods(opts)
            for r in runs(results, opts, a, m)}
    words = {"shared": "shared (one cached greedy evaluation of the base stands for every seed: the seed-level test "
                       "against it is one-sample)",
             "per_seed": "per_seed (the base re-evaluated under each seed, as the authors' pipeline did)",
             "not recorded": "not recorded (results from before eval.baseline)"}
    return "Base evaluation (eval.baseline): " + ("; ".join(words[u] for u in sorted(used)) if used else NOT_RUN) + "."


def failure_tables(results: list[dict[str, Any]], opts: Options) -> list[Table]:
    """The failure-class tables (both clean-ups) of the experiments Table 1 reads."""
    exps = {e for a in MODELS for e in opts.exps(a)}
    grouped = failures.by_experiment([r for r in results if r["exp"] in exps and r["task"] in CODE_TASKS])
    return [failures.experiment_table(key, methods, cleanup)
            for key, methods in sorted(grouped.items()) for cleanup in failures.CLEANUPS]


def build(cells: Cells, opts: Options) -> tuple[list[Table], list[Bar]]:
    names = [model_name(a, opts.scale) for a in MODELS]
    main = Table(f"Table 1: {code_task_name(opts.scale)} pass@1 (%), mean ± sd over seeds",
                 ["method", "params (" + " / ".join(names) + ")", *names, "seeds", "inference overhead"])
    bars: list[Bar] = []
    for method, label in methods(opts):
        found = [find(cells, opts, a, method) for a in MODELS]
        params = " / ".join(params_text(c.trainable_params) if c else DASH for c in found)
        seeds = " / ".join(str(c.n) if c else "0" for c in found)
        cost = next((c.inference_cost for c in found if c and c.inference_cost), None)
        main.add(label, DASH if method == "none" else params, *(mean_sd(c.summary() if c else None) for c in found),
                 seeds, DASH if method == "none" else overhead_text(cost))
        for name, c in zip(names, found, strict=True):
            if c is not None:
                s = c.summary()
                bars.append(Bar(name, label, percent(c.scores), None if s.n < 2 else (100 * s.ci_low, 100 * s.ci_high)))
    ranks = [f"{name} r = {c.method_config['r']}" for name, c in
             zip(names, (find(cells, opts, a, "lora") for a in MODELS), strict=True) if c and "r" in c.method_config]
    main.notes.append("LoRA (best config) = the `lora` runs (the paper's r = 24"
                      + (f"; these results: {', '.join(ranks)}" if ranks else "") + "); not run = no result files for "
                      "that cell."
                      + (" S0, unverified data: S0 trained on unchecked samples (our control; not in the paper)."
                         if "s0_unverified" in dict(methods(opts)) else ""))
    if any(cells.is_recorded_base(find(cells, opts, a, "none")) for a in MODELS):
        main.notes.append("baseline: no `none` run on disk, so the base is the baseline score the tuned results "
                          "record (greedy, seed-independent); problem-level tests against it need the `none` run.")
    if opts.scale == "tiny":
        main.notes.append(TINY_NOTE)
    results = readable_results(opts.results)
    main.notes.append(baseline_note(results, opts))
    main.notes.append(verified_note(results, opts))
    main.notes.extend(offset_notes([find(cells, opts, a, "state_offset") for a in MODELS]))

    stats = StatsTable("Table 1, statistics: tuned vs baseline, and S0 vs LoRA")
    for arch, name in zip(MODELS, names, strict=True):
        base = find(cells, opts, arch, "none")
        for method, label in methods(opts)[1:]:
            stats.compare(f"{name}: {label} vs baseline", find(cells, opts, arch, method), base)
        stats.compare(f"{name}: S0 vs LoRA", find(cells, opts, arch, "s0"), find(cells, opts, arch, "lora"))
    return [main, stats, *paper_vs(opts, "Table 1: paper vs ours", vs_rows(cells, opts)), cleanup_table(results, opts, names),
            *failure_tables(results, opts)], bars


def vs_rows(cells: Cells, opts: Options) -> list[VsRow]:
    rows = []
    for (arch, method), rep in paper.TABLE1.items():
        c = find(cells, opts, arch, method)
        label = LABELS[method]
        s = c.summary() if c else None
        rows.append(VsRow(f"{model_name(arch, opts.scale)} {label} pass@1 (%)", rep.value,
                          100 * s.mean if s else None,
                          (100 * s.ci_low, 100 * s.ci_high) if s else None, "t over seeds"))
    # Parameter counts only compare at full scale: a tiny model's counts say nothing about the paper's.
    for (arch, method), millions in (paper.TABLE1_PARAMS_M.items() if opts.scale != "tiny" else ()):
        c = find(cells, opts, arch, method)
        ours = c.trainable_params / 1e6 if c and c.trainable_params is not None else None
        rows.append(VsRow(f"{model_name(arch, opts.scale)} {LABELS[method]} params (M)", millions, ours,
                          None if ours is None else (ours, ours), "a count"))
    s0, lora = find(cells, opts, "qwen3_5", "s0"), find(cells, opts, "qwen3_5", "lora")
    t = welch_ttest(s0.scores, lora.scores) if s0 and lora else None
    rows.append(VsRow(f"{model_name('qwen3_5', opts.scale)} S0 - LoRA (pp)", paper.S0_VS_LORA_QWEN.value,
                      100 * t.mean_diff if t else None, (100 * t.ci_low, 100 * t.ci_high) if t else None, "Welch"))
    return rows


def render(opts: Options) -> list[Path]:
    tables, bars = build(Cells(opts.results), opts)
    title = f"Table 1: {code_task_name(opts.scale)} pass@1 (bars: mean; dots: seeds; whiskers: 95% CI)"
    return write_report(opts.out, NAME, tables, title, bars)


def main(argv: Sequence[str] | None = None) -> list[Path]:
    return cli(render, __doc__, argv)


if __name__ == "__main__":
    main()
