"""The claims report: each headline claim of the paper's abstract, our number beside it, and a verdict.

Verdicts: "supported" (the claim, as the paper words it, holds on our measurements), "not supported",
"inconclusive" (the cells ran but the test cannot decide, or is undefined, e.g. one seed), "not run" (result or
benchmark files missing). Every verdict is computed from result files or the overhead benchmark's file, never from a
label a run recorded. Tests are the paper's seed-level ones (Welch across seeds at alpha = 0.05) unless the claim's
wording asks for another: "statistically indistinguishable" is an equivalence test (TOST, margin +/-3 pp by default),
"the offset scores above" a paired difference judged as the higher mean the paper reports, "gains grow with scale"
the slope of per-seed gain on log10(parameters), "zero inference overhead" the S0/base decode-speed ratio of
results/bench/overhead.json (median and interquartile range over paired rounds, batch 1, tolerance 3 %). Spider,
which the paper ran with one seed, uses the per-problem McNemar test when the seed-level test is undefined. A
claimed gain whose seed-level test is undefined (one seed, or zero variance: every seed scored the same) is judged
by the problem-level test instead, and the row names it: the paired bootstrap over problems (supported iff its 95%
CI lies above zero), with McNemar per seed pair (Holm) beside it. A separate column says whether the paper's number
lies in our 95% CI (magnitude, not direction).

    python -m experiments.claims [--results results] [--out results/tables] [--scale full|tiny]
                                 [--tost-margin PP] [--overhead-tolerance FRACTION]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments import alpha as alpha_sweeps
from experiments import data_size, paper, passk
from experiments.ablation_common import load_results
from experiments.common import CODE_TASKS, TINY_NOTE, Cells, Options, cli, compare
from experiments.prefix_control import runs as prefix_runs
from experiments.render import DASH, ROUNDING, Table, p_text, pct, write_tables
from experiments.scaling import SIZES, by_size, gain_trend
from experiments.transfer import s0_arms
from s0repro.errors import UserError
from s0repro.stats import (
    Cell,
    TOSTResult,
    TTestResult,
    paired_seed_level,
    problem_level,
    tost_from_moments,
    tost_welch,
    welch_moments,
    welch_ttest,
)
from s0repro.stats.ttest import ZERO_VARIANCE

NAME = "claims"
ALPHA = 0.05
SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE, NOT_RUN = "supported", "not supported", "inconclusive", "not run"
BENCH_FILE = Path("bench") / "overhead.json"  # under the results root, as benchmarks/overhead.py writes it
# Model configs whose benchmark rows stand for each family (first present wins): the checkpoints the paper's
# Table 1 uses, or at tiny scale the tiny Table 1 models (then the bench's default tiny models).
BENCH_MODELS = {"full": {"qwen3_5": ("qwen3_5_4b",), "falcon_h1": ("falcon_h1_7b",)},
                "tiny": {"qwen3_5": ("minicode_gdn", "tiny_gdn"), "falcon_h1": ("minicode_mamba2", "tiny_mamba2")}}


@dataclass(frozen=True)
class Settings:
    """What a verdict's test needs beyond the data: stated in the report, changeable on the command line."""

    tost_margin_pp: float = 3.0  # equivalence margin for "statistically indistinguishable", pp
    overhead_tolerance: float = 0.03  # an S0/base decode ratio within 3 % of parity counts as no overhead

    def __post_init__(self) -> None:
        if not self.tost_margin_pp > 0:
            raise UserError(f"--tost-margin must be a positive number of percentage points, got {self.tost_margin_pp}")
        if not 0 <= self.overhead_tolerance < 1:
            raise UserError(f"--overhead-tolerance must be a fraction in [0, 1), got {self.overhead_tolerance}")


@dataclass(frozen=True)
class ClaimResult:
    claim: str
    paper: str
    ours: str
    verdict: str
    paper_in_ci: str = DASH
    ran: str = DASH  # the model(s), task and seeds our number came from (read from the result files)


def _in_ci(paper_pp: float, test: TTestResult) -> str:
    if not test.defined:
        return "n/a"
    tol = ROUNDING / 2  # the paper prints one decimal
    return "yes" if 100 * test.ci_low - tol <= paper_pp <= 100 * test.ci_high + tol else "no"


def _test_text(test: TTestResult, n: str) -> str:
    return f"{pct(test.mean_diff, signed=True)} pp, p = {p_text(test.p_value)} ({n})"


