"""Table 2: LoRA at a matched parameter budget (r24 / r48 / r64) against S0 on Qwen3.5-4B, change in pass@1.

Reads experiment ``lora_budget`` (labels lora_r24, lora_r48, lora_r64, s0; falling back to ``qwen3_5`` for
labels it lacks; ``--scale tiny``: both run at ``scale=tiny``, ``tiny_lora_budget`` and ``tiny_qwen3_5``). Change = tuned - base in pp; mean +/- sd over seeds of the seed-matched differences; Welch across seeds
(seed-level view). "negative seeds" counts seeds whose change is below zero (the paper: 8 of 10 for r64).

    python -m experiments.table2 [--results results] [--out results/tables] [--scale full|tiny]
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
    change_text,
    cli,
    code_task_name,
    compare,
    delta_bar,
    delta_row,
    paper_column,
    paper_vs,
    world,
)
from experiments.render import CHANGE_YLABEL, DASH, NOT_RUN, Table, params_text, pct, write_report

NAME = "table2"
# (paper key, labels to look for in order, row label): lora_budget names the r24 arm lora_r24, qwen3_5 names it lora
METHODS = (("lora", ("lora_r24", "lora"), "LoRA r24"), ("lora_r48", ("lora_r48",), "LoRA r48"),
           ("lora_r64", ("lora_r64",), "LoRA r64"), ("s0", ("s0",), "S0"))


def render(opts: Options) -> list[Path]:
    cells = Cells(opts.results)
    exps = opts.exps("lora_budget") + opts.exps("qwen3_5")
    found = {method: next((pair for lab in labels if (pair := cells.with_base(exps, lab, CODE_TASKS, "qwen3_5"))[0]),
                          (None, None)) for method, labels, _ in METHODS}
    budget = "matched budget" if opts.scale != "tiny" else "LoRA ranks vs S0"
    main = Table(f"Table 2: {budget} on {world(opts, [t for t, _ in found.values()], 'Qwen3.5-4B')}, change in "
                 f"{code_task_name(opts.scale)} pass@1 (pp)",
                 ["method", "params", "change (pp, mean ± sd)", "seeds", "negative seeds", "min seed (%)",
                  paper_column(opts, "paper (pp)")])
    stats = StatsTable("Table 2, statistics: each method vs baseline")
    bars, vs = [], []
    for method, _, label in METHODS:
        tuned, base = found[method]
        if tuned is not None and "r" in tuned.method_config:  # the rank that ran, not the paper's name for it
            label = f"LoRA r{tuned.method_config['r']}"
        cmp = compare(tuned, base)
        rep = paper.TABLE2[method]
        paper_txt = f"{rep.value:+.1f} ± {rep.sd:.1f}"
        if cmp is None:
            main.add(label, DASH, NOT_RUN, str(tuned.n if tuned else 0), DASH, DASH, paper_txt)
        else:
            change = change_text(cmp)
            negative = sum(d < 0 for d in cmp.deltas)
            main.add(label, params_text(tuned.trainable_params), change, str(tuned.n),
                     f"{negative}/{len(cmp.deltas)}", pct(min(tuned.scores)), paper_txt)
            bars.append(delta_bar("Qwen3.5-4B" if opts.scale == "full" else "tiny GDN", label, cmp))
        stats.compare(f"{label} vs baseline", tuned, base)
        vs.append(delta_row(f"{label} change (pp)", rep.value, cmp))
    if opts.scale == "tiny":
        main.notes.append(TINY_NOTE)
    return write_report(opts.out, NAME, [main, stats, *paper_vs(opts, "Table 2: paper vs ours", vs)],
                        "Table 2: change over base (dots: seeds; whiskers: 95% CI)", bars, CHANGE_YLABEL)


def main(argv: Sequence[str] | None = None) -> list[Path]:
    return cli(render, __doc__, argv)


if __name__ == "__main__":
    main()
