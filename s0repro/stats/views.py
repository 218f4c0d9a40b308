"""Two views of "method A beats method B", both computed from result files.

* **Seed level** (what the paper reports): each seed's score is one observation; mean +/- sample sd over seeds and
  a two-sided Welch t-test of tuned per-seed scores against base per-seed scores. It measures training noise
  only: every seed scores the same problems. A single deterministic base run (greedy decoding does not depend on
  the seed) makes Welch undefined; the view then uses a one-sample t-test of the tuned seeds against that score,
  which is what Welch gives when the base seeds are all equal.
* **Problem level** (what the paper does not report): per-problem correctness averaged over seeds, a paired
  bootstrap CI over problems of the difference, and an exact McNemar test for each seed pair, Holm-corrected
  across seeds. It measures how much the gain would move on a new draw of problems.

A ``Cell`` is one (exp, task, method label) across its seeds; tables build cells and ask for either view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from s0repro.stats.bootstrap import BootstrapCI, paired_bootstrap_ci
from s0repro.stats.mcnemar import McNemarResult, mcnemar
from s0repro.stats.multiple import holm
from s0repro.stats.ttest import MeanCI, TTestResult, mean_ci, one_sample_ttest, paired_ttest, welch_ttest


@dataclass(frozen=True)
class Cell:
    """One (exp, task, method label) over seeds. Scores are fractions in [0, 1]."""

    exp: str
    task: str
    method: str
    seeds: tuple[int, ...]
    scores: tuple[float, ...]
    task_ids: tuple[str, ...]  # problems every seed scored, in the first seed's order
    correct: np.ndarray = field(repr=False)  # bool, (n_seeds, n_problems), aligned with task_ids
    trainable_params: int | None = None
    inference_cost: str | None = None
    model: str | None = None  # meta.model.arch
    model_id: str | None = None  # meta.model.hub_id or meta.model.name (tells model sizes apart)
    exact_scores: tuple[float, ...] | None = None  # eval.beside.exact per seed (one prompt at a time), where recorded
    where: str | None = None  # the state offset's reading (method_info.where: readout | recurrence), if recorded
    method_config: dict = field(default_factory=dict, repr=False)  # method_info.config (e.g. LoRA's rank r)

    @property
    def n(self) -> int:
        return len(self.seeds)

    def summary(self, level: float = 0.95) -> MeanCI:
        return mean_ci(self.scores, level)

    def by_seed(self) -> dict[int, float]:
        return dict(zip(self.seeds, self.scores, strict=True))


def _params(result: Mapping[str, Any]) -> int | None:
    for part in (result.get("method_info") or {}, result.get("train") or {}):
        if part.get("trainable_params") is not None:
            return int(part["trainable_params"])
    return None


def make_cell(results: Iterable[Mapping[str, Any]]) -> Cell:
    """Build a cell from the result dicts of one (exp, task, method); duplicate seeds are an error."""
    rows = sorted(results, key=lambda r: r["seed"])
    if not rows:
        raise ValueError("make_cell needs at least one result")
    keys = {(r["exp"], r["task"], r["method"]) for r in rows}
    if len(keys) != 1:
        raise ValueError(f"make_cell got results of several cells: {sorted(keys)}")
    seeds = [int(r["seed"]) for r in rows]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"duplicate seeds in one cell: {seeds}")
    common = set(rows[0]["eval"]["task_ids"])
    for r in rows[1:]:
        common &= set(r["eval"]["task_ids"])
    order = tuple(t for t in rows[0]["eval"]["task_ids"] if t in common)
    correct = np.zeros((len(rows), len(order)), dtype=bool)
    for i, r in enumerate(rows):
        lookup = dict(zip(r["eval"]["task_ids"], r["eval"]["correct"], strict=True))
        correct[i] = [bool(lookup[t]) for t in order]
    exp, task, method = next(iter(keys))
    info = rows[0].get("method_info") or {}
    model = (rows[0].get("meta") or {}).get("model") or {}
    exact = [(r["eval"].get("beside") or {}).get("exact") for r in rows]
    return Cell(exp, task, method, tuple(seeds), tuple(float(r["eval"]["score"]) for r in rows), order,
                correct, _params(rows[0]), info.get("inference_cost"), model.get("arch"),
                model.get("hub_id") or model.get("name"),
                tuple(float(e["score"]) for e in exact) if all(exact) else None, info.get("where"),
                dict(info.get("config") or {}))


def group_cells(results: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str], Cell]:
    """All cells in a list of results, keyed by (exp, task, method label)."""
    groups: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
    for r in results:
        groups.setdefault((r["exp"], r["task"], r["method"]), []).append(r)
    return {k: make_cell(v) for k, v in sorted(groups.items())}


@dataclass(frozen=True)
class SeedComparison:
    """Seed-level view: tuned minus base, in fractions."""

    tuned: MeanCI
    base: MeanCI
    delta: float
    test: TTestResult  # welch (paper) or one_sample (single base run)
    delta_sd: float  # sd over seeds of tuned - base score, matched by seed (NaN if < 2 matched seeds)
    deltas: tuple[float, ...] = ()  # those seed-matched differences, in tuned's seed order (a deterministic base
    #                                 that ran once, or with other seeds, is matched with every tuned seed)


def seed_level(tuned: Cell, base: Cell, level: float = 0.95, *,
               deterministic_base: bool | None = None) -> SeedComparison:
    """The paper's statistics: mean +/- sd over seeds and a Welch test across seeds.

    ``deterministic_base`` (default: base is the untuned model, label ``none``) allows the one-sample test when
    the base ran once; a single run of a trained method is left untested (Welch with n < 2 is undefined).
    """
    if deterministic_base is None:
        deterministic_base = base.method == "none"
    if deterministic_base and base.n == 1 and tuned.n >= 2:
        test = one_sample_ttest(tuned.scores, base.scores[0], level)
    else:
        test = welch_ttest(tuned.scores, base.scores, level)
    tb, bb = tuned.by_seed(), base.by_seed()
    diffs = [tb[s] - bb[s] for s in tb if s in bb]
    if deterministic_base and (base.n == 1 or (not diffs and len(set(base.scores)) == 1)):
        diffs = [s - base.scores[0] for s in tuned.scores]  # one base score for every seed
    delta_sd = float(np.std(diffs, ddof=1)) if len(diffs) >= 2 else float("nan")
    t_sum, b_sum = tuned.summary(level), base.summary(level)
    return SeedComparison(t_sum, b_sum, t_sum.mean - b_sum.mean, test, delta_sd, tuple(diffs))


def paired_seed_level(a: Cell, b: Cell, level: float = 0.95) -> TTestResult:
    """Paired t-test of a - b over the seeds both cells ran (the paper's S0 vs state-offset rerun)."""
    ba, bb = a.by_seed(), b.by_seed()
    common = [s for s in a.seeds if s in bb]
    return paired_ttest([ba[s] for s in common], [bb[s] for s in common], level)


@dataclass(frozen=True)
class ProblemComparison:
    """Problem-level view: bootstrap CI over problems and McNemar per seed pair (Holm across seeds)."""

    n_problems: int
    bootstrap: BootstrapCI
    mcnemar: tuple[McNemarResult, ...]
    pairs: tuple[tuple[int, int], ...]  # (tuned seed, base seed) per McNemar test
    holm_adjusted: tuple[float, ...]
    n_significant: int  # seed pairs with Holm-adjusted p <= alpha
    alpha: float


def _seed_pairs(tuned: Cell, base: Cell) -> list[tuple[int, int]]:
    if base.n == 1:
        return [(s, base.seeds[0]) for s in tuned.seeds]
    return [(s, s) for s in tuned.seeds if s in base.seeds]


def problem_level(tuned: Cell, base: Cell, *, level: float = 0.95, alpha: float = 0.05, n_boot: int = 10_000,
                  seed: int = 0) -> ProblemComparison:
    """Per-problem view over the problems both cells scored."""
    common = [t for t in tuned.task_ids if t in set(base.task_ids)]
    ti = {t: i for i, t in enumerate(tuned.task_ids)}
    bi = {t: i for i, t in enumerate(base.task_ids)}
    t_idx, b_idx = [ti[t] for t in common], [bi[t] for t in common]
    t_rate = tuned.correct[:, t_idx].mean(axis=0) if common else np.zeros(0)
    b_rate = base.correct[:, b_idx].mean(axis=0) if common else np.zeros(0)
    boot = paired_bootstrap_ci(t_rate, b_rate, level=level, n_boot=n_boot, seed=seed)
    pairs = _seed_pairs(tuned, base)
    t_row = {s: i for i, s in enumerate(tuned.seeds)}
    b_row = {s: i for i, s in enumerate(base.seeds)}
    tests = tuple(mcnemar(tuned.correct[t_row[ts], t_idx], base.correct[b_row[bs], b_idx]) for ts, bs in pairs)
    adj = holm([m.p_value for m in tests], alpha)
    return ProblemComparison(len(common), boot, tests, tuple(pairs), adj.adjusted, sum(adj.reject), alpha)
