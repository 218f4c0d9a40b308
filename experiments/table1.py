"""Table 1: HumanEval pass@1 (problems 80-163) for base, LoRA, state offset and S0 on Qwen3.5-4B and Falcon-H1-7B.

Reads experiments ``qwen3_5`` and ``falcon_h1`` (``--scale tiny``: ``tiny_qwen3_5``/``tiny_falcon_h1``, or
``tiny_table1`` split by model family). Scores: mean +/- sample sd over seeds (the paper's view). Statistics:
both views, see ``common.SEED_VIEW_NOTE``/``PROBLEM_VIEW_NOTE``. "LoRA (best config)" is the ``lora`` label.
Writes table1.md, table1.tex and table1.png into the output folder.

    python -m experiments.table1 [--results results] [--out results/tables] [--scale full|tiny]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from experiments import paper
from experiments.common import (
    CODE_TASKS,
    TINY_NOTE,
    Cells,
    Options,
    StatsTable,
    cli,
    code_task_name,
    model_name,
    percent,
)
from experiments.render import (
    DASH,
    Bar,
    Table,
    VsRow,
    mean_sd,
    overhead_text,
    params_text,
    vs_table,
    write_report,
)
from s0repro.stats import welch_ttest

NAME = "table1"
MODELS = ("qwen3_5", "falcon_h1")
METHODS = (("none", "baseline"), ("lora", "LoRA (best config)"), ("state_offset", "state offset"), ("s0", "S0"),
           ("s0_unverified", "S0, unverified data (control)"))


def find(cells: Cells, opts: Options, arch: str, method: str):
    return cells.find(opts.exps(arch), method, CODE_TASKS, arch)


def build(cells: Cells, opts: Options) -> tuple[list[Table], list[Bar]]:
    names = [model_name(a, opts.scale) for a in MODELS]
    main = Table(f"Table 1: {code_task_name(opts.scale)} pass@1 (%), mean ± sd over seeds",
                 ["method", "params (" + " / ".join(names) + ")", *names, "seeds", "inference overhead"])
    bars: list[Bar] = []
    for method, label in METHODS:
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
    main.notes.append("LoRA (best config) = the `lora` runs (the paper's r = 24 at full scale; the tiny experiments "
                      "use r = 4); not run = no result files for that cell. "
                      "S0, unverified data: S0 trained on unchecked samples (our control; not in the paper).")
    if any(cells.is_recorded_base(find(cells, opts, a, "none")) for a in MODELS):
        main.notes.append("baseline: no `none` run on disk, so the base is the baseline score the tuned results "
                          "record (greedy, seed-independent); problem-level tests against it need the `none` run.")
    if opts.scale == "tiny":
        main.notes.append(TINY_NOTE)

    stats = StatsTable("Table 1, statistics: tuned vs baseline, and S0 vs LoRA")
    for arch, name in zip(MODELS, names, strict=True):
        base = find(cells, opts, arch, "none")
        for method, label in METHODS[1:]:
            stats.compare(f"{name}: {label} vs baseline", find(cells, opts, arch, method), base)
        stats.compare(f"{name}: S0 vs LoRA", find(cells, opts, arch, "s0"), find(cells, opts, arch, "lora"))
    return [main, stats, vs_table("Table 1: paper vs ours", vs_rows(cells, opts))], bars


def vs_rows(cells: Cells, opts: Options) -> list[VsRow]:
    rows = []
    for (arch, method), rep in paper.TABLE1.items():
        c = find(cells, opts, arch, method)
        label = dict(METHODS)[method]
        s = c.summary() if c else None
        rows.append(VsRow(f"{model_name(arch, opts.scale)} {label} pass@1 (%)", rep.value,
                          100 * s.mean if s else None,
                          (100 * s.ci_low, 100 * s.ci_high) if s else None, "t over seeds"))
    # Parameter counts only compare at full scale: a tiny model's counts say nothing about the paper's.
    for (arch, method), millions in (paper.TABLE1_PARAMS_M.items() if opts.scale != "tiny" else ()):
        c = find(cells, opts, arch, method)
        ours = c.trainable_params / 1e6 if c and c.trainable_params is not None else None
        rows.append(VsRow(f"{model_name(arch, opts.scale)} {dict(METHODS)[method]} params (M)", millions, ours,
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