def _judge(claim: str, paper_txt: str, paper_pp: float, test: TTestResult | None, n: str,
           holds: Callable[[TTestResult], bool]) -> ClaimResult:
    """'not run' without a test, 'inconclusive' when it is undefined, else whether ``holds(test)``."""
    if test is None:
        return ClaimResult(claim, paper_txt, DASH, NOT_RUN)
    if not test.defined:
        return ClaimResult(claim, paper_txt, _test_text(test, n), INCONCLUSIVE)
    return ClaimResult(claim, paper_txt, _test_text(test, n), SUPPORTED if holds(test) else NOT_SUPPORTED,
                       _in_ci(paper_pp, test))


Pair = tuple[Cell, Cell] | None  # (tuned, other): the cells a seed-level test compared, for the problem-level one


def _greater(claim: str, paper_txt: str, paper_pp: float, test: TTestResult | None, n: str,
             pair: Pair = None) -> ClaimResult:
    """A claimed improvement: supported iff the difference is positive and p < alpha; where the seed-level test is
    undefined, by the problem-level test (:func:`_by_problems`)."""
    if test is not None and not test.defined and pair is not None:
        result = _by_problems(claim, paper_txt, test, n, *pair)
    else:
        result = _judge(claim, paper_txt, paper_pp, test, n, lambda t: t.mean_diff > 0 and t.p_value < ALPHA)
    return result if pair is None else dataclasses.replace(result, ran=ran_text(pair))


def ran_text(cells: Sequence[Cell]) -> str:
    """What a row's number came from: each cell's model (hub id or config name), task, method and seeds."""
    return "; ".join(f"{c.model_id or c.model or '?'} / {c.task} / {c.method} ({c.n} seeds)" for c in cells)


def _by_problems(claim: str, paper_txt: str, test: TTestResult, n: str, tuned: Cell, other: Cell) -> ClaimResult:
    """Judge a gain over problems: the paired bootstrap's 95% CI above zero; McNemar per seed pair beside it."""
    why = "zero variance" if test.note == ZERO_VARIANCE else "fewer than 2 seeds"
    if not set(tuned.task_ids) & set(other.task_ids):
        return ClaimResult(claim, paper_txt, f"{_test_text(test, n)}; seed-level test undefined ({why}), no "
                           "problems in common for a problem-level one", INCONCLUSIVE)
    pv = problem_level(tuned, other)
    boot = pv.bootstrap
    ours = (f"{pct(test.mean_diff, signed=True)} pp ({n}); seed-level test undefined ({why}); judged by the paired "
            f"bootstrap over {pv.n_problems} problems: 95% CI {pct(boot.ci_low, signed=True)} to "
            f"{pct(boot.ci_high, signed=True)} pp; McNemar significant in {pv.n_significant}/{len(pv.mcnemar)} seed "
            "pairs (Holm)")
    return ClaimResult(claim, paper_txt, ours, SUPPORTED if boot.ci_low > 0 else NOT_SUPPORTED, "n/a")


def _tuned_vs_base(cells: Cells, exps: list[str], tasks, arch, method="s0") -> tuple[TTestResult | None, str, Pair]:
    tuned, base = cells.with_base(exps, method, tasks, arch)
    cmp = compare(tuned, base)
    return (None, "", None) if cmp is None else (cmp.test, f"{tuned.n} vs {base.n} seeds", (tuned, base))


def _welch(a, b) -> tuple[TTestResult | None, str, Pair]:
    if a is None or b is None:
        return None, "", None
    return welch_ttest(a.scores, b.scores), f"{a.n} vs {b.n} seeds", (a, b)


def _s0_vs(cells: Cells, exps: list[str], other: str, arch: str) -> tuple[TTestResult | None, str, Pair]:
    """Welch across seeds, S0 minus ``other`` on the code task of one model family."""
    return _welch(cells.find(exps, "s0", CODE_TASKS, arch), cells.find(exps, other, CODE_TASKS, arch))


def _gain(arch: str, model: str, paper_txt: str, paper_pp: float) -> Callable[[Cells, Options], ClaimResult]:
    def check(cells: Cells, opts: Options) -> ClaimResult:
        test, n, pair = _tuned_vs_base(cells, opts.exps(arch), CODE_TASKS, arch)
        claim = f"S0 improves {model} HumanEval pass@1 over the base model"
        return _greater(claim, paper_txt, paper_pp, test, n, pair)
    return check


