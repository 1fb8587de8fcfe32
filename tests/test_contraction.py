"""Extended-precision contraction of sparse-table weights (issue 12): against brute force and the
mpmath route."""

import itertools

import mpmath
import numpy as np
import pytest

from momentck import Model
from momentck.numeric.contraction import EXTENDED, contract, extended_digits, rounding_bound, to_mpf
from momentck.numeric.sparse_tables import SparseTableWeights
from momentck.shapes import enumerate_shapes

needs_extended = pytest.mark.skipif(extended_digits() < 17, reason="numpy.longdouble is plain double here")


def test_contract_equals_brute_force_sum_within_its_bound():
    # a star and a triangle of rows with random non-negative factors; the brute-force sum in mpmath
    rng = np.random.default_rng(3)
    N = 6
    vectors = [rng.random(N).astype(EXTENDED) for _ in range(4)]
    pairs = [(0, 1), (0, 2), (1, 2), (2, 3)]
    mats = [(p, rng.random((N, N)).astype(EXTENDED)) for p in pairs]
    with mpmath.workdps(40):
        want = mpmath.fsum(
            mpmath.fprod([to_mpf(vectors[a][D[a]]) for a in range(4)]
                         + [to_mpf(K[D[a], D[b]]) for (a, b), K in mats])
            for D in itertools.product(range(N), repeat=4))
        got = contract(vectors, mats)
        assert abs(to_mpf(got) - want) <= want * rounding_bound(4, N, 8)


@needs_extended
@pytest.mark.parametrize("act", ["sin", "erf(scale=2)"])
def test_extended_weights_agree_with_mpmath_weights(act):
    # 15 digits: extended precision; 20 digits: the mpmath object arrays of before
    model = Model("sparse(c=3/2, entries=rademacher)", "normal", act)
    fast, slow = SparseTableWeights(model, 15), SparseTableWeights(model, 20)
    assert fast._extended and not slow._extended
    for k in range(1, 6):
        for s in enumerate_shapes(k):
            (v, e), (w, f) = fast(s), slow(s)
            assert abs(v - w) <= e + f
            assert e <= abs(w) * 1e-16 + 1e-30        # the bound supports 15 digits
