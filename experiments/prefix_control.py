"""The negative control: prefix tuning on a pure Transformer (Qwen2.5-3B-Instruct), HumanEval pass@1.

Reads experiment ``prefix_control`` (``--scale tiny``: ``tiny_prefix_control``): the base (``none``) and every
method label starting with ``prefix`` (one label per configuration, e.g. a learning rate); each seed of each
label is one run. The paper: -13.9 pp, negative in all nine configurations (3 learning rates x 3 seeds).

    python -m experiments.prefix_control [--results results] [--out results/tables] [--scale full|tiny]
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
    model_name,
    paper_vs,
)
from experiments.render import (
    CHANGE_YLABEL,
    DASH,
    NOT_RUN,
    Table,
    mean_sd,
    params_text,
    write_report,
)
from s0repro.stats import SeedComparison

NAME = "prefix_control"


def runs(cells: Cells, opts: Options) -> list[tuple[str, SeedComparison]]:
    """(label, comparison with base) for every prefix configuration that ran and has a base."""
    exps = opts.exps("prefix_control")
    out = []
    for cell in cells.methods(exps, "prefix"):
        base = cells.find([cell.exp], "none", [cell.task])
        if base is not None:
            out.append((cell.method, compare(cell, base)))
    return out


def render(opts: Options) -> list[Path]:
    cells = Cells(opts.results)
    exps = opts.exps("prefix_control")
    group = model_name("qwen2", opts.scale)
    main = Table(f"Prefix-tuning control on {group}, {code_task_name(opts.scale)} pass@1 (%)",
                 ["configuration", "params", "score (mean ± sd)", "change (pp)", "seeds", "runs below base"])
    base = cells.find(exps, "none", CODE_TASKS)
    main.add("baseline", DASH, mean_sd(base.summary()) if base else NOT_RUN, DASH, str(base.n if base else 0), DASH)
    stats = StatsTable("Prefix control, statistics: each configuration vs baseline")
    bars, all_deltas = [], []
    found = runs(cells, opts)
    for label, cmp in found:
        cell = cells.find(exps, label, CODE_TASKS)
        below = sum(d < 0 for d in cmp.deltas)
        all_deltas += cmp.deltas
        change = change_text(cmp)
        main.add(label, params_text(cell.trainable_params), mean_sd(cmp.tuned), change, str(cell.n),
                 f"{below}/{len(cmp.deltas)}")
        bars.append(delta_bar(group, label, cmp))
        stats.compare(f"{label} vs baseline", cell, base)
    if not found:
        main.add("prefix", DASH, NOT_RUN, DASH, "0", DASH)
    total_below = sum(d < 0 for d in all_deltas)
    main.notes.append(f"All runs: {total_below} of {len(all_deltas)} below base "
                      f"(paper: {paper.PREFIX.n_seeds} of {paper.PREFIX.n_seeds}, mean {paper.PREFIX.value:+.1f} pp).")
    if opts.scale == "tiny":
        main.notes.append(TINY_NOTE)
    pooled = pooled_change(found)
    vs = [delta_row("prefix tuning change, mean over configurations (pp)", paper.PREFIX.value, pooled)]
    return write_report(opts.out, NAME, [main, stats, *paper_vs(opts, "Prefix control: paper vs ours", vs)],
                        "Prefix control: change over base (dots: seeds)", bars, CHANGE_YLABEL)


def pooled_change(found: list[tuple[str, SeedComparison]]) -> SeedComparison | None:
    """One comparison over every configuration's runs (the paper pools its nine), or the only one."""
    if not found:
        return None
    if len(found) == 1:
        return found[0][1]
    from s0repro.stats import mean_ci, one_sample_ttest

    deltas = [d for _, cmp in found for d in cmp.deltas]
    test = one_sample_ttest(deltas, 0.0)
    summary = mean_ci(deltas)
    return SeedComparison(summary, found[0][1].base, summary.mean, test, summary.sd, tuple(deltas))


def main(argv: Sequence[str] | None = None) -> list[Path]:
    return cli(render, __doc__, argv)


if __name__ == "__main__":
    main()