claim_qwen_gain = _gain("qwen3_5", "Qwen3.5-4B", "+23.6 ± 1.7 pp (10 seeds)", 23.6)
claim_falcon_gain = _gain("falcon_h1", "Falcon-H1-7B", "40.5 → 71.8 (+31.3 pp, 3 seeds)", 31.3)


def claim_qwen_vs_lora(cells: Cells, opts: Options) -> ClaimResult:
    test, n, pair = _s0_vs(cells, opts.exps("qwen3_5"), "lora", "qwen3_5")
    return _greater("S0 beats LoRA on Qwen3.5-4B", "+10.8 pp, Welch p = 0.000056 (10 seeds)",
                    paper.S0_VS_LORA_QWEN.value, test, n, pair)


def tie_verdict(tost: TOSTResult, diff: TTestResult) -> str:
    """Equivalent within the margin -> supported; a detected difference without equivalence -> not supported;
    neither (a difference test with p >= alpha alone says nothing about equality) -> inconclusive."""
    if not tost.defined or not diff.defined:
        return INCONCLUSIVE
    if tost.equivalent:
        return SUPPORTED
    return NOT_SUPPORTED if diff.p_value < ALPHA else INCONCLUSIVE


def _paper_tie(margin_pp: float) -> TOSTResult:
    """The same TOST on the paper's own Falcon summaries (mean, sd, seeds of S0 and LoRA in Table 1)."""
    a, b = paper.TABLE1[("falcon_h1", "s0")], paper.TABLE1[("falcon_h1", "lora")]
    diff, se, df = welch_moments(a.value, a.sd, a.n_seeds, b.value, b.sd, b.n_seeds)
    return tost_from_moments(diff, se, df, margin_pp, n_a=a.n_seeds, n_b=b.n_seeds)


def _tie(settings: Settings) -> Callable[[Cells, Options], ClaimResult]:
    def claim_falcon_tie(cells: Cells, opts: Options) -> ClaimResult:
        """TOST of S0 - LoRA on Falcon-H1 with the stated margin, beside the paper's Welch difference test."""
        claim = "S0 and LoRA statistically indistinguishable on Falcon-H1-7B"
        m = settings.tost_margin_pp
        paper_tost = _paper_tie(m)
        paper_txt = f"71.8 vs 71.4 (3 seeds); TOST ±{m:g} pp on these summaries: p = {p_text(paper_tost.p_value)}"
        exps = opts.exps("falcon_h1")
        s0, lora = cells.find(exps, "s0", CODE_TASKS, "falcon_h1"), cells.find(exps, "lora", CODE_TASKS, "falcon_h1")
        if s0 is None or lora is None:
            return ClaimResult(claim, paper_txt, DASH, NOT_RUN)
        tost, diff = tost_welch(s0.scores, lora.scores, m / 100), welch_ttest(s0.scores, lora.scores)
        ours = (f"{pct(diff.mean_diff, signed=True)} pp ({s0.n} vs {lora.n} seeds); TOST ±{m:g} pp: "
                f"p = {p_text(tost.p_value)} (lower {p_text(tost.p_lower)}, upper {p_text(tost.p_upper)}), "
                f"90% CI {pct(tost.ci_low, signed=True)} to {pct(tost.ci_high, signed=True)} pp; "
                f"Welch difference p = {p_text(diff.p_value)}")
        return ClaimResult(claim, paper_txt, ours, tie_verdict(tost, diff), _in_ci(0.4, diff), ran_text([s0, lora]))
    return claim_falcon_tie


def claim_matched_budget(cells: Cells, opts: Options) -> ClaimResult:
    test, n, pair = _s0_vs(cells, opts.exps("lora_budget") + opts.exps("qwen3_5"), "lora_r64", "qwen3_5")
    return _greater("S0 beats LoRA at a matched budget (r64, 12.6M parameters)", "+23.6 vs -15.5 pp (+39.1)",
                    39.1, test, n, pair)


def _paired_text(label: str, test: TTestResult) -> str:
    return (f"{label} {pct(test.mean_diff, signed=True)} pp, 95% CI {pct(test.ci_low, signed=True)} to "
            f"{pct(test.ci_high, signed=True)}, paired p = {p_text(test.p_value)} ({test.n_a} seeds)")


