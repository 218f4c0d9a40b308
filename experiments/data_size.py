"""Data size: S0 and LoRA trained on 10 / 25 / 50 verified solutions (Appendix "Training Data Efficiency";
Qwen3.5-4B, 3 seeds: S0 +25.4 +/- 6.8 / +22.6 +/- 3.2 / +22.6 pp; LoRA not run at these sizes in the paper).

Reads the sweep ``data_size_<size>`` (``--scale tiny``: ``tiny_data_size_<size>``), one experiment per size, each
with ``none``, ``lora`` and ``s0``. The size is read from the results (``train.data_size`` as asked,
``train.num_examples`` as used: a size above the verified count takes them all). Each seed's subsets are nested
(:mod:`s0repro.train.subsample`). Statistics: Welch across seeds, change over base and S0 minus LoRA per size.

    python -m experiments.data_size [--results results] [--out results/tables] [--scale full|tiny]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from experiments import paper
from experiments.ablation_common import Line, load_results, plot_lines, rows, sweep_exps
from experiments.common import (
    TINY_NOTE,
    Cells,
    Options,
    change_text,
    cli,
    code_task_name,
    compare,
    delta_row,
    paper_vs,
)
from experiments.render import DASH, NOT_RUN, Table, p_text, pct, write_tables
from s0repro.stats import SeedComparison, TTestResult, welch_ttest

NAME = "data_size"
ALL = math.inf  # "every verified solution" sorts after every size


@dataclass(frozen=True)
class SizePoint:
    size: float  # asked-for size; inf = all
    used: float  # mean training examples actually used by S0
    s0: SeedComparison | None
    lora: SeedComparison | None
    s0_vs_lora: TTestResult | None


def size_label(size: float) -> str:
    return "all" if math.isinf(size) else str(int(size))


def _asked(result) -> float:
    size = (result.get("train") or {}).get("data_size")
    return ALL if size is None else float(size)


def points(opts: Options) -> list[SizePoint]:
    """One point per size that ran, smallest first."""
    results = load_results(opts)
    cells = Cells(opts.results)
    out = []
    for exp in sweep_exps(results, opts.exps("data_size")):
        s0_rows = rows(results, exp, "s0") or rows(results, exp, "lora")
        if not s0_rows:
            continue
        used = [float((r.get("train") or {}).get("num_examples") or 0) for r in s0_rows]
        s0, base = cells.with_base([exp], "s0")
        lora, _ = cells.with_base([exp], "lora")
        t = welch_ttest(s0.scores, lora.scores) if s0 and lora else None
        out.append(SizePoint(_asked(s0_rows[0]), sum(used) / len(used), compare(s0, base), compare(lora, base), t))
    return sorted(out, key=lambda p: p.size)


def render(opts: Options) -> list[Path]:
    found = points(opts)
    task = code_task_name(opts.scale)
    main = Table(f"Data size: change in {task} pass@1 over base (pp), mean ± sd over seeds",
                 ["verified solutions", "used (mean)", "base (%)", "S0", "LoRA", "S0 - LoRA (pp)", "p (Welch)",
                  "seeds", "paper S0"])
    for p in found:
        rep = paper.DATA_SIZE.get(int(p.size)) if not math.isinf(p.size) else None
        base = p.s0.base if p.s0 else (p.lora.base if p.lora else None)
        main.add(size_label(p.size), f"{p.used:.1f}", DASH if base is None else pct(base.mean),
                 change_text(p.s0) if p.s0 else NOT_RUN, change_text(p.lora) if p.lora else NOT_RUN,
                 pct(p.s0_vs_lora.mean_diff, signed=True) if p.s0_vs_lora else DASH,
                 p_text(p.s0_vs_lora.p_value) if p.s0_vs_lora else DASH,
                 str(p.s0.tuned.n if p.s0 else 0), DASH if rep is None else f"{rep.value:+.1f}")
    if not found:
        main.add(NOT_RUN, *[DASH] * 8)
    main.notes.append("Each size is one experiment of the sweep; every seed's smaller sets are inside its larger "
                      "ones (nested), and training steps do not change with the size. 'used' < the size means "
                      "fewer verified solutions existed. Paper: S0 only, 3 seeds; LoRA at these sizes is ours.")
    if opts.scale == "tiny":
        main.notes.append(TINY_NOTE)
    by_size = {int(p.size): p for p in found if not math.isinf(p.size)}
    vs = [delta_row(f"S0 change at {n} solutions (pp)", rep.value, by_size[n].s0 if n in by_size else None)
          for n, rep in paper.DATA_SIZE.items()]
    md, tex = write_tables(opts.out, NAME, [main, *paper_vs(opts, "Data size: paper vs ours", vs)])
    finite = [p for p in found if not math.isinf(p.size)]
    lines = []
    for label, pick in (("S0 (ours)", lambda p: p.s0), ("LoRA (ours)", lambda p: p.lora)):
        pts = [(p.size, pick(p)) for p in finite if pick(p) is not None]
        if pts:
            lines.append(Line(label, tuple(x for x, _ in pts), tuple(100 * c.delta for _, c in pts),
                              tuple(100 * c.delta_sd for _, c in pts)))
    lines.append(Line("S0 (paper)", tuple(float(n) for n in paper.DATA_SIZE),
                      tuple(r.value for r in paper.DATA_SIZE.values()),
                      tuple(r.sd if r.sd is not None else float("nan") for r in paper.DATA_SIZE.values()), "--s"))
    png = plot_lines(opts.out / f"{NAME}.png", f"Data size: {task} pass@1 change over base (± 1 sd over seeds)",
                     lines, "verified training solutions", "change in pass@1 (pp)", hline=0.0)
    return [md, tex, png]


def main(argv: Sequence[str] | None = None) -> list[Path]:
    return cli(render, __doc__, argv)


if __name__ == "__main__":
    main()
