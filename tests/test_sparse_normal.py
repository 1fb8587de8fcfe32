"""sparse-normal-gauss: sparse normal entries, normal inputs, any bounded activation.

Checked against the Gaussian determinants of sparse-normal-sin (f = sin), a Fourier
representation of tanh^2 for the one-row shapes, the symbolic engine at small scale
(tanh(x/50) is nearly polynomial) and simulate.
"""

from functools import lru_cache

import mpmath
import numpy as np
import pytest

from checks import assert_numeric_matches_simulation
from momentck import Model
from momentck.engine import limiting_moments
from momentck.errors import NotCovered
from momentck.numeric import select
from momentck.numeric.sinweights import SparseNormalSinWeights
from momentck.numeric.sparse_normal import SparseNormalWeights, chi_square_mixture_rule
from momentck.shapes import enumerate_shapes

W = "sparse(c=2, entries=normal)"


@lru_cache(maxsize=None)
def method(act):
    return SparseNormalWeights(Model(W, "normal", act))


def shapes(kmax, multiplicity=2):
    return [s for k in range(1, kmax + 1) for s in enumerate_shapes(k)
            if len(s.blocks) <= 1 and all(m <= multiplicity for _, m in s.pairs)]


def test_registry_keeps_sparse_normal_sin_and_adds_the_other_activations():
    assert select(Model(W, "normal", "sin"))[0].name == "sparse-normal-sin"
    for act in ("tanh", "erf", "atan"):
        assert select(Model(W, "normal", act), 4)[0] is SparseNormalWeights
        method, why = select(Model(W, "normal", act), 5)
        assert method is None and "k <= 4, not k = 5" in why
    assert not SparseNormalWeights.applies(Model(W, "uniform", "tanh"))[0]


def test_chi_square_mixture_rule_reproduces_the_moments_of_the_rest():
    # S = sum of D ~ Poisson(c) squared normals: E S = c, Var S = c E A^4 = 3c, E e^{-S} = exp(-c(1 - 3^{-1/2}))
    S, P, tail = chi_square_mixture_rule(2.0, 40)      # the finer level's rule
    assert tail < 1e-16 and abs(P.sum() - 1) < 1e-14
    assert abs(P @ S - 2) < 1e-13 and abs(P @ S ** 2 - 4 - 6) < 1e-12
    assert abs(P @ np.exp(-S) - np.exp(-2 * (1 - 3 ** -0.5))) < 1e-13


def test_equals_gaussian_determinants_for_sin():
    """Every one-block shape of k <= 4 against sparse-normal-sin's closed forms."""
    model = Model(W, "normal", "sin")
    exact = SparseNormalSinWeights(model, 20)
    for s in shapes(4, multiplicity=4):
        v, e = method("sin")(s)
        assert e < 1e-10 and abs(v - exact(s)[0]) <= e, (s, v, exact(s)[0], e)


def _fourier_tanh(d):
    """E prod_{t <= d} tanh(R_t)^2 for one row (d = 1, 2), from tanh(h)^2 = int (1 - cos wh) w dw / sinh(pi w / 2)
    and the rest's characteristic function E cos(sum_t w_t R_t) = exp(-c (1 - (1 + |w|^2)^{-1/2}))."""
    c = 2
    sigma = lambda w: w / mpmath.sinh(mpmath.pi * w / 2)  # noqa: E731
    cf = lambda q: mpmath.exp(-c * (1 - 1 / mpmath.sqrt(1 + q)))  # noqa: E731
    with mpmath.workdps(16):
        if d == 1:
            return mpmath.quad(lambda w: sigma(w) * (1 - cf(w * w)), [0, 10, 60])
        # E (1 - cos a)(1 - cos b) = 1 - E cos a - E cos b + E cos(a + b)/2 + E cos(a - b)/2
        return mpmath.quad(lambda u, v: sigma(u) * sigma(v) * (1 - cf(u * u) - cf(v * v) + cf(u * u + v * v)),
                           [0, 8, 60], [0, 8, 60])


@pytest.mark.parametrize("d", [1, 2])
def test_one_row_against_a_fourier_representation_of_tanh_squared(d):
    s = next(s for s in enumerate_shapes(d) if s.rows == 1)
    v, e = method("tanh")(s)
    assert e < 1e-10 and abs(v - _fourier_tanh(d)) < e + 1e-12


