"""Factor tables over sums of inputs (uniform, rademacher) against closed forms, adaptive quadrature,
the exact sign sums, and the models they serve against simulation."""

import numpy as np
import pytest

from checks import assert_numeric_matches_simulation, assert_small_sin_matches_taylor
from momentck import Model
from momentck.activations import activation
from momentck.numeric.sparse_signs import SparseSignWeights
from momentck.numeric.sparse_tables import SparseTableWeights
from momentck.numeric.sumtables import IrwinHallFactorTables, cardinal_bspline
from momentck.shapes import enumerate_shapes

R3 = np.sqrt(3.0)


def test_bspline_is_the_irwin_hall_density():
    # M_n(v) = sum_j (-1)^j C(n, j) (v - j)_+^(n-1) / (n-1)!, in exact rationals
    from fractions import Fraction
    from math import comb, factorial
    for n in (2, 4, 9):
        v = [Fraction(i, 20) for i in range(1, 20 * n, 3)]
        want = [float(sum((-1) ** j * comb(n, j) * max(x - j, 0) ** (n - 1) for j in range(n + 1))
                      / factorial(n - 1)) for x in v]
        assert np.allclose(cardinal_bspline(n, np.array([float(x) for x in v])), want, rtol=1e-13, atol=0)


@pytest.mark.parametrize("scale", [1, 2])
def test_uniform_tables_equal_characteristic_function_closed_forms_for_sin(scale):
    # E sin(b(t + S_n)) = sin(bt) phi(b)^n, phi(x) = sin(sqrt3 x)/(sqrt3 x): diag(n) = (1 - phi(2b)^n)/2,
    # off(n, m) = (1 - phi(2b))/2 phi(b)^(n+m-2)
    phi = lambda x: np.sin(R3 * x) / (R3 * x)  # noqa: E731
    n = np.arange(1, 26)
    tab = IrwinHallFactorTables(activation(f"sin(scale={scale})"), 25)
    assert np.allclose(tab.diag[1:], (1 - phi(2 * scale) ** n) / 2, rtol=0, atol=1e-15)
    want = (1 - phi(2 * scale)) / 2 * np.outer(phi(scale) ** (n - 1), phi(scale) ** (n - 1))
    assert np.allclose(tab.off[1:, 1:], want, rtol=0, atol=1e-15)
    assert max(tab.diag_error.max(), tab.off_error.max()) < 1e-14


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
def test_uniform_tables_equal_adaptive_quadrature_for_tanh():
    # QUADPACK on the explicit densities: uniform (1/(2 sqrt3) on [-sqrt3, sqrt3]) and its
    # self-convolution (triangular on [-2 sqrt3, 2 sqrt3])
    from scipy.integrate import quad
    f = activation("tanh")
    tri = lambda s: max(0.0, 2 * R3 - abs(s)) / 12.0  # noqa: E731
    o = dict(epsabs=1e-15, epsrel=1e-14, limit=200)
    diag2 = quad(lambda s: f(s) ** 2 * tri(s), -2 * R3, 2 * R3, points=[0], **o)[0]
    g2 = lambda t: quad(lambda x: f(t + x), -R3, R3, **o)[0] / (2 * R3)  # noqa: E731
    g3 = lambda t: quad(lambda s: f(t + s) * tri(s), -2 * R3, 2 * R3, points=[0], **o)[0]  # noqa: E731
    off23 = quad(lambda t: g2(t) * g3(t), -R3, R3, **o)[0] / (2 * R3)
    tab = IrwinHallFactorTables(f, 6)
    assert abs(tab.diag[2] - diag2) < 1e-13
    assert abs(tab.off[2, 3] - off23) < 1e-12


@pytest.mark.parametrize("act", ["tanh", "atan(scale=2)"])
def test_tables_on_rademacher_inputs_equal_the_exact_sign_sums(act):
    # the same weights by the general contraction over both rows' degrees (sign tables) and by
    # the per-row factorisation of sparse-signs (exact sums in mpmath)
    model = Model("sparse(c=2, entries=rademacher)", "rademacher", act)
    tables, signs = SparseTableWeights(model, 15), SparseSignWeights(model, 15)
    for k in (2, 3, 4):
        for s in enumerate_shapes(k):
            (a, ea), (b, eb) = tables(s), signs(s)
            assert abs(a - b) <= ea + eb and ea < 1e-10


def test_sparse_rademacher_uniform_inputs_tanh_agrees_with_simulation():
    model = Model("sparse(c=2, entries=rademacher)", "uniform", "tanh", phi=1, psi="1/2")
    assert_numeric_matches_simulation(model, 4, n=1000, reps=8, seed=11, max_error=1e-10)


class _TablesOnly(SparseTableWeights):
    """The float64 tables even where closed forms exist."""
    _closed = property(lambda self: False)


def test_uniform_sin_closed_forms_agree_with_the_tables_shape_by_shape():
    # sin with uniform inputs (sqrt 3 beta <= pi) takes the characteristic-function closed forms in mpmath and
    # the extended contraction; the float64 tables are the independent route: every shape of k <= 4
    model = Model("sparse(c=2, entries=rademacher)", "uniform", "sin")
    closed, tables = SparseTableWeights(model), _TablesOnly(model)
    assert closed._extended and not tables._closed
    for k in (1, 2, 3, 4):
        for s in enumerate_shapes(k):
            (a, ea), (b, eb) = closed(s), tables(s)
            assert ea < 1e-17 * max(abs(a), 1e-300) + 1e-30
            assert abs(a - b) <= ea + eb, s.text()
    # beyond sqrt 3 beta = pi, phi(beta) < 0 (factors of either sign): the tables
    assert not SparseTableWeights(Model("sparse(c=2, entries=rademacher)", "uniform", "sin(scale=2)"))._closed


def test_uniform_sin_at_a_small_scale_against_the_taylor_polynomial():
    # 1 - phi(2 beta)^s and 1 - phi(2 beta) cancel like beta^2: guard digits and powm1 keep them; the float64
    # tables' values were within 7.1e-15 of the polynomial at beta = 1/100, but their bounds reached 0.35 relative
    assert_small_sin_matches_taylor("sparse(c=2, entries=rademacher)", "uniform", "1/100", 4, 1e-17, 1e-14)
