"""Numeric weights: against the symbolic engine, MATH.md §5/§6, simulation and the local limit."""

from math import comb

import mpmath
import numpy as np
import pytest
import sympy

from checks import assert_kernel_matches_local_limit, assert_numeric_matches_simulation
from momentck import Model
from momentck.engine import kernel_moments, limiting_moments
from momentck.errors import MomentckError
from momentck.locallimit import local_limit_moments
from momentck.numeric import numeric_available, numeric_weights
from momentck.simulation import simulate

Z = 4.0
TANH = Model("sparse(c=2, entries=rademacher)", "rademacher", "tanh", phi=1, psi="1/2")


@pytest.mark.parametrize("act", ["poly(1, -1/6)", "poly(1/2, 1/3, -1/20)"])
def test_numeric_equals_symbolic_for_sparse_polynomial(act):
    model = Model("sparse(c=3/2, entries=rademacher)", "rademacher", act, phi="1/3", psi="1/2")
    sym = limiting_moments(model, 5, method="symbolic")
    num = limiting_moments(model, 5, method="numeric", digits=30)
    for s, n, e in zip(sym.spectral, num.spectral, num.spectral_error):
        rel = abs(sympy.N(s, 40) - n) / abs(sympy.N(s, 40))
        assert rel < 1e-25
        assert e < 1e-25 * abs(float(s))


def test_thirty_digits_agree_with_forty_to_25_digits():
    a = limiting_moments(TANH, 4, digits=30)
    b = limiting_moments(TANH, 4, digits=40)
    for x, y in zip(a.spectral, b.spectral):
        assert abs(sympy.N(x - y, 50)) < sympy.Float("1e-25") * abs(y)


def test_sparse_tanh_sanity_value_of_math_md():
    # MATH.md §6: h_1 = m_1 = 0.4969146756 (exact sum over Poisson(2) row degrees)
    model = Model("sparse(c=2, entries=rademacher)", "rademacher", "tanh")
    assert abs(float(limiting_moments(model, 1)[0]) - 0.4969146756) < 1e-10


def _theta_tanh():
    with mpmath.workdps(30):
        w = lambda z: mpmath.exp(-z * z / 2) / mpmath.sqrt(2 * mpmath.pi)  # noqa: E731
        t1 = mpmath.quad(lambda z: mpmath.tanh(z) ** 2 * w(z), [-mpmath.inf, 0, mpmath.inf])
        e1 = mpmath.quad(lambda z: (1 - mpmath.tanh(z) ** 2) * w(z), [-mpmath.inf, 0, mpmath.inf])
        return float(t1), float(e1 ** 2)


def _mp(i, lam):  # Marchenko-Pastur moments via Narayana numbers
    return 1.0 if i == 0 else sum(comb(i, b) * comb(i, b - 1) / i * lam ** (i - b) for b in range(1, i + 1))


def test_gaussian_weights_tanh_equal_closed_form_to_1e10():
    t1, t2 = _theta_tanh()
    psi = 0.5
    model = Model("gaussian", "normal", "tanh", phi=1, psi="1/2")
    h = kernel_moments(model, 6).floats()
    for j in range(1, 7):
        want = sum(comb(j, i) * (t1 - t2) ** (j - i) * t2 ** i * _mp(i, 1 / psi) for i in range(j + 1))
        assert abs(h[j - 1] - want) < 1e-10 * want


def test_gaussian_weights_error_is_relative_for_tiny_theta_2():
    # sin(scale=10): theta_1 = (1 - e^-200)/2, theta_2 = 100 e^-100 ~ 4e-42 (closed forms);
    # the error of a product of thetas is relative, so it must not blow up with 1/theta_2
    with mpmath.workdps(60):
        t1 = (1 - mpmath.exp(-200)) / 2
        t2 = 100 * mpmath.exp(-100)
        want = [sum(comb(j, i) * (t1 - t2) ** (j - i) * t2 ** i * _mp(i, 1) for i in range(j + 1))
                for j in range(1, 5)]
    r = kernel_moments(Model("gaussian", "normal", "sin(scale=10)"), 4, method="numeric")
    for j in range(4):
        err = mpmath.mpf(r.kernel_error[j])
        assert err < 1e-18 * want[j]
        assert abs(mpmath.mpf(r.kernel[j]) - want[j]) <= err


def test_sparse_tanh_agrees_with_simulation_and_local_limit():
    exact = np.array(limiting_moments(TANH, 5).floats())
    mc = simulate(TANH, 400, 5, reps=20, seed=5, progress=False)
    assert np.all(np.abs((mc.moments - exact) / mc.stderr) < Z)
    hx = np.array(kernel_moments(TANH, 5).floats())
    loc = local_limit_moments(TANH, 5, samples=1500, seed=5, copies=64)
    assert np.all(np.abs((loc.kernel - hx) / loc.stderr) < Z)
    assert np.all(loc.stderr / loc.kernel < 0.05)       # sharp enough to mean something


