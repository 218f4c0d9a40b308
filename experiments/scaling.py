"""Model scaling: S0 on Qwen3.5 0.8B / 2B / 9B (HumanEval pass@1, base -> S0).

Reads experiments ``scaling`` and ``scaling_<model>`` (the runner names one experiment per model); sizes are told
apart by ``meta.model.hub_id`` (else the name, else the experiment name), e.g. ``Qwen/Qwen3.5-2B``, ``qwen3_5_0_8b``. The 4B point is Table 1's and is added from experiment ``qwen3_5`` when present.
Seed-level view: mean +/- sd over seeds, Welch across seeds (one-sample against a single base run). "Gain grows
with size" is a test, not an ordering of means: per-seed gains regressed on log10(parameters), two-sided t-test of
slope = 0 (the claims report judges the same test).

    python -m experiments.scaling [--results results] [--out results/tables] [--scale full|tiny]
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

from experiments import paper
from experiments.common import (
    CODE_TASKS,
    Cells,
    Options,
    change_text,
    cli,
    code_task_name,
    compare,
    delta_bar,
    delta_row,
    paper_vs,
)
from experiments.render import CHANGE_YLABEL, DASH, NOT_RUN, Table, mean_sd, p_text, write_report
from s0repro.stats import Cell, SeedComparison, SlopeTest, slope_test

NAME = "scaling"
SIZES = ("0.8B", "2B", "4B", "9B")
SIZE_PARAMS = {"0.8B": 0.8e9, "2B": 2e9, "4B": 4e9, "9B": 9e9}  # nominal sizes of the Qwen3.5 family
ALPHA = 0.05
_SIZE = re.compile(r"\d+(\.\d+)?b")


def model_size(model_id: str | None) -> str | None:
    """'Qwen/Qwen3.5-0.8B' -> '0.8B', 'qwen3_5_9b' -> '9B'; None when no size is named."""
    tokens = re.split(r"[-_/]", (model_id or "").lower())
    for i in range(len(tokens) - 1, -1, -1):
        if _SIZE.fullmatch(tokens[i]):
            number = tokens[i][:-1]
            if i > 0 and tokens[i - 1] == "0" and "." not in number:  # qwen3_5_0_8b spells 0.8 with "_"
                number = "0." + number
            return number + "B"
    return None


def by_size(cells: Cells, opts: Options) -> dict[str, SeedComparison]:
    """size -> S0 vs base, pairing cells of the same model."""
    out: dict[str, SeedComparison] = {}
    scaling = opts.exps("scaling")
    pools: list[list[Cell]] = [[c for c in cells.cells if any(c.exp == e or c.exp.startswith(e + "_") for e in scaling)]]
    pools.append([c for c in cells.cells if c.exp in opts.exps("qwen3_5") and c.task in CODE_TASKS])
    for pool in pools:
        for s0 in (c for c in pool if c.method == "s0"):
            size = model_size(s0.model_id) or model_size(s0.exp) or ("4B" if opts.scale == "full" and s0.exp == "qwen3_5" else None)
            base = next((c for c in pool if c.method == "none" and c.model_id == s0.model_id
                         and c.task == s0.task and c.exp == s0.exp), None)
            if size and base is not None and size not in out:
                out[size] = compare(s0, base)
    return out


def gain_trend(found: dict[str, SeedComparison]) -> SlopeTest | None:
    """Per-seed gains (pp) regressed on log10(parameters); None with fewer than two sizes."""
    sizes = [s for s in SIZES if s in found]
    if len(sizes) < 2:
        return None
    x = [math.log10(SIZE_PARAMS[s]) for s in sizes for _ in found[s].deltas]
    y = [100 * d for s in sizes for d in found[s].deltas]
    return slope_test(x, y)


def trend_text(trend: SlopeTest | None) -> str:
    """The note's verdict on "gain grows with size", from the slope test."""
    if trend is None:
        return "not enough sizes ran"
    if not trend.defined:
        return f"untestable ({trend.note})"
    verdict = "yes" if trend.slope > 0 and trend.p_value < ALPHA else "not shown"
    return (f"{verdict}: slope {trend.slope:+.1f} pp per 10x parameters (95% CI {trend.ci_low:+.1f} to "
            f"{trend.ci_high:+.1f}), p = {p_text(trend.p_value)}, {trend.n} seed gains")


def render(opts: Options) -> list[Path]:
    found = by_size(Cells(opts.results), opts)
    main = Table(f"Scaling: S0 across Qwen3.5 sizes, {code_task_name(opts.scale)} pass@1 (%)",
                 ["size", "base", "S0", "change (pp)", "seeds", "p", "paper"])
    bars, vs = [], []
    for size in SIZES:
        cmp = found.get(size)
        rep = paper.SCALING.get(size)
        paper_txt = DASH if rep is None else f"{rep[0]:.1f} → {rep[1]:.1f} ({rep[1] - rep[0]:+.1f})"
        if size == "4B":
            paper_txt = f"{paper.TABLE1[('qwen3_5', 'none')].value:.1f} → {paper.TABLE1[('qwen3_5', 's0')].value:.1f}"
        if cmp is None:
            main.add(size, NOT_RUN, NOT_RUN, DASH, "0", DASH, paper_txt)
        else:
            change = change_text(cmp)
            main.add(size, mean_sd(cmp.base), mean_sd(cmp.tuned), change, str(cmp.tuned.n),
                     p_text(cmp.test.p_value), paper_txt)
            bars.append(delta_bar(size, "S0", cmp))
        if rep is not None:
            vs.append(delta_row(f"{size} change (pp)", rep[1] - rep[0], cmp))
    main.notes.append(f"Gain grows with size (regression of per-seed gain on log10 parameters, alpha {ALPHA}): "
                      f"{trend_text(gain_trend(found))} (paper: +2.6, +19.0, +44.0 pp at 0.8B, 2B, 9B).")
    return write_report(opts.out, NAME, [main, *paper_vs(opts, "Scaling: paper vs ours", vs)],
                        "Scaling: change over base (dots: seeds; whiskers: 95% CI)", bars, CHANGE_YLABEL)


def main(argv: Sequence[str] | None = None) -> list[Path]:
    return cli(render, __doc__, argv)


if __name__ == "__main__":
    main()
