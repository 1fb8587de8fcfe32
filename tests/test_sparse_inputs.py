"""Sparse normal entries with f = sin and rademacher or uniform inputs (conditioning on the inputs)."""

import math

import mpmath
import numpy as np
import pytest

from checks import assert_numeric_matches_simulation, assert_small_sin_matches_taylor
from momentck import Model
from momentck.laws import Normal
from momentck.numeric import select
from momentck.numeric.base import law_is
from momentck.numeric.fourier import FourierWeights
from momentck.numeric.sinweights import SparseNormalSinWeights
from momentck.numeric.sparse_inputs import SparseNormalSinInputs, UniformGauss, _matrix
from momentck.shapes import enumerate_shapes

SHAPES_4 = [s for k in (1, 2, 3, 4) for s in enumerate_shapes(k)]


class _NormalInputs(SparseNormalSinInputs):
    """The same method with normal inputs' Gaussian moments (not registered: sparse-normal-sin covers them)."""
    inputs = law_is(Normal, "normal")


@pytest.mark.parametrize("c,beta", [("2", "1"), ("1/2", "3/2")])
def test_normal_inputs_reproduce_the_gaussian_determinants(c, beta):
    # with normal inputs G(C) = det(I + C C^T)^(-1/2) and the option sum must give sparse-normal-sin's weights,
    # which condition on the weights instead: every shape of k <= 4
    model = Model(f"sparse(c={c}, entries=normal)", "normal", f"sin(scale={beta})")
    mine, theirs = _NormalInputs(model, 20), SparseNormalSinWeights(model, 20)
    assert len(SHAPES_4) == 19
    for s in SHAPES_4:
        (x, ex), (y, ey) = mine(s), theirs(s)
        assert abs(x - y) < ex + ey + mpmath.mpf(10) ** -25, s.text()


@pytest.mark.parametrize("inputs", ["rademacher", "uniform"])
def test_against_the_fourier_method(inputs):
    # the Fourier method (sin's atoms: no frequency integrals) integrates the shared inputs by Gauss rules
    # (uniform) or sets them to 1 (rademacher): k <= 3 for uniform inputs, k <= 4 for rademacher
    model = Model("sparse(c=2, entries=normal)", inputs, "sin")
    mine, theirs = SparseNormalSinInputs(model, 15), FourierWeights(model, 15)
    shapes = [s for s in SHAPES_4 if inputs == "rademacher" or s.k <= 3]
    for s in shapes:
        (x, ex), (y, ey) = mine(s), theirs(s)
        assert ex < 1e-14 and abs(x - y) < ex + ey, (s.text(), x, y, ex, ey)


def _legendre(n):
    """Gauss-Legendre nodes and weights on [-1, 1] in long double (numpy's, refined by Newton steps: in four
    dimensions numpy's float64 rule alone is off by ~1e-14 relative)."""
    x = np.polynomial.legendre.leggauss(n)[0].astype(np.longdouble)
    for _ in range(4):
        p0, p1 = np.ones_like(x), x.copy()
        for k in range(2, n + 1):
            p0, p1 = p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
        dp = n * (x * p1 - p0) / (x * x - 1)
        x = x - p1 / dp
    return x, 2 / ((1 - x * x) * dp * dp)


def _x_space(C, n=44):
    """E exp(-|C x|^2/2) over the cube [-sqrt 3, sqrt 3]^D by a tensor Gauss-Legendre rule (the integrand is entire)."""
    x, w = _legendre(n)
    x, w, C = np.sqrt(np.longdouble(3)) * x, w / 2, np.asarray(C, dtype=np.longdouble)
    D = C.shape[1]
    grids = np.meshgrid(*([x] * (D - 1)), indexing="ij")
    W = np.prod(np.meshgrid(*([w] * (D - 1)), indexing="ij"), axis=0).ravel() if D > 1 else np.ones(1, np.longdouble)
    Y0 = C[:, 1:] @ np.stack([g.ravel() for g in grids]) if D > 1 else np.zeros((C.shape[0], 1), np.longdouble)
    total = np.longdouble(0)
    for xi, wi in zip(x, w):
        Y = Y0 + xi * C[:, :1]
        total += wi * np.sum(W * np.exp(-(Y * Y).sum(axis=0) / 2))
    return float(total)


def test_uniform_gaussian_moments_two_representations():
    # the contracted g-space trapezoid rule (inputs in at most two forms) against a tensor Gauss-Legendre rule
    # over the cube written here, on random integer forms such as blocks make (an input in one or two rows)
    rng = np.random.default_rng(7)
    for beta in (1.0, 1.5):
        moments = UniformGauss(mpmath.mpf(beta))
        for _ in range(5):
            r, D = rng.integers(1, 4), rng.integers(1, 5)
            C = np.zeros((r, D), dtype=int)
            for t in range(D):
                rows = rng.choice(r, size=min(r, rng.integers(1, 3)), replace=False)
                C[rows, t] = rng.choice([-2, -1, 1, 2], size=len(rows))
            forms = tuple(tuple(enumerate(row)) for row in C)
            value, err = moments.gauss(forms)
            assert err < 1e-14
            assert abs(value - _x_space(beta * C)) < 1e-16 + 2e-15 * value, C


