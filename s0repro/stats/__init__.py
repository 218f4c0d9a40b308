"""Stage 6: statistics. Seed-level tests (what the paper reports) and per-problem tests (what it leaves out);
equivalence (TOST) and trend (slope) tests for the claims the paper words that way; ``divergence``: where tuned
outputs first depart from the base's on the problems tuning fixed (with the paper's sign test).

Every function takes plain sequences; ``views`` turns result files into cells and compares them both ways.
Degenerate inputs (n < 2, zero variance) return documented values with a ``note``, never raise on NaN.
"""

from s0repro.stats.bootstrap import BootstrapCI, paired_bootstrap_ci
from s0repro.stats.equivalence import TOSTResult, tost_from_moments, tost_welch, welch_moments
from s0repro.stats.mcnemar import McNemarResult, mcnemar
from s0repro.stats.multiple import HolmResult, holm
from s0repro.stats.passk import mean_pass_at_k, pass_at_k
from s0repro.stats.regression import SlopeTest, slope_test
from s0repro.stats.ttest import MeanCI, TTestResult, mean_ci, one_sample_ttest, paired_ttest, welch_ttest
from s0repro.stats.views import (
    Cell,
    ProblemComparison,
    SeedComparison,
    group_cells,
    make_cell,
    paired_seed_level,
    problem_level,
    seed_level,
)

__all__ = [
    "BootstrapCI",
    "Cell",
    "HolmResult",
    "McNemarResult",
    "MeanCI",
    "ProblemComparison",
    "SeedComparison",
    "SlopeTest",
    "TOSTResult",
    "TTestResult",
    "group_cells",
    "holm",
    "make_cell",
    "mcnemar",
    "mean_ci",
    "mean_pass_at_k",
    "one_sample_ttest",
    "paired_bootstrap_ci",
    "paired_seed_level",
    "paired_ttest",
    "pass_at_k",
    "problem_level",
    "seed_level",
    "slope_test",
    "tost_from_moments",
    "tost_welch",
    "welch_moments",
    "welch_ttest",
]
