"""The paper's mechanistic analysis from our runs: where S0's greedy output first departs from the base model's on
the problems it fixed, and how S0's direct influence on the next-token distribution fades across the prompt.

* First divergence: from the stored generations of every S0 seed and the base run of the same seed (else the single
  base run): FAIL->PASS flips (verdicts under the clean-up ``--cleanup``, default the authors'; results that recorded
  one verdict only use it), the character where the raw outputs first differ, pooled over seeds.
* KL influence: read from ``kl_profile.json`` beside an S0 result, which ``python -m s0repro.tools.kl_profile``
  writes (it loads the model: two forwards per prompt, no generation): KL(tuned || base) of the next-token
  distribution at every prompt position of the eval problems, as a ratio to the first position (our reading of the
  paper's "KL ratio", which it does not define further). Tables read result files only.

Writes ``mechanistic.md``/``.tex`` (paper vs ours) and ``mechanistic.png`` (divergence positions; KL profile).

    python -m experiments.mechanistic [--results results] [--out results/tables] [--scale full|tiny]
                                      [--cleanup authors|lenient]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from experiments import paper
from experiments.common import Options, cli, readable_results
from experiments.failures import by_experiment
from experiments.render import DASH, NOT_RUN, Table, p_text, write_tables
from s0repro.results import eval_records, result_dir
from s0repro.results.schema import KL_PROFILE_FILE
from s0repro.stats.divergence import DivergenceSummary, Flip, flip_divergences

NAME = "mechanistic"
BINS = 20


@dataclass
class Analysis:
    """One (exp, task, model): pooled flips over seeds, and KL ratios per problem when measured."""

    key: tuple[str, str, str]
    seeds: list[int] = field(default_factory=list)
    flips: list[Flip] = field(default_factory=list)
    kl_ratios: list[np.ndarray] = field(default_factory=list)

    @property
    def summary(self) -> DivergenceSummary:
        return DivergenceSummary(tuple(self.flips))


def read_generations(root: Path, result: Mapping[str, Any], cleanup: str) -> dict[str, tuple[bool, str]] | None:
    """task_id -> (passed under ``cleanup``, raw completion) from the result's per-problem records; None if absent."""
    records = eval_records(root, result)
    if records is None:
        return None
    out = {}
    for rec in records:
        verdict = ((rec.get("by_cleanup") or {}).get(cleanup) or {}).get("passed", rec.get("passed"))
        out[rec["task_id"]] = (bool(verdict), rec.get("raw", ""))
    return out


def divergences(root: Path, cleanup: str) -> list[Analysis]:
    results = readable_results(root)
    found = []
    for key, methods in sorted(by_experiment(results).items()):
        if "s0" not in methods or "none" not in methods:
            continue
        base_runs, analysis = methods["none"], Analysis(key)
        for seed, s0 in sorted(methods["s0"].items()):
            base = base_runs.get(seed) or (next(iter(base_runs.values())) if len(base_runs) == 1 else None)
            tuned_gen = read_generations(root, s0, cleanup)
            base_gen = read_generations(root, base, cleanup) if base else None
            if tuned_gen is None or base_gen is None:
                continue
            analysis.seeds.append(seed)
            analysis.flips += [Flip(f"{seed}:{f.task_id}", f.position, f.relative)
                               for f in flip_divergences(base_gen, tuned_gen).flips]
        analysis.kl_ratios = read_kl_profile(root, methods["s0"])
        found.append(analysis)
    return found


def read_kl_profile(root: Path, s0_results: Mapping[int, Mapping[str, Any]]) -> list[np.ndarray]:
    """The KL ratios of the first S0 seed whose cell holds a ``kl_profile.json``; none measured: empty."""
    for seed, result in sorted(s0_results.items()):
        path = result_dir(root, result["exp"], result["task"], result["method"], seed) / KL_PROFILE_FILE
        if path.is_file():
            return [np.asarray(r, dtype=float) for r in json.loads(path.read_text())["ratios"]]
    return []