def test_uniform_gaussian_moments_closed_forms():
    # one input: E e^{-c^2 x^2/2} = sqrt(pi/2) erf(sqrt(3/2) c)/(sqrt 3 c); two forms on disjoint inputs: the product;
    # the cycle x1 + x2, x2 + x3, x3 + x1 (an input in two forms: the contraction) by mpmath quadrature
    moments = UniformGauss(mpmath.mpf(1))
    for c in (1, 2, 3):
        want = math.sqrt(math.pi / 2) * math.erf(math.sqrt(1.5) * c) / (math.sqrt(3) * c)
        assert abs(moments.gauss((((0, c),),))[0] - want) < 2e-16
    one, _ = moments.gauss((((0, 1), (1, 2)),))
    two, _ = moments.gauss((((0, 1), (1, 2)), ((2, 1), (3, -1))))
    assert abs(two - one * moments.gauss((((2, 1), (3, -1)),))[0]) < 1e-16
    h = mpmath.sqrt(3)

    def inner(x1, x2):  # the x3-integral in closed form
        s, m = 2, (x1 + x2) / 2  # (x3 + x2)^2 + (x3 + x1)^2 = 2 (x3 + m)^2 + (x1 - x2)^2 / 2
        return (mpmath.exp(-((x1 - x2) ** 2 / 2 + (x1 + x2) ** 2) / 2) * mpmath.sqrt(2 * mpmath.pi / s)
                * (mpmath.erf(mpmath.sqrt(s / 2) * (h + m)) - mpmath.erf(mpmath.sqrt(s / 2) * (-h + m))) / 2)

    want = mpmath.quad(inner, [-h, h], [-h, h]) / (2 * h) ** 3
    got, err = moments.gauss((((0, 1), (1, 1)), ((1, 1), (2, 1)), ((2, 1), (0, 1))))
    assert err < 1e-14 and abs(got - want) < 1e-15


def test_small_scales_keep_their_relative_accuracy():
    # sin(beta h) ~ beta h, so the option sum cancels from O(1) terms to O(beta^(2k)); the method adds guard digits
    # for beta < 1.  Against the symbolic Taylor polynomial of degree 7 (the degree-9 polynomial moves m_1..m_4 by
    # <= 3e-15 at beta = 1/100); without the guard digits m_4 was 3.3e-13 off, its bound 2.7e-8 relative
    assert_small_sin_matches_taylor("sparse(c=2, entries=normal)", "rademacher", "1/100", 4, 1e-18, 1e-14)


def test_canonical_keys_keep_the_value():
    moments = UniformGauss(mpmath.mpf(1))
    forms = (((0, 1), (1, -2), (3, 1)), ((1, 1), (2, 1)))
    flipped = (((3, -1), (1, 2), (0, -1)), ((2, -1), (5, 0), (1, -1)))  # signs, order, a zero coefficient
    assert _matrix(forms) == _matrix(flipped)
    assert abs(moments.gauss(forms)[0] - _x_space([[1, -2, 0, 1], [0, 1, 1, 0]])) < 1e-16


def test_selection():
    for inputs, kmax in (("rademacher", 8), ("uniform", 7)):
        model = Model("sparse(c=2, entries=normal)", inputs, "sin")
        assert select(model, kmax)[0] is SparseNormalSinInputs
        assert f"k <= {kmax}, not k = {kmax + 1}" in select(model, kmax + 1)[1]
    assert select(Model("sparse(c=2, entries=normal)", "normal", "sin"), 4)[0] is SparseNormalSinWeights
    assert select(Model("sparse(c=2, entries=normal)", "uniform", "tanh"), 3)[0] is FourierWeights


def test_refuses_scales_beyond_its_rules():
    from momentck.errors import MomentckError
    from momentck.engine import limiting_moments
    with pytest.raises(MomentckError, match="trapezoid nodes per axis for uniform inputs"):
        limiting_moments(Model("sparse(c=2, entries=normal)", "uniform", "sin(scale=1000)"), 2, cache=False,
                         progress=False, workers=1)


@pytest.mark.parametrize("inputs,k,n,reps,seed", [("uniform", 4, 2000, 8, 41), ("rademacher", 4, 1000, 6, 42)])
def test_moments_match_simulation(inputs, k, n, reps, seed):
    model = Model("sparse(c=2, entries=normal)", inputs, "sin")
    assert_numeric_matches_simulation(model, k, n=n, reps=reps, seed=seed, max_error=1e-12)