def claim_state_offset(cells: Cells, opts: Options) -> ClaimResult:
    """The paper states a higher mean (offset +27.1 vs S0 +23.5, LoRA +12.7), not a significant difference: judged
    as a higher mean over the seeds both ran, with the paired difference, its CI and p reported beside it."""
    claim = "The per-step state offset scores above S0 and LoRA (at a per-step inference cost)"
    paper_txt = "+27.1 vs +23.5 (S0) and +12.7 (LoRA) pp; higher mean, 10 seeds"
    exps = opts.exps("qwen3_5")
    offset = cells.find(exps, "state_offset", CODE_TASKS, "qwen3_5")
    others = [(label, cells.find(exps, m, CODE_TASKS, "qwen3_5")) for label, m in (("vs S0", "s0"), ("vs LoRA", "lora"))]
    if offset is None or any(c is None for _, c in others):
        return ClaimResult(claim, paper_txt, DASH, NOT_RUN)
    tests = [(label, paired_seed_level(offset, other)) for label, other in others]
    if any(t.n_a == 0 for _, t in tests):
        return ClaimResult(claim, paper_txt, "no seeds in common", INCONCLUSIVE)
    verdict = SUPPORTED if all(t.mean_diff > 0 for _, t in tests) else NOT_SUPPORTED
    return ClaimResult(claim, paper_txt, "; ".join(_paired_text(label, t) for label, t in tests), verdict,
                       _in_ci(paper.TABLE3["state_offset"].value - paper.TABLE3["s0"].value, tests[0][1]),
                       ran_text([offset, *(c for _, c in others)]))


def _transfer(task: str, exp: str, label: str) -> Callable[[Cells, Options], ClaimResult]:
    def check(cells: Cells, opts: Options) -> ClaimResult:
        rep = paper.TRANSFER[task]["delta"]
        test, n, pair = _tuned_vs_base(cells, opts.exps(exp), [task], None)
        return _greater(f"S0 transfers to {label}", f"{rep.value:+.1f} pp, p = {rep.p_value:g} ({rep.n_seeds} seeds)",
                        rep.value, test, n, pair)
    return check


def claim_spider(cells: Cells, opts: Options) -> ClaimResult:
    """Supported iff no S0 arm (any alpha) shows a significant gain over base."""
    claim, paper_txt = "No transfer to Spider (text-to-SQL)", "~72%, no gain for alphas 0.03-0.15 (1 seed)"
    base = cells.find(opts.exps("spider"), "none", ["spider"])
    arms = s0_arms(cells, opts, "spider", "spider")
    if base is None or not arms:
        return ClaimResult(claim, paper_txt, DASH, NOT_RUN)
    parts, gains, undefined = [], 0, 0
    for s0 in arms:
        cmp = compare(s0, base)
        if cmp.test.defined:
            p, how = cmp.test.p_value, "Welch"
        else:
            pv = problem_level(s0, base)
            p, how = (pv.mcnemar[0].p_value, "McNemar") if pv.mcnemar else (float("nan"), "no test")
        undefined += p != p
        gains += cmp.delta > 0 and p < ALPHA
        parts.append(f"{s0.method} {pct(cmp.delta, signed=True)} pp (p = {p_text(p)}, {how})")
    verdict = NOT_SUPPORTED if gains else (INCONCLUSIVE if undefined else SUPPORTED)
    return ClaimResult(claim, paper_txt, "; ".join(parts), verdict)


def claim_prefix(cells: Cells, opts: Options) -> ClaimResult:
    claim, paper_txt = "Prefix tuning on a pure Transformer hurts", "-13.9 pp, all 9 configurations below base"
    found = prefix_runs(cells, opts)
    deltas = [d for _, cmp in found for d in cmp.deltas]
    if not deltas:
        return ClaimResult(claim, paper_txt, DASH, NOT_RUN)
    below = sum(d < 0 for d in deltas)
    ours = f"{100 * sum(deltas) / len(deltas):+.1f} pp, {below} of {len(deltas)} runs below base"
    return ClaimResult(claim, paper_txt, ours, SUPPORTED if below == len(deltas) else NOT_SUPPORTED)


