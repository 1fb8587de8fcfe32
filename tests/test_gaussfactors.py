"""Gaussian factor tables against closed forms (sin, erf) and direct quadrature (tanh, atan),
and the models they serve against simulation and the local limit."""

import numpy as np
import pytest

from checks import assert_kernel_matches_local_limit, assert_numeric_matches_simulation
from momentck import Model
from momentck.activations import activation
from momentck.numeric.gaussfactors import GaussianFactorTables


@pytest.mark.parametrize("scale", [1, 2])
def test_tables_equal_closed_forms_of_sin_and_erf(scale):
    b2 = scale ** 2
    s = np.arange(1, 26)[:, None]
    t = np.arange(1, 26)[None, :]
    sin = GaussianFactorTables(activation(f"sin(scale={scale})"), 25)
    assert np.allclose(sin.diag[1:], (1 - np.exp(-2 * b2 * s[:, 0])) / 2, rtol=1e-13, atol=1e-15)
    assert np.allclose(sin.off[1:, 1:], np.exp(-b2 * (s + t) / 2) * np.sinh(b2), rtol=1e-12, atol=1e-15)
    erf = GaussianFactorTables(activation(f"erf(scale={scale})"), 25)
    assert np.allclose(erf.diag[1:], 2 / np.pi * np.arcsin(2 * b2 * s[:, 0] / (1 + 2 * b2 * s[:, 0])),
                       rtol=1e-13, atol=1e-15)
    assert np.allclose(erf.off[1:, 1:], 2 / np.pi * np.arcsin(2 * b2 / np.sqrt((1 + 2 * b2 * s) * (1 + 2 * b2 * t))),
                       rtol=1e-13, atol=1e-15)
    assert max(sin.off_error.max(), erf.off_error.max()) < 1e-13


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")  # roundoff at epsrel=1e-13
@pytest.mark.parametrize("name,s,t", [("tanh", 1, 1), ("tanh", 3, 17), ("atan(scale=2)", 2, 9)])
def test_tables_equal_adaptive_quadrature(name, s, t):
    # off(s, t) = E f(U) f(V), (U, V) normal with variances s, t and covariance 1: QUADPACK's
    # adaptive rules over the plane against the bivariate density (an independent method)
    from scipy.integrate import dblquad, quad
    f = activation(name)
    det = s * t - 1.0

    def dens(u, v):
        return np.exp(-(t * u * u - 2 * u * v + s * v * v) / (2 * det)) / (2 * np.pi * np.sqrt(det)) if det \
            else 0.0

    L = 14.0
    if det:
        off, _ = dblquad(lambda v, u: f(u) * f(v) * dens(u, v), -L * np.sqrt(s), L * np.sqrt(s),
                         -L * np.sqrt(t), L * np.sqrt(t), epsabs=1e-15, epsrel=1e-13)
    else:  # s = t = 1: U = V
        off = quad(lambda u: f(u) ** 2 * np.exp(-u * u / 2) / np.sqrt(2 * np.pi), -L, L, epsabs=1e-15, limit=200)[0]
    diag = quad(lambda z: f(np.sqrt(s) * z) ** 2 * np.exp(-z * z / 2) / np.sqrt(2 * np.pi), -L, L,
                epsabs=1e-15, limit=200)[0]
    tab = GaussianFactorTables(f, 20)
    assert abs(tab.off[s, t] - off) < 1e-12
    assert abs(tab.diag[s] - diag) < 1e-12
    assert tab.off_error[s, t] < 1e-13


@pytest.mark.parametrize("act,seed", [("tanh", 1), ("atan(scale=2)", 2)])
def test_sparse_rademacher_normal_inputs_any_activation(act, seed):
    model = Model("sparse(c=2, entries=rademacher)", "normal", act, phi=1, psi="1/2")
    assert_numeric_matches_simulation(model, 4, n=1000, reps=8, seed=seed, max_error=1e-9)
    assert_kernel_matches_local_limit(model, 4, samples=1500, seed=seed)