def test_small_scale_agrees_with_the_symbolic_engine():
    """tanh(x/100) is nearly its Taylor polynomial: m_1..m_3 (about 2e-4, 2e-7, 2e-10) against the symbolic
    engine's moments of the Taylor polynomials of degrees 9 and 11 (whose change bounds the truncation)."""
    model = Model(W, "normal", "tanh(scale=1/100)")
    num = limiting_moments(model, 3, method="numeric", cache=False)
    t9 = limiting_moments(model, 3, truncation=9, cache=False).floats()
    t11 = limiting_moments(model, 3, truncation=11, cache=False).floats()
    for a, b9, b11, e in zip(num.floats(), t9, t11, num.spectral_error):
        assert abs(a - b11) <= float(e) + abs(b9 - b11), (a, b11, e)


def test_two_blocks_against_gaussian_determinants(monkeypatch):
    """The k = 4 shapes with a row in two blocks (path and star), at coarser rules (the lattice FFT
    smoothing of g_r at every r = S + w'^2): still within their error estimate of the closed forms."""
    from momentck.numeric import sparse_normal
    monkeypatch.setattr(sparse_normal, "_LEVELS", ((24, 2.0), (32, 1.6)))
    model = Model(W, "normal", "sin")
    m, exact = SparseNormalWeights(model), SparseNormalSinWeights(model, 20)
    for s in (s for s in enumerate_shapes(4) if len(s.blocks) == 2):
        v, e = m(s)
        assert e < 1e-9 and abs(v - exact(s)[0]) <= e, (s, v, exact(s)[0], e)


def test_longer_walks_are_refused_with_the_reason():
    s = next(iter(enumerate_shapes(5)))
    with pytest.raises(NotCovered, match="up to k = 4, not k = 5"):
        method("tanh")(s)


def test_tanh_matches_simulation():
    assert_numeric_matches_simulation(Model(W, "normal", "tanh"), 3, n=2000, reps=4, seed=3, max_error=1e-9)


# -- rademacher inputs (sparse-normal-signs, k <= 2) ------------------------------------------------
def _sin_rademacher(c):
    """w(S) for sin, rademacher inputs, k <= 2, from characteristic functions: a column with normal weight W and
    inputs x contributes E cos(W u.x) = E exp(-(u.x)^2/2) to E cos(u.h), and the rest is compound Poisson(c)."""
    e = np.exp
    rest = lambda q: e(-c * (1 - q))  # noqa: E731  E cos of the rest, q = E_x exp(-(u.x)^2/2)
    h1 = (1 - rest(e(-2))) / 2                                              # u = 2
    d2 = (1 - 2 * rest(e(-2)) + rest((1 + e(-8)) / 2)) / 4                  # u = (2, 0), (2, ±2)
    pair = c * c * (rest((1 + e(-2)) / 2) * (1 - e(-2)) / 2) ** 2           # u = (1, ±1); incidence: e^-2 or 1
    return [h1, d2, pair]


def _signs(act):
    from momentck.numeric.sparse_normal_signs import SparseNormalSignWeights
    return SparseNormalSignWeights(Model(W, "rademacher", act))


def test_rademacher_inputs_sin_against_characteristic_functions():
    m = _signs("sin")
    got = [m(s) for k in (1, 2) for s in enumerate_shapes(k)]
    for (v, e), x in zip(got, _sin_rademacher(2.0)):
        assert e < 1e-13 and abs(v - x) <= e + 1e-15, (v, x, e)


def test_rademacher_inputs_are_refused_beyond_k_2():
    assert select(Model(W, "rademacher", "tanh"), 2)[0].name == "sparse-normal-signs"
    assert select(Model(W, "rademacher", "tanh"), 3)[0].name != "sparse-normal-signs"
    with pytest.raises(NotCovered, match="up to k = 2"):
        _signs("tanh")(next(iter(enumerate_shapes(3))))


def test_rademacher_tanh_matches_simulation():
    assert_numeric_matches_simulation(Model(W, "rademacher", "tanh"), 2, n=2000, reps=4, seed=5, max_error=1e-10)


def test_rademacher_inputs_agree_with_the_fourier_representation():
    """Two independent routes (conditioning on the inputs with Gaussian tables here; sine representations
    of f and the rows' characteristic functions in momentck.numeric.fourier) for every shape of k <= 2."""
    from momentck.numeric.fourier import FourierWeights
    model = Model(W, "rademacher", "tanh")
    for s in shapes(2):
        (v, e), (u, d) = _signs("tanh")(s), FourierWeights(model)(s)
        assert abs(v - u) <= e + d, (s, v, u, e, d)
