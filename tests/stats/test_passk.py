"""pass@k: the closed form against brute-force enumeration of every k-subset of the n samples."""

from fractions import Fraction
from itertools import combinations

import pytest

from s0repro.stats.passk import mean_pass_at_k, pass_at_k


def brute_force(n: int, c: int, k: int) -> Fraction:
    """The fraction of k-subsets of n samples (the first c passing) that contain a passing one, exactly."""
    samples = [i < c for i in range(n)]
    subsets = list(combinations(samples, k))
    return Fraction(sum(any(s) for s in subsets), len(subsets))


@pytest.mark.parametrize("n", [1, 2, 5, 10, 12])
def test_matches_enumeration_of_all_k_subsets(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            exact = brute_force(n, c, k)
            # a probability in [0, 1] from a product of <= 12 factors: a few ulps of 1.0
            assert pass_at_k(n, c, k) == pytest.approx(float(exact), rel=0, abs=1e-12), (n, c, k)


def test_pass_at_1_is_the_fraction_passed_and_edges():
    assert pass_at_k(16, 5, 1) == pytest.approx(5 / 16, rel=1e-12)
    assert pass_at_k(10, 0, 10) == 0.0
    assert pass_at_k(10, 1, 10) == 1.0  # k = n: any pass counts
    assert pass_at_k(10, 6, 5) == 1.0  # n - c < k


def test_differs_from_the_biased_plug_in():
    # n = 10, c = 2, k = 5: unbiased 1 - C(8,5)/C(10,5) = 1 - 56/252 = 7/9; plug-in 1 - 0.8^5 = 0.67232
    assert pass_at_k(10, 2, 5) == pytest.approx(7 / 9, rel=1e-12)
    assert abs(pass_at_k(10, 2, 5) - (1 - 0.8**5)) > 0.1


def test_large_n_is_stable():
    # C(200, 100) overflows a float; the product form does not. 1 - C(150,10)/C(200,10), computed exactly:
    num, den = Fraction(1), Fraction(1)
    for i in range(10):
        num *= 150 - i
        den *= 200 - i
    exact = 1 - num / den
    assert pass_at_k(200, 50, 10) == pytest.approx(float(exact), rel=1e-12)


def test_mean_over_problems_with_one_or_many_sample_counts():
    assert mean_pass_at_k([0, 10, 5], 10, 1) == pytest.approx(0.5, rel=1e-12)
    per_problem = [pass_at_k(10, 2, 5), pass_at_k(12, 3, 5)]
    assert mean_pass_at_k([2, 3], [10, 12], 5) == pytest.approx(sum(per_problem) / 2, rel=1e-12)


@pytest.mark.parametrize("args", [(5, 6, 1), (5, -1, 1), (5, 2, 0), (5, 2, 6)])
def test_bad_arguments_say_what_is_wrong(args):
    with pytest.raises(ValueError, match="pass_at_k: need"):
        pass_at_k(*args)


def test_mean_refuses_mismatched_lengths_and_empty():
    with pytest.raises(ValueError, match="2 pass counts but 3"):
        mean_pass_at_k([1, 2], [10, 10, 10], 1)
    with pytest.raises(ValueError, match="no problems"):
        mean_pass_at_k([], 10, 1)
