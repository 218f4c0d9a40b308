"""Sampled pass@1/5/10 on HumanEval 80-163 for base, LoRA and S0 (the paper's Appendix "pass@k Results").

Reads experiment ``passk`` (``--scale tiny``: ``tiny_passk``): every result carries ``eval.sampled`` with ``n``
samples per problem at T 0.7 and each problem's pass count; pass@k is the unbiased estimator (Chen et al. 2021,
:mod:`s0repro.stats.passk`) per seed, then mean +/- sd over seeds. Tests: Welch across seeds per k (the base model
samples differently under each seed, so it has a per-seed score too). The paper: 3 seeds.

    python -m experiments.passk [--results results] [--out results/tables] [--scale full|tiny]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from experiments import paper
from experiments.ablation_common import load_results, passk_by_seed, rows, summary
from experiments.common import TINY_NOTE, Options, cli, code_task_name, paper_vs
from experiments.render import DASH, NOT_RUN, Bar, Table, VsRow, mean_sd, p_text, pct, write_report
from s0repro.stats import welch_ttest

NAME = "passk"
METHODS = (("none", "baseline"), ("lora", "LoRA"), ("s0", "S0"))
KS = paper.PASSK_KS
TOO_FEW = "n < k"  # fewer samples per problem than k: no unbiased estimate


def collect(opts: Options) -> tuple[str | None, dict[str, dict[int, list[float]]], dict[str, list[int]], set[int]]:
    """(experiment, method -> k -> per-seed pass@k, method -> seeds, sample counts n) of the first exp that ran."""
    results = load_results(opts)
    for exp in opts.exps("passk"):
        found = {m: rows(results, exp, m) for m, _ in METHODS}
        found = {m: [r for r in rs if (r["eval"].get("sampled") or {}).get("pass_counts")] for m, rs in found.items()}
        if any(found.values()):
            scores = {m: {k: passk_by_seed(rs, k) for k in KS} for m, rs in found.items()}
            seeds = {m: [r["seed"] for r in rs] for m, rs in found.items()}
            ns = {r["eval"]["sampled"]["n"] for rs in found.values() for r in rs}
            return exp, scores, seeds, ns
    return None, {}, {}, set()


def _mean_sd(values: list[float]) -> str:
    s = summary(values)
    return TOO_FEW if s is None else mean_sd(s)


def render(opts: Options) -> list[Path]:
    exp, scores, seeds, ns = collect(opts)
    task = code_task_name(opts.scale)
    main = Table(f"Sampled pass@k on {task} (%), mean ± sd over seeds",
                 ["method", *[f"pass@{k}" for k in KS], "seeds", "paper (pass@1 / 5 / 10)"])
    per_seed = Table("Sampled pass@k per seed (%)", ["method", "seed", *[f"pass@{k}" for k in KS]])
    stats = Table("Sampled pass@k: differences across seeds (Welch)", ["comparison", *[f"pass@{k} (pp, p)" for k in KS]])
    bars, vs = [], []
    for method, label in METHODS:
        by_k = scores.get(method, {})
        paper_txt = " / ".join(f"{paper.PASSK[method][k].value:.1f}" for k in KS)
        if not seeds.get(method):
            main.add(label, *[NOT_RUN] * len(KS), "0", paper_txt)
        else:
            main.add(label, *[_mean_sd(by_k[k]) for k in KS], str(len(seeds[method])), paper_txt)
            for i, seed in enumerate(seeds[method]):
                per_seed.add(label, str(seed), *[pct(by_k[k][i]) for k in KS])
            bars += [Bar(f"pass@{k}", label, tuple(100 * v for v in by_k[k])) for k in KS if summary(by_k[k])]
        for k in KS:
            s = summary(by_k.get(k, []))
            vs.append(VsRow(f"{label} pass@{k} (%)", paper.PASSK[method][k].value, None if s is None else 100 * s.mean,
                            None if s is None else (100 * s.ci_low, 100 * s.ci_high), "t over seeds"))
    for a, b in (("s0", "lora"), ("s0", "none"), ("lora", "none")):
        cells = []
        for k in KS:
            xa, xb = scores.get(a, {}).get(k), scores.get(b, {}).get(k)
            if not xa or not xb:
                cells.append(NOT_RUN)
                continue
            xa, xb = [v for v in xa if v == v], [v for v in xb if v == v]
            if not xa or not xb:
                cells.append(TOO_FEW)
                continue
            t = welch_ttest(xa, xb)
            cells.append(f"{pct(t.mean_diff, signed=True)} (p = {p_text(t.p_value)})")
        stats.add(f"{dict(METHODS)[a]} - {dict(METHODS)[b]}", *cells)
    main.notes.append(f"Experiment: {exp or NOT_RUN}; samples per problem n = "
                      f"{', '.join(map(str, sorted(ns))) if ns else DASH} (pass@k needs n >= k; the paper's helper "
                      "draws 16); T 0.7, top_p 0.95. pass@k by the unbiased estimator 1 - C(n-c, k) / C(n, k), "
                      "averaged over problems, then mean ± sd over seeds.")
    if opts.scale == "tiny":
        main.notes.append(TINY_NOTE)
    tables = [main, per_seed, stats, *paper_vs(opts, "Sampled pass@k: paper vs ours", vs)]
    return write_report(opts.out, NAME, tables, f"Sampled pass@k on {task} (bars: mean; dots: seeds)", bars,
                        ylabel="pass@k (%)")


def main(argv: Sequence[str] | None = None) -> list[Path]:
    return cli(render, __doc__, argv)


if __name__ == "__main__":
    main()
