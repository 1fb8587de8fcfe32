"""Free Poisson compression and non-crossing partitions."""

from itertools import combinations
from math import comb

import pytest
import sympy

from momentck.compression import (free_poisson_moments, marchenko_pastur_moment,
                                  noncrossing_partitions, noncrossing_type_counts)
from momentck.errors import MomentckError


def _is_noncrossing(partition):
    blocks = [set(b) for b in partition]
    for A, B in combinations(blocks, 2):
        for a1, a2 in combinations(sorted(A), 2):
            for b1, b2 in combinations(sorted(B), 2):
                if a1 < b1 < a2 < b2 or b1 < a1 < b2 < a2:
                    return False
    return True


def _set_partitions(items):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for p in _set_partitions(rest):
        for i in range(len(p)):
            yield p[:i] + [[first] + p[i]] + p[i + 1:]
        yield [[first]] + p


@pytest.mark.parametrize("k", range(1, 8))
def test_nc_partitions_are_exactly_the_noncrossing_set_partitions(k):
    ours = {tuple(sorted(tuple(b) for b in p)) for p in noncrossing_partitions(k)}
    brute = {tuple(sorted(tuple(sorted(b)) for b in p))
             for p in _set_partitions(list(range(1, k + 1))) if _is_noncrossing(p)}
    assert ours == brute
    assert len(ours) == comb(2 * k, k) // (k + 1)   # Catalan


@pytest.mark.parametrize("k", range(1, 8))
def test_kreweras_type_counts_match_enumeration(k):
    counts = {}
    for p in noncrossing_partitions(k):
        sizes = tuple(sorted((len(b) for b in p), reverse=True))
        counts[sizes] = counts.get(sizes, 0) + 1
    assert counts == {s: c for s, c in noncrossing_type_counts(k).items() if c}


def test_first_three_moments_match_math_md():
    h1, h2, h3, g = sympy.symbols("h1 h2 h3 gamma")
    m = free_poisson_moments([h1, h2, h3], g)
    assert m[0] == h1
    assert sympy.expand(m[1] - (h2 + g * h1 ** 2)) == 0
    assert sympy.expand(m[2] - (h3 + 3 * g * h1 * h2 + g ** 2 * h1 ** 3)) == 0


def test_marchenko_pastur_is_narayana():
    lam = sympy.Symbol("lam")
    for k in range(1, 8):
        narayana = sum(sympy.Rational(comb(k, b) * comb(k, b - 1), k) * lam ** (k - b)
                       for b in range(1, k + 1))
        assert sympy.expand(marchenko_pastur_moment(k, lam) - narayana) == 0


def test_compression_of_point_mass_is_marchenko_pastur():
    g = sympy.Symbol("gamma")
    m = free_poisson_moments([1] * 6, g)
    for k in range(1, 7):
        assert sympy.expand(m[k - 1] - marchenko_pastur_moment(k, g)) == 0


def test_bad_k():
    with pytest.raises(MomentckError, match="k must be an integer >= 1"):
        list(noncrossing_partitions(0))
    with pytest.raises(MomentckError):
        free_poisson_moments([], 1)