def test_numeric_refuses_models_it_does_not_cover():
    with pytest.raises(MomentckError, match="k <= 6, not k = 7"):
        limiting_moments(Model("stable(alpha=1)", "normal", "tanh"), 7, method="numeric")
    for spec in [("sparse(c=2, entries=normal)", "normal", "poly(1, 1)"),
                 ("sparse(c=2, entries=normal)", "uniform", "poly(1, -1/6)")]:
        ok, why = numeric_available(Model(*spec))
        assert not ok and "not for weights" in why
        with pytest.raises(MomentckError, match="numeric weights are implemented"):
            limiting_moments(Model(*spec), 2, method="numeric")
    with pytest.raises(MomentckError, match="digits"):
        numeric_weights(TANH, digits=2)


@pytest.mark.parametrize("act", ["sin", "erf(scale=2)"])
def test_sparse_normal_inputs_closed_forms_agree_with_simulation_and_local_limit(act):
    model = Model("sparse(c=2, entries=rademacher)", "normal", act, phi=1, psi="1/2")
    assert_numeric_matches_simulation(model, 4, n=400, reps=16, seed=7, max_error=1e-12)
    assert_kernel_matches_local_limit(model, 4, samples=1000, seed=7)


def test_sparse_normal_inputs_sin_first_moment_by_hand():
    # h_1 = E (1 - exp(-2 D)) / 2 with D ~ Poisson(c): (1 - exp(-c (1 - e^-2))) / 2
    model = Model("sparse(c=3/2, entries=rademacher)", "normal", "sin")
    got = limiting_moments(model, 1, digits=30)[0]
    with mpmath.workdps(40):
        want = (1 - mpmath.exp(-mpmath.mpf(3) / 2 * (1 - mpmath.exp(-2)))) / 2
        assert abs(mpmath.mpf(str(got)) - want) < mpmath.mpf(10) ** -28


def test_sparse_normal_entries_sin_agree_with_simulation_and_local_limit():
    model = Model("sparse(c=2, entries=normal)", "normal", "sin", phi=1, psi="1/2")
    assert_numeric_matches_simulation(model, 4, n=1000, reps=8, seed=3, max_error=1e-14)
    assert_kernel_matches_local_limit(model, 4, samples=1500, seed=1)


@pytest.mark.parametrize("rows,pairs", [([0, 1], {(0, 1): 2}), ([0, 1, 2], {(0, 1): 1, (0, 2): 1, (1, 2): 1}),
                                        ([0, 1, 2], {(0, 1): 2, (0, 2): 2})])
def test_sparse_normal_entries_block_determinants_against_gauss_hermite(rows, pairs):
    # I_B = c^|B| E_w[prod exp(-lambda_a w_a^2) prod sinh(b w_a w_b)^m], w_a ~ N(0, 1) i.i.d.,
    # by a tensor Gauss-Hermite rule (the integrand is entire)
    from momentck.numeric.sinweights import SparseNormalSinWeights
    sw = SparseNormalSinWeights(Model("sparse(c=3/2, entries=normal)", "normal", "sin(scale=1/2)"), 20)
    lams = {0: mpmath.mpf("0.75"), 1: mpmath.mpf("0.375"), 2: mpmath.mpf("1.125")}
    value, _ = sw.block(rows, pairs, lams)
    x, wts = np.polynomial.hermite_e.hermegauss(60)
    wts = wts / wts.sum()
    grids = np.meshgrid(*([x] * len(rows)), indexing="ij")
    f = np.ones_like(grids[0])
    for a in rows:
        f *= np.exp(-float(lams[a]) * grids[a] ** 2)
    for (a, b), m in pairs.items():
        f *= np.sinh(0.25 * grids[a] * grids[b]) ** m
    for _ in rows:
        f = np.tensordot(wts, f, axes=(0, 0))
    assert abs(1.5 ** len(rows) * f - float(value)) < 1e-12 * abs(float(value))


def test_numbers_are_shown_to_the_digits_their_error_supports():
    from momentck.engine import explain, supported_digits
    assert str(supported_digits(mpmath.mpf("1.23456789"), 1e-4, 15)) == "1.235"
    assert str(supported_digits(mpmath.mpf("1.23456789"), 0, 6)) == "1.23457"
    sin = Model("stable(alpha=3/2)", "normal", "sin")
    t = explain(sin, 3)
    h3 = kernel_moments(sin, 3)
    assert abs(float(t.total) - float(h3[2])) <= t.error + 1e-15 * abs(float(h3[2]))

    def shown(table):
        return [len(str(r["weight"]).replace("0.", "", 1).lstrip("0")) for r in table.rows]

    # closed forms, Hermite traces and cone integrals carry 15 digits; stable erf weights are
    # float64 quadrature (errors ~1e-14) and are shown to fewer
    assert shown(t) == [15] * len(t.rows)
    e = explain(Model("stable(alpha=1/2)", "normal", "erf"), 3)
    assert all(d < 15 for d in shown(e)) and all(r["error"] > 1e-16 for r in e.rows)
