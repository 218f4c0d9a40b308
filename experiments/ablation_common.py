"""What the ablation tables share: result fields the cells do not keep, sweeps spread over experiments, line plots.

A Hydra sweep writes one experiment per value (``data_size_n10``, ``alpha_falcon_a0.65``), so a sweep is every
experiment whose name starts with ``<name>_``; the swept value is read back from the result files themselves
(``train.data_size``, ``method_info.config.alpha``), never parsed from the folder name. Sampled results carry the
per-problem pass counts (``eval.sampled``), from which :func:`passk_by_seed` applies the unbiased estimator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from experiments.common import Options, readable_results  # noqa: E402
from experiments.render import NOT_RUN  # noqa: E402
from s0repro.stats import MeanCI, mean_ci, mean_pass_at_k  # noqa: E402

Result = Mapping[str, Any]


def load_results(opts: Options) -> list[Result]:
    return readable_results(opts.results)


def sweep_exps(results: Sequence[Result], names: Sequence[str]) -> list[str]:
    """Experiments named ``<name>`` or ``<name>_<value>`` for the first of ``names`` that has any, sorted."""
    for name in names:
        found = sorted({r["exp"] for r in results if r["exp"] == name or r["exp"].startswith(name + "_")})
        if found:
            return found
    return []


def rows(results: Sequence[Result], exp: str, method: str) -> list[Result]:
    """The results of one cell, by seed."""
    return sorted((r for r in results if r["exp"] == exp and r["method"] == method), key=lambda r: r["seed"])


def method_setting(result: Result, key: str) -> Any:
    """A method config value as the run recorded it (``method_info.config``)."""
    return ((result.get("method_info") or {}).get("config") or {}).get(key)


def passk_by_seed(results: Sequence[Result], k: int) -> list[float]:
    """pass@k (fraction) of each result from its sampled pass counts; NaN where it has none or n < k."""
    out = []
    for r in results:
        sampled = (r.get("eval") or {}).get("sampled") or {}
        n, counts = sampled.get("n", 0), sampled.get("pass_counts") or []
        out.append(mean_pass_at_k(counts, n, k) if counts and n >= k else float("nan"))
    return out


def summary(values: Sequence[float]) -> MeanCI | None:
    """Mean, sd and t interval over seeds of the defined values; None when none is."""
    kept = [v for v in values if not math.isnan(v)]
    return mean_ci(kept) if kept else None


@dataclass(frozen=True)
class Line:
    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]  # mean over seeds, percent
    err: tuple[float, ...] | None = None  # sd over seeds (NaN: one seed)
    style: str = "-o"


def plot_lines(path: Path, title: str, lines: Sequence[Line], xlabel: str, ylabel: str, *, logx: bool = False,
               hline: float | None = None) -> Path:
    """Mean over seeds against a swept value, +/- 1 sd; paper points dashed; an empty figure says 'not run'."""
    fig, ax = plt.subplots(figsize=(5.0, 3.6), dpi=120)
    for line in lines:
        err = None if line.err is None else [0.0 if math.isnan(e) else e for e in line.err]
        ax.errorbar(line.x, line.y, yerr=err, fmt=line.style, capsize=3, lw=1, ms=4, label=line.label)
    if hline is not None:
        ax.axhline(hline, color="grey", lw=0.5)
    if logx:
        ax.set_xscale("log")
        ticks = sorted({x for line in lines for x in line.x})
        ax.set_xticks(ticks, [f"{x:g}" for x in ticks], fontsize=7)
        ax.minorticks_off()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    if lines:
        ax.legend(fontsize=7, frameon=False)
    else:
        ax.text(0.5, 0.5, NOT_RUN, ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