def claim_scaling(cells: Cells, opts: Options) -> ClaimResult:
    """A trend is tested as one: the slope of per-seed gain on log10(parameters), two-sided t-test of slope = 0."""
    claim, paper_txt = "S0's gain grows with model size (Qwen3.5)", "+2.6 / +19.0 / +44.0 pp at 0.8B / 2B / 9B"
    found = by_size(cells, opts)
    if not found:
        return ClaimResult(claim, paper_txt, DASH, NOT_RUN)
    ours = " / ".join(f"{s} {pct(found[s].delta, signed=True)}" for s in SIZES if s in found) + " pp"
    trend = gain_trend(found)
    if trend is None or not trend.defined:
        return ClaimResult(claim, paper_txt, ours + "; slope untestable (" + (trend.note if trend else "one size") + ")",
                           INCONCLUSIVE)
    ours += (f"; slope {trend.slope:+.1f} pp per 10x parameters (95% CI {trend.ci_low:+.1f} to {trend.ci_high:+.1f}), "
             f"p = {p_text(trend.p_value)}, {trend.n} seed gains")
    verdict = SUPPORTED if trend.slope > 0 and trend.p_value < ALPHA else NOT_SUPPORTED
    return ClaimResult(claim, paper_txt, ours, verdict)


def _bench_row(bench: dict[str, Any], keys: Sequence[str]) -> tuple[str, dict[str, Any]] | None:
    for key in keys:
        s0 = (bench.get(key) or {}).get("s0")
        if s0:
            return key, s0
    return None


def _batch_one(row: dict[str, Any]) -> dict[str, Any]:
    """The batch-1 entry (the paper's one-prompt-at-a-time setting), else the smallest batch measured."""
    batches = row.get("batch") or {}
    if not batches:
        raise UserError("overhead.json: an s0 row has no per-batch numbers; rerun benchmarks/overhead.py")
    return batches.get("1") or batches[min(batches, key=int)]


def overhead_verdict(ratio: float, q1: float, q3: float, tolerance: float) -> str:
    """S0 tokens/s over base tokens/s: parity within ``tolerance`` at the median -> supported; the whole
    interquartile range below it -> not supported; a median below with an upper quartile within -> inconclusive."""
    floor = 1.0 - tolerance
    if ratio >= floor:
        return SUPPORTED
    return NOT_SUPPORTED if q3 < floor else INCONCLUSIVE

# ---- the ablations' claims (paper appendices; issue 13) ------------------------------------------------------------
def claim_passk(cells: Cells, opts: Options) -> ClaimResult:
    """Welch across seeds of per-seed sampled pass@10, S0 minus LoRA."""
    _, scores, seeds, _ = passk.collect(opts)
    s0, lora = scores.get("s0", {}).get(10, []), scores.get("lora", {}).get(10, [])
    s0, lora = [v for v in s0 if v == v], [v for v in lora if v == v]
    test = welch_ttest(s0, lora) if s0 and lora else None
    return _greater("S0's sampled pass@10 exceeds LoRA's", "88.5 vs 66.7 % (+21.8 pp, 3 seeds)", 21.8, test,
                    f"{len(s0)} vs {len(lora)} seeds")


def claim_layer_order(cells: Cells, opts: Options) -> ClaimResult:
    """Supported iff early > middle and middle > late, each by Welch at alpha; undefined tests: inconclusive."""
    claim, paper_txt = "Layer groups order early > middle > late", "+23.8 > +19.0 > +13.1 pp (1 seed)"
    exps = opts.exps("layer_groups")
    found = [cells.find(exps, f"s0_{g}") for g in ("early", "middle", "late")]
    if any(c is None for c in found):
        return ClaimResult(claim, paper_txt, DASH, NOT_RUN)
    tests = [welch_ttest(a.scores, b.scores) for a, b in zip(found, found[1:], strict=False)]
    ours = " > ".join(f"{g} {pct(c.summary().mean)}" for g, c in zip(("early", "middle", "late"), found, strict=True))
    ours += " % (" + ", ".join(f"p = {p_text(t.p_value)}" for t in tests) + f"; {found[0].n} seeds)"
    if not all(t.defined for t in tests):
        return ClaimResult(claim, paper_txt, ours, INCONCLUSIVE)
    holds = all(t.mean_diff > 0 and t.p_value < ALPHA for t in tests)
    return ClaimResult(claim, paper_txt, ours, SUPPORTED if holds else NOT_SUPPORTED)


def claim_ten_solutions(cells: Cells, opts: Options) -> ClaimResult:
    point = next((p for p in data_size.points(opts) if p.size == 10), None)
    cmp = point.s0 if point else None
    return _greater("10 verified solutions already give S0 a large gain", "+25.4 ± 6.8 pp (3 seeds)",
                    paper.DATA_SIZE[10].value, cmp.test if cmp else None, f"{cmp.tuned.n if cmp else 0} seeds")


