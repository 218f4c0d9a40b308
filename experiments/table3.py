"""Table 3: the paired rerun, S0 against the per-step state offset on Qwen3.5-4B (same seeds for both).

Reads experiment ``qwen3_5`` (``--scale tiny``: ``tiny_qwen3_5``). Changes over base in pp (mean +/- sd over
seeds); the paper's comparison between the two is a paired t-test over seeds, repeated here, beside the
problem-level view. The state offset costs work at every decode step; S0 costs nothing at inference.

    python -m experiments.table3 [--results results] [--out results/tables] [--scale full|tiny]
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
    offset_notes,
    paper_column,
    paper_vs,
    world,
)
from experiments.render import (
    CHANGE_YLABEL,
    DASH,
    NOT_RUN,
    Table,
    VsRow,
    ci_text,
    overhead_text,
    p_text,
    pct,
    write_report,
)
from s0repro.stats import paired_seed_level

NAME = "table3"
METHODS = (("s0", "S0"), ("state_offset", "state offset"))


def render(opts: Options) -> list[Path]:
    cells = Cells(opts.results)
    exps = opts.exps("qwen3_5")
    ran = [cells.find(exps, m, CODE_TASKS, "qwen3_5") for m, _ in METHODS]
    main = Table(f"Table 3: paired rerun on {world(opts, ran, 'Qwen3.5-4B')}, change in {code_task_name(opts.scale)} "
                 "pass@1 (pp)", ["method", "change (pp, mean ± sd)", "seeds", "inference overhead",
                                 paper_column(opts, "paper (pp)")])
    bars, vs, found = [], [], {}
    for method, label in METHODS:
        tuned, base = cells.with_base(exps, method, CODE_TASKS, "qwen3_5")
        found[method] = tuned
        cmp = compare(tuned, base)
        rep = paper.TABLE3[method]
        paper_txt = f"{rep.value:+.1f} ± {rep.sd:.1f}"
        if cmp is None:
            main.add(label, NOT_RUN, str(tuned.n if tuned else 0), DASH, paper_txt)
        else:
            change = change_text(cmp)
            main.add(label, change, str(tuned.n), overhead_text(tuned.inference_cost), paper_txt)
            bars.append(delta_bar("Qwen3.5-4B" if opts.scale == "full" else "tiny GDN", label, cmp))
        vs.append(delta_row(f"{label} change (pp)", rep.value, cmp))

    paired = Table("Table 3, statistics: state offset vs S0",
                   ["comparison", "common seeds", "mean difference (pp)", "paired t p", "95% CI (pp)"])
    offset, s0 = found["state_offset"], found["s0"]
    if offset is None or s0 is None:
        paired.add("state offset - S0", "0", NOT_RUN, DASH, DASH)
        vs.append(VsRow("state offset - S0 (pp)", paper.TABLE3["state_offset"].value - paper.TABLE3["s0"].value,
                        None))
    else:
        t = paired_seed_level(offset, s0)
        paired.add("state offset - S0", str(t.n_a), pct(t.mean_diff, signed=True), p_text(t.p_value),
                   ci_text(t.ci_low, t.ci_high, signed=True))
        vs.append(VsRow("state offset - S0 (pp)", paper.TABLE3["state_offset"].value - paper.TABLE3["s0"].value,
                        100 * t.mean_diff, (100 * t.ci_low, 100 * t.ci_high), "paired t"))
    paired.notes.append("Seed-level, paired over the seeds both methods ran (the paper's test).")
    problem = StatsTable("Table 3, both views: state offset vs S0 (seed-level columns: Welch, unpaired)")
    problem.compare("state offset vs S0", offset, s0)
    main.notes.extend(offset_notes([found["state_offset"]]))
    if opts.scale == "tiny":
        main.notes.append(TINY_NOTE)
    return write_report(opts.out, NAME, [main, paired, problem, *paper_vs(opts, "Table 3: paper vs ours", vs)],
                        "Table 3: change over base (dots: seeds; whiskers: 95% CI)", bars, CHANGE_YLABEL)


def main(argv: Sequence[str] | None = None) -> list[Path]:
    return cli(render, __doc__, argv)


if __name__ == "__main__":
    main()