def binned_profile(ratios: Sequence[np.ndarray], bins: int = 20) -> np.ndarray:
    """Median over prompts of the ratio in each of ``bins`` equal slices of relative prompt position (prompts differ
    in length); a prompt shorter than ``bins`` tokens contributes to the slices its positions fall into."""
    out = np.full(bins, np.nan)
    for b in range(bins):
        values = []
        for r in ratios:
            pos = np.arange(r.size) / max(r.size - 1, 1)
            inside = (pos >= b / bins) & ((pos < (b + 1) / bins) | (b == bins - 1))
            if inside.any():
                values.append(float(np.median(r[inside])))
        if values:
            out[b] = float(np.median(values))
    return out


def _kl_text(ratios: Sequence[np.ndarray]) -> str:
    if not ratios:
        return NOT_RUN
    last = np.array([100 * r[-1] for r in ratios])
    q1, med, q3 = np.percentile(last, [25, 50, 75])
    return f"{med:.3g} % (IQR {q1:.3g} to {q3:.3g} %, {len(ratios)} prompts)"


def table_for(a: Analysis) -> Table:
    s = a.summary
    exp, task, model = a.key
    table = Table(f"Mechanistic analysis: {exp} / {task} / {model} (S0 vs base)", ["quantity", "paper", "ours"])
    n_txt = f"{s.n} ({len(a.seeds)} seeds pooled)" if a.seeds else NOT_RUN
    first = f"{s.at_first_char} of {s.n} ({100 * s.at_first_char / s.n:.0f} %)" if s.n else DASH
    early = f"{s.early} of {s.n}, sign test p = {p_text(s.early_p_value)}" if s.n else DASH
    flips = paper.FIRST_CHAR_OTHER_POSITIONS
    table.add("FAIL→PASS flips", "27 (1 seed)", n_txt)
    table.add("diverging at the first generated character", f"23 of 27 ({paper.FIRST_CHAR_FLIPS.value:.0f} %)", first)
    table.add("diverging within the first 10 % of the completion", "27 of 27, sign test p < 1e-8", early)
    table.add("median divergence position (characters)", f"0 (others at {', '.join(map(str, flips))})",
              DASH if s.median_position is None else f"{s.median_position:g}")
    table.add("KL ratio at the last prompt token (median over prompts)", f"{paper.KL_RATIO_END.value:g} %",
              _kl_text(a.kl_ratios))
    table.notes.append("KL ratio: KL(tuned || base) of the next-token distribution at a prompt position over its value "
                       "at the first position; the paper's normalisation is not stated, this is our reading.")
    return table


def plot(path: Path, analyses: Sequence[Analysis]) -> Path:
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for a in analyses:
        label = f"{a.key[0]} / {a.key[2]}"
        if a.flips:
            left.hist([100 * f.relative for f in a.flips], bins=20, range=(0, 100), alpha=0.6, label=label)
        if a.kl_ratios:
            prof = binned_profile(a.kl_ratios, BINS)
            right.plot((np.arange(BINS) + 0.5) / BINS * 100, np.clip(prof, 1e-8, None) * 100, marker="o", label=label)
    left.set(xlabel="first divergence (% of the S0 completion)", ylabel="FAIL→PASS flips",
             title="Where S0's output departs from base")
    right.set(xlabel="prompt position (% of the prompt)", ylabel="KL ratio to the first position (%)", yscale="log",
              title="S0's direct influence across the prompt")
    for ax in (left, right):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def render(opts: Options, cleanup: str = "authors") -> list[Path]:
    analyses = divergences(opts.results, cleanup)
    tables = [table_for(a) for a in analyses] or [Table("Mechanistic analysis: no S0 and base results", ["quantity"])]
    md, tex = write_tables(opts.out, NAME, tables)
    return [md, tex, plot(opts.out / f"{NAME}.png", analyses)]


def main(argv: Sequence[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--cleanup", choices=("authors", "lenient"), default="authors")
    known, rest = parser.parse_known_args(argv)
    return cli(lambda opts: render(opts, known.cleanup), __doc__, rest)


if __name__ == "__main__":
    main()
