"""Shared Monte Carlo checks of limiting moments (fixed seeds, 4 standard errors)."""

import numpy as np

from momentck.engine import kernel_moments, limiting_moments
from momentck.locallimit import local_limit_moments
from momentck.simulation import simulate

Z = 4.0


def assert_numeric_matches_simulation(model, k, n, reps, seed, max_error):
    """Numeric m_1..m_k (error bounds below ``max_error``) within Z standard errors of simulate."""
    res = limiting_moments(model, k)
    assert res.method == "numeric" and max(res.spectral_error) < max_error, res.spectral_error
    exact = np.array(res.floats())
    mc = simulate(model, n, k, reps=reps, seed=seed, progress=False)
    z = (mc.moments - exact) / mc.stderr
    assert np.all(np.abs(z) < Z), (z, exact, mc.moments)


def assert_moments_match_simulation(model, k, n, reps, seed, max_error=None):
    """m_1..m_k of the default method within Z standard errors of simulate, their error bounds below
    ``max_error`` (default: a hundredth of each standard error, so the bound cannot hide a disagreement).

    The weights are computed in this process (``workers=1``): the tests coarsen quadrature levels with
    monkeypatch, and worker processes do not see that once a thread runs here (after the Dask tests the
    engine starts them by forkserver, which re-imports the modules: 86 s at production levels instead of
    10 s in one CI run)."""
    exact = limiting_moments(model, k, cache=False, progress=False, workers=1)
    mc = simulate(model, n, k, reps=reps, seed=seed, progress=False)
    for x, e, mean, se in zip(exact, exact.spectral_error, mc.moments, mc.stderr):
        assert e < (se / 100 if max_error is None else max_error), (e, se)
        assert abs(float(x) - mean) < Z * se, (float(x), mean, se)


def assert_kernel_matches_local_limit(model, k, samples, seed, copies=64):
    """h_1..h_k within Z standard errors of the local-limit sampler."""
    hx = np.array(kernel_moments(model, k).floats())
    loc = local_limit_moments(model, k, samples=samples, seed=seed, copies=copies)
    z = (loc.kernel - hx) / loc.stderr
    assert np.all(np.abs(z) < Z), (z, hx, loc.kernel)


def assert_small_sin_matches_taylor(weights, inputs, scale, k, max_bound, max_error):
    """m_1..m_k of ``sin(scale x)`` (numeric) against the symbolic engine's moments of sin's Taylor polynomial of
    degree 7 at the same scale (sparse weights: finite Lévy moments), an independent route whose own truncation is
    O(scale^8) relative: each numeric relative bound below ``max_bound``, each relative difference below
    ``max_error``."""
    import sympy
    b = sympy.Rational(scale)
    poly = "poly(" + ", ".join(str((-1) ** j * b ** (2 * j + 1) / sympy.factorial(2 * j + 1)) for j in range(4)) + ")"
    from momentck import Model
    exact = limiting_moments(Model(weights, inputs, poly), k, cache=False, workers=1)
    numeric = limiting_moments(Model(weights, inputs, f"sin(scale={b})"), k, cache=False, workers=1)
    for x, err, p in zip(numeric, numeric.spectral_error, exact):
        p = sympy.N(p, 40)
        assert abs(err / p) < max_bound
        assert abs((x - p) / p) < max_error
