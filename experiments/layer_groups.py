"""Layer groups: S0 on the early / middle / late third of the recurrent layers, or all of them (Appendix "Layer
Sensitivity"; Qwen3.5-4B, one seed: +23.8 / +19.0 / +13.1 / +22.6 pp).

Reads experiment ``layer_groups`` (``--scale tiny``: ``tiny_layer_groups``), arms ``s0_early`` ... ``s0_all`` and
the base ``none``. Which decoder layers a group held is read from each result (``method_info.layer_indices``); the
rule that splits them is in :mod:`s0repro.methods.layer_state`. "Degraded" counts problems the base solved and the
tuned run lost (mean over seeds), as the paper's table does. Statistics: both views (``common.StatsTable``).

    python -m experiments.layer_groups [--results results] [--out results/tables] [--scale full|tiny]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from experiments import paper
from experiments.ablation_common import load_results, rows
from experiments.common import (
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
    paper_vs,
)
from experiments.render import CHANGE_YLABEL, DASH, NOT_RUN, Table, params_text, write_report
from s0repro.stats import Cell

NAME = "layer_groups"
GROUPS = ("early", "middle", "late", "all")


def spans(indices: Sequence[int]) -> str:
    """[0, 1, 2, 4, 5] -> '0-2, 4-5'."""
    parts: list[list[int]] = []
    for i in indices:
        if parts and i == parts[-1][-1] + 1:
            parts[-1].append(i)
        else:
            parts.append([i])
    return ", ".join(f"{p[0]}-{p[-1]}" if len(p) > 1 else str(p[0]) for p in parts)


def degraded(tuned: Cell, base: Cell) -> float:
    """Mean over tuned seeds of the problems the base solved and the tuned run did not (seed-matched base)."""
    bi = {t: i for i, t in enumerate(base.task_ids)}
    common = [t for t in tuned.task_ids if t in bi]
    t_idx, b_idx = [tuned.task_ids.index(t) for t in common], [bi[t] for t in common]
    counts = []
    for row, seed in enumerate(tuned.seeds):
        b_row = base.seeds.index(seed) if seed in base.seeds else 0
        counts.append(int(np.sum(base.correct[b_row, b_idx] & ~tuned.correct[row, t_idx])))
    return float(np.mean(counts))


def group_layers(opts: Options) -> dict[str, list[int]]:
    """group -> the decoder-layer indices its results record (first seed)."""
    results = load_results(opts)
    out = {}
    for exp in opts.exps("layer_groups"):
        for g in GROUPS:
            found = rows(results, exp, f"s0_{g}")
            if found and g not in out:
                out[g] = list((found[0].get("method_info") or {}).get("layer_indices") or [])
    return out


def render(opts: Options) -> list[Path]:
    cells = Cells(opts.results)
    exps = opts.exps("layer_groups")
    base = cells.find(exps, "none")
    layers = group_layers(opts)
    every = layers.get("all") or sorted({i for g in layers.values() for i in g})
    task = code_task_name(opts.scale)
    main = Table(f"Layer groups: S0 on a third of the recurrent layers, {task} pass@1 change over base (pp)",
                 ["group", "decoder layers (recurrent positions)", "params", "change (pp)", "seeds", "degraded",
                  "paper change (pp)", "paper degraded"])
    stats = StatsTable("Layer groups, statistics")
    bars, vs = [], []
    for g in GROUPS:
        tuned = cells.find(exps, f"s0_{g}")
        held = layers.get(g, [])
        where = DASH if not held else f"{spans(held)} ({spans([every.index(i) for i in held if i in every])})"
        rep = paper.LAYER_GROUPS[g]
        paper_cells = (f"{rep.value:+.1f} ({rep.note})", str(paper.LAYER_GROUP_DEGRADED[g]))
        cmp = compare(tuned, base)
        if cmp is None:
            main.add(g, where, DASH, NOT_RUN, str(tuned.n if tuned else 0), DASH, *paper_cells)
        else:
            main.add(g, where, params_text(tuned.trainable_params), change_text(cmp), str(tuned.n),
                     f"{degraded(tuned, base):.1f}", *paper_cells)
            bars.append(delta_bar(g, "S0", cmp))
        stats.compare(f"S0 {g} vs baseline", tuned, base)
        vs.append(delta_row(f"S0 {g} change (pp)", rep.value, cmp))
    stats.compare("S0 early vs S0 late", cells.find(exps, "s0_early"), cells.find(exps, "s0_late"))
    main.notes.append("Groups are thirds of the recurrent layers by depth; when their count does not divide by "
                      "three, early and late hold (n + 1) // 3 each and the middle the rest (s0repro/methods/"
                      "layer_state.py). Paper: Qwen3.5-4B, one seed, 4.2M parameters a third, 12.6M for all.")
    if opts.scale == "tiny":
        main.notes.append(TINY_NOTE)
    return write_report(opts.out, NAME, [main, stats, *paper_vs(opts, "Layer groups: paper vs ours", vs)],
                        "Layer groups: change over base (dots: seeds; whiskers: 95% CI)", bars, CHANGE_YLABEL)


def main(argv: Sequence[str] | None = None) -> list[Path]:
    return cli(render, __doc__, argv)


if __name__ == "__main__":
    main()