def claim_s0_beats_lora_every_size(cells: Cells, opts: Options) -> ClaimResult:
    """Not the paper's claim but its premise ('when verified supervision is scarce'): S0 > LoRA at each size run."""
    claim = "S0 beats LoRA at every data size (the paper's premise; LoRA at these sizes is ours)"
    paper_txt = "S0 +25.4 / +22.6 / +22.6 pp at 10 / 25 / 50; LoRA not run"
    found = [p for p in data_size.points(opts) if p.s0_vs_lora is not None]
    if not found:
        return ClaimResult(claim, paper_txt, DASH, NOT_RUN)
    ours = "; ".join(f"{data_size.size_label(p.size)}: {pct(p.s0_vs_lora.mean_diff, signed=True)} pp "
                     f"(p = {p_text(p.s0_vs_lora.p_value)})" for p in found)
    if not all(p.s0_vs_lora.defined for p in found):
        return ClaimResult(claim, paper_txt, ours, INCONCLUSIVE)
    holds = all(p.s0_vs_lora.mean_diff > 0 and p.s0_vs_lora.p_value < ALPHA for p in found)
    return ClaimResult(claim, paper_txt, ours, SUPPORTED if holds else NOT_SUPPORTED)


def _alpha_point(points, alpha: float):
    return next((p for p in points if abs(p.alpha - alpha) < 1e-9), None)


def claim_falcon_alpha(cells: Cells, opts: Options) -> ClaimResult:
    """Welch across seeds, S0 at alpha 0.65 minus S0 at 0.07 (Falcon-H1, greedy)."""
    points = alpha_sweeps.sweep(load_results(opts), opts.exps("alpha_falcon"), alpha_sweeps.greedy)
    best, default = _alpha_point(points, 0.65), _alpha_point(points, 0.07)
    test = welch_ttest(best.s0_scores, default.s0_scores) if best and default else None
    return _greater("Falcon-H1 needs its own alpha: 0.65 beats the GatedDeltaNet 0.07", "+31.3 vs +8.3 pp",
                    23.0, test, f"{best.s0.n if best else 0} vs {default.s0.n if default else 0} seeds")


def claim_falcon_collapse(cells: Cells, opts: Options) -> ClaimResult:
    """Supported iff S0 at alpha 2.0 scores below the base with p < alpha (the paper gives no number)."""
    claim, paper_txt = "On Falcon-H1, alpha 2.0 falls below the base", "below the base (figure only)"
    points = alpha_sweeps.sweep(load_results(opts), opts.exps("alpha_falcon"), alpha_sweeps.greedy)
    high = _alpha_point(points, paper.ALPHA_FALCON_COLLAPSE)
    if high is None:
        return ClaimResult(claim, paper_txt, DASH, NOT_RUN)
    ours = _test_text(high.test, f"{high.s0.n} seeds")
    if not high.test.defined:
        return ClaimResult(claim, paper_txt, ours, INCONCLUSIVE)
    below = high.test.mean_diff < 0 and high.test.p_value < ALPHA
    return ClaimResult(claim, paper_txt, ours, SUPPORTED if below else NOT_SUPPORTED)


def claim_qwen_alpha_flat(cells: Cells, opts: Options) -> ClaimResult:
    """Supported iff every alpha of 0.03-0.15 that ran improves sampled pass@1 significantly."""
    claim, paper_txt = "Every Qwen3.5 alpha in 0.03-0.15 improves sampled pass@1", "+30 to +34 pp (1 seed)"
    points = [p for p in alpha_sweeps.sweep(load_results(opts), opts.exps("alpha_qwen"), alpha_sweeps.sampled_pass1)
              if paper.ALPHA_QWEN_ALPHAS[0] <= p.alpha <= paper.ALPHA_QWEN_ALPHAS[-1]]
    if not points:
        return ClaimResult(claim, paper_txt, DASH, NOT_RUN)
    ours = "; ".join(f"{p.alpha:g}: {pct(p.change, signed=True)}" for p in points) + " pp"
    if not all(p.test.defined for p in points):
        return ClaimResult(claim, paper_txt, ours, INCONCLUSIVE)
    holds = all(p.change > 0 and p.test.p_value < ALPHA for p in points)
    return ClaimResult(claim, paper_txt, ours, SUPPORTED if holds else NOT_SUPPORTED)


