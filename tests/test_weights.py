"""Exact shape weights (momentck/weights.py) against independent derivations."""

import random
from functools import lru_cache
from itertools import product

import pytest
import sympy
from sympy.utilities.iterables import multiset_partitions

from momentck import Model
from momentck.engine import limiting_moments
from momentck.shapes import enumerate_shapes
from momentck.weights import (_COUNT_BITS, Coefficients, _Layout, _RowAlgebra, generic_coefficients,
                              shape_weight)

G = {p: sympy.Symbol(f"gamma{p}") for p in range(2, 25, 2)}
MU = {0: 1, 2: 1, 4: sympy.Symbol("mu4"), 6: sympy.Symbol("mu6")}


def _mu(n):
    return MU[n] if n % 2 == 0 else 0


@lru_cache(maxsize=None)
def _rest_moment(exps):
    """E prod_t (R^{(t)})^{n_t} by summing over the set partitions of the n_1 + n_2 + .. slots:
    a block B of slots is one Poisson point, contributing gamma_{|B|} prod_t mu_{|B in t|}."""
    slots = [t for t, n in enumerate(exps) for _ in range(n)]
    if not slots:
        return sympy.Integer(1)
    total = 0
    for part in multiset_partitions(list(range(len(slots)))):
        term = 1
        for block in part:
            term *= G.get(len(block), 0) if len(block) % 2 == 0 else 0
            for t in range(len(exps)):
                term *= _mu(sum(1 for i in block if slots[i] == t))
        total += term
    return sympy.expand(total)


@pytest.mark.parametrize("exps", [(2,), (4,), (6,), (2, 2), (4, 2), (1, 1), (3, 1), (2, 2, 2), (4, 2, 2)])
def test_rest_moments_by_power_sums_equal_set_partition_sums(exps):
    # The engine conditions on the weights: R^{(t)} are then independent with cumulants
    # kappa_m(x) P_m, and (P_2, P_4, ..) is compound Poisson with cumulants gamma_{sum}.
    co = generic_coefficients(3, 2)
    alg = _RowAlgebra(co)
    lay = _Layout(0, alg.npow, 8)
    bell = alg._sum_moments(lay, ())
    poly = {0: co.one}
    for n in exps:
        poly = {m1 + m2: c1 * c2 for m1, c1 in poly.items() for m2, c2 in bell[n].items()}
    assert sympy.expand(co.to_sympy(alg._expect(lay, poly)) - _rest_moment(exps)) == 0


@pytest.mark.parametrize("deg, diag, halves", [(2, 0, (1, 2)), (1, 1, (1,))])
def test_row_table_equals_direct_expansion(deg, diag, halves):
    # One row expanded in sympy, f = a1 y + a3 y^3: w_e incidence weights, x private inputs,
    # xi the shared inputs left open, R_t the rest of factor t (joint moments by set partitions).
    a1, a3 = sympy.symbols("a1 a3")
    f = lambda y: a1 * y + a3 * y ** 3  # noqa: E731
    w = sympy.symbols(f"w0:{deg}")
    shared = [s for s, m in enumerate(halves) for _ in range(m)]
    n = diag + len(shared)
    R, xi = sympy.symbols(f"R0:{n}"), sympy.symbols(f"xi0:{len(shared)}")
    x = [sympy.symbols(f"x{t}_0:{deg}") for t in range(n)]
    expr = 1
    for t in range(diag):
        expr *= f(sum(w[e] * x[t][e] for e in range(deg)) + R[t]) ** 2
    for u, s in enumerate(shared):
        t = diag + u
        expr *= f(w[s] * xi[u] + sum(w[e] * x[t][e] for e in range(deg) if e != s) + R[t])
    private = [x[t][e] for t in range(n) for e in range(deg) if t < diag or e != shared[t - diag]]
    poly = sympy.Poly(sympy.expand(expr), *w, *private, *R, *xi)
    direct = {}
    for exps, coef in poly.terms():
        ws, rest = exps[:deg], exps[deg:]
        v = coef
        for e in rest[:len(private)]:
            v *= _mu(e)
        if v != 0:
            v *= _rest_moment(rest[len(private):len(private) + n])
        if v != 0:
            assert all(ws), "an incidence weight with total power 0"
            for e in ws:
                v *= G[e] if e % 2 == 0 else 0
            key = rest[len(private) + n:]
            direct[key] = sympy.expand(direct.get(key, 0) + v)
    co = generic_coefficients(3, n)
    table = _RowAlgebra(co).row_table(deg, diag, halves)
    unit = {1: 1, 3: 1 << _COUNT_BITS}           # one half carrying power 1 or 3, packed
    for key in product((1, 3), repeat=len(shared)):
        counts = [0] * deg
        for s, k in zip(shared, key):
            counts[s] += unit[k]
        got = co.to_sympy(table.get(tuple(counts), co.zero))
        assert sympy.expand(got - direct.get(key, 0)) == 0, key
    assert all(k in (1, 3) for key, v in direct.items() if v != 0 for k in key)


def test_weights_do_not_depend_on_the_order_shapes_are_met():
    # messages and row tables are memoised by structure; a key missing some information
    # would make the result depend on which shape filled the cache first
    model = Model("sparse(c=3, entries=normal)", "uniform", "poly(1/2, 1/3)")
    shapes = enumerate_shapes(6)
    shuffled = shapes[:]
    random.Random(3).shuffle(shuffled)

    def weights(order):
        co = Coefficients(model.activation.taylor(3), model.weights.levy_moment, model.inputs.moment,
                          max_order=36)
        return {s.key: shape_weight(s, co) for s in order}

    assert weights(shapes) == weights(shuffled)


def test_m7_equals_the_dictionary_of_states_engine():
    # m_7 of sparse(c=2, rademacher) x rademacher, poly(1, -1/6), psi = phi = 1, as computed by
    # the previous implementation of momentck/weights.py (commit d77c0fc: rows expanded over
    # dictionaries of (incidence powers, multiset of rest powers) states, rest moments by the
    # joint-cumulant recursion, rows joined factor by factor) - an independent algorithm.
    model = Model("sparse(c=2, entries=rademacher)", "rademacher", "poly(1, -1/6)")
    got = limiting_moments(model, 7, cache=False, force=True)
    assert got[6] == sympy.Rational(506495394240792569266981, 13060694016)
    assert got.kernel[6] == sympy.Rational(1465758573952900727974901, 39182082048)
