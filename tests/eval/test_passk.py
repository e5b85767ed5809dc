from __future__ import annotations

import itertools
from math import comb

import pytest

from aigc.eval.passk import mean_pass_at_k, pass_at_k


def direct(n: int, c: int, k: int) -> float:
    """pass@k by enumerating every k-subset of the n samples."""
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(samples, k))
    return sum(any(s) for s in subsets) / len(subsets)


@pytest.mark.parametrize(
    ("n", "c", "k"), [(n, c, k) for n in range(1, 9) for c in range(n + 1) for k in range(1, n + 1)]
)
def test_matches_direct_enumeration(n: int, c: int, k: int) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(direct(n, c, k), abs=1e-12)


def test_matches_the_binomial_formula_for_large_n_without_overflow() -> None:
    n, c, k = 200, 37, 10
    assert pass_at_k(n, c, k) == pytest.approx(1 - comb(n - c, k) / comb(n, k), rel=1e-12)
    assert 0.0 < pass_at_k(10_000, 1, 1) < 0.001


def test_k_above_n_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 5 samples"):
        pass_at_k(3, 1, 5)
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)


def test_mean_over_tasks() -> None:
    assert mean_pass_at_k([(1, 1), (1, 0)], 1) == 0.5
    assert mean_pass_at_k([(10, 5)], 1) == pytest.approx(0.5)