ABLATION_CLAIMS: tuple[Callable[[Cells, Options], ClaimResult], ...] = (
    claim_passk, claim_layer_order, claim_ten_solutions, claim_s0_beats_lora_every_size, claim_falcon_alpha,
    claim_falcon_collapse, claim_qwen_alpha_flat,
)


def read_bench(results: Path) -> dict[str, Any] | None:
    path = results / BENCH_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise UserError(f"cannot read {path}: {err}; rerun benchmarks/overhead.py") from None


def _overhead(arch: str, model: str, settings: Settings) -> Callable[[Cells, Options], ClaimResult]:
    def claim_zero_overhead(cells: Cells, opts: Options) -> ClaimResult:
        """From the benchmark file only (a run's recorded inference-cost label is not evidence)."""
        claim = f"S0 adds no inference overhead on {model}"
        paper_txt = "overhead: none (only the initial state changes)"
        bench = read_bench(opts.results)
        found = None if bench is None else _bench_row(bench, BENCH_MODELS[opts.scale][arch])
        if found is None:
            return ClaimResult(claim, paper_txt, DASH, NOT_RUN)
        key, row = found
        one = _batch_one(row)
        ratio, q1, q3 = float(one["ratio_to_base"]), float(one["ratio_q1"]), float(one["ratio_q3"])
        ours = (f"{key}: S0/base decode speed {ratio:.3f} (IQR {q1:.3f} to {q3:.3f}, {one.get('runs', '?')} paired "
                f"rounds); parity within {100 * settings.overhead_tolerance:g} %")
        return ClaimResult(claim, paper_txt, ours, overhead_verdict(ratio, q1, q3, settings.overhead_tolerance))
    return claim_zero_overhead


def claims(settings: Settings = Settings()) -> tuple[Callable[[Cells, Options], ClaimResult], ...]:
    """The checks, in the report's order."""
    return (
        claim_qwen_gain, _overhead("qwen3_5", "Qwen3.5-4B", settings), _overhead("falcon_h1", "Falcon-H1-7B", settings),
        claim_qwen_vs_lora, claim_falcon_gain, _tie(settings), claim_matched_budget, claim_state_offset,
        _transfer("math500", "transfer_math500", "MATH-500"), _transfer("gsm8k", "transfer_gsm8k", "GSM8K"),
        claim_spider, claim_prefix, claim_scaling,
    )


CLAIMS = claims()


def evaluate(cells: Cells, opts: Options, settings: Settings = Settings()) -> list[ClaimResult]:
    return [check(cells, opts) for check in claims(settings) + ABLATION_CLAIMS]


def render(opts: Options, settings: Settings = Settings()) -> list[Path]:
    results = evaluate(Cells(opts.results), opts, settings)
    if opts.scale == "tiny":  # a CPU-sized world: name what ran, judge it, and do not place the paper in its CI
        table = Table("Claims of the abstract, tested in a CPU-sized world (tiny models, minicode): not the paper's "
                      "models", ["claim (as the paper states it)", "paper", "what ran here", "ours (tiny)",
                                 "verdict (tiny world)"])
        for r in results:
            table.add(r.claim, r.paper, r.ran, r.ours, r.verdict)
    else:
        table = Table("Claims of the abstract: paper vs ours",
                      ["claim", "paper", "ours", "verdict", "paper's number in our 95% CI"])
        for r in results:
            table.add(r.claim, r.paper, r.ours, r.verdict, r.paper_in_ci)
    table.notes.append(__doc__.split("\n\n")[1].replace("\n", " "))
    if opts.scale == "tiny":
        table.notes.append(TINY_NOTE + " A verdict here says whether the claim holds for these tiny models on this "
                           "task, nothing about the paper's models.")
    md, tex = write_tables(opts.out, NAME, [table])
    return [md, tex]


def main(argv: Sequence[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--tost-margin", type=float, default=Settings.tost_margin_pp)
    parser.add_argument("--overhead-tolerance", type=float, default=Settings.overhead_tolerance)
    known, rest = parser.parse_known_args(argv)

    def render_with(opts: Options) -> list[Path]:
        return render(opts, Settings(known.tost_margin, known.overhead_tolerance))
    return cli(render_with, __doc__, rest)


if __name__ == "__main__":
    main()
