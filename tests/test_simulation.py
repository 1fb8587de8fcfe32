"""Monte Carlo simulator: correctness against independent formulas, reproducibility, errors.

Statistical checks use fixed seeds and 4 standard errors.  Finite-size bias: for
Gaussian weights both the bias and the replicate spread of (1/n) tr M^j are O(1/n)
(the bias of m_1 is about -0.4/n, from the chi^2 fluctuations of the row norms),
so at n = 1000 the bias is of the order of one standard error of a 4-replicate mean
and grows, in standard errors, like sqrt(reps).  The limit is therefore also
checked bias-free: by Richardson extrapolation 2 m(2n) - m(n), and m_1 against its
exact finite-n expectation.
"""

import dataclasses
import json
import math

import numpy as np
import pytest
import scipy.integrate
import scipy.stats
import sympy

from momentck import MomentckError, Model, SimulationResult, simulate
from momentck.laws import MomentInputs, Sparse
from momentck.simulation import simulate_replicate, sizes_for

Z = 4.0
SPARSE = ("sparse(c=2, entries=rademacher)", "rademacher", "tanh")
SANITY_M1 = 0.4969146756          # MATH.md §6


# ----------------------------------------------------------------------------
# Independent reference values (written here, not taken from the package)
# ----------------------------------------------------------------------------

def _normal_expectation(g):
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)   # noqa: E731
    return scipy.integrate.quad(lambda z: g(z) * pdf(z), -np.inf, np.inf, epsabs=1e-14, epsrel=1e-13)[0]


def _tanh_thetas():
    theta1 = _normal_expectation(lambda z: math.tanh(z) ** 2)              # E f(z)^2
    theta2 = _normal_expectation(lambda z: 1 - math.tanh(z) ** 2) ** 2     # (E f'(z))^2
    return theta1, theta2


def _mp_moment(i, lam):
    """i-th moment of Marchenko-Pastur(mean 1, ratio lam): sum over NC(i) = Narayana numbers."""
    if i == 0:
        return 1.0
    return sum(math.comb(i, b) * math.comb(i, b - 1) // i * lam ** (i - b) for b in range(1, i + 1))


def gaussian_limit_moments(phi, psi):
    """m_1..m_4 for Gaussian weights and tanh (MATH.md §5 and §2), by hand."""
    t1, t2 = _tanh_thetas()
    h1, h2, h3, h4 = (sum(math.comb(j, i) * (t1 - t2) ** (j - i) * t2 ** i * _mp_moment(i, 1 / psi)
                          for i in range(j + 1)) for j in (1, 2, 3, 4))
    g = phi / psi
    return np.array([h1, h2 + g * h1 ** 2, h3 + 3 * g * h1 * h2 + g ** 2 * h1 ** 3,
                     h4 + g * (4 * h1 * h3 + 2 * h2 ** 2) + 6 * g ** 2 * h1 ** 2 * h2 + g ** 3 * h1 ** 4])


def gaussian_m1_finite(d):
    """Exact E[(1/n) tr M] at finite d for Gaussian weights, normal inputs, tanh.

    Given W, h_a ~ N(0, s_a) with s_a = |w_a|^2 ~ chi^2_d / d, so m_1(d) = E g(s),
    g(s) = E tanh(sqrt(s) z)^2.
    """
    z, w = np.polynomial.hermite_e.hermegauss(120)
    w = w / w.sum()
    g = lambda s: float(np.dot(w, np.tanh(math.sqrt(s) * z) ** 2))     # noqa: E731
    law = scipy.stats.chi2(d, scale=1 / d)
    sd = math.sqrt(2 / d)
    return scipy.integrate.quad(lambda s: g(s) * law.pdf(s), max(0.0, 1 - 15 * sd), 1 + 20 * sd,
                                epsabs=1e-13, epsrel=1e-12, limit=200)[0]


def sparse_rademacher_m1(degree_pmf):
    """h_1 = E tanh(S_D)^2, S_D a sum of D independent signs, D ~ degree_pmf."""
    total = 0.0
    for D, p in enumerate(degree_pmf):
        if p == 0.0:
            continue
        e = sum(math.comb(D, j) * math.tanh(2 * j - D) ** 2 for j in range(D + 1)) / 2.0 ** D
        total += p * e
    return total


def test_reference_gaussian_thetas():
    t1, t2 = _tanh_thetas()
    # Gauss-Hermite cross-check of the quadrature
    z, w = np.polynomial.hermite_e.hermegauss(150)
    w = w / w.sum()
    assert abs(t1 - np.dot(w, np.tanh(z) ** 2)) < 1e-10
    assert abs(t2 - np.dot(w, 1 - np.tanh(z) ** 2) ** 2) < 1e-10
    assert 0 < t2 < t1 < 1
    # MP moments: mean 1, second moment 1 + lam
    assert _mp_moment(1, 0.3) == 1 and math.isclose(_mp_moment(2, 0.3), 1.3)
    assert math.isclose(_mp_moment(3, 2.0), 1 + 3 * 2 + 4)


def test_reference_sanity_value_from_poisson_degrees():
    pmf = scipy.stats.poisson(2).pmf(np.arange(80))
    assert abs(sparse_rademacher_m1(pmf) - SANITY_M1) < 5e-11


# ----------------------------------------------------------------------------
# Agreement with the limit (MATH.md §5, §6)
# ----------------------------------------------------------------------------

def test_gaussian_weights_agree_with_closed_form_n1000():
    model = Model("gaussian", "normal", "tanh", phi=1, psi=1)
    res = simulate(model, 1000, 4, reps=4, seed=1)
    want = gaussian_limit_moments(1, 1)
    z = (res.moments - want) / res.stderr
    assert np.all(np.abs(z) < Z), z


def test_gaussian_weights_richardson_extrapolation():
    # m(n) = m + a/n + O(1/n^2): 2 m(2n) - m(n) has no O(1/n) bias.
    model = Model("gaussian", "normal", "tanh", phi=1, psi=1)
    lo = simulate(model, 500, 4, reps=12, seed=2)
    hi = simulate(model, 1000, 4, reps=12, seed=3)
    est = 2 * hi.moments - lo.moments
    se = np.sqrt(4 * hi.stderr ** 2 + lo.stderr ** 2)
    z = (est - gaussian_limit_moments(1, 1)) / se
    assert np.all(np.abs(z) < Z), z


def test_gaussian_weights_unequal_ratios():
    # phi = 1/2, psi = 2: n = 500, d = 1000, m = 2000, gamma = 1/4.  Rademacher inputs
    # (universality: given W, h is nearly N(0, |w|^2)).
    model = Model("gaussian", "rademacher", "tanh", phi="1/2", psi=2)
    res = simulate(model, 500, 4, reps=6, seed=4)
    assert (res.n, res.d, res.m) == (500, 1000, 2000)
    z = (res.moments - gaussian_limit_moments(0.5, 2)) / res.stderr
    assert np.all(np.abs(z) < Z), z


def test_gaussian_m1_exact_at_finite_n():
    # Bias-free check of the sampler and of tr M, and of the bias explanation above.
    model = Model("gaussian", "normal", "tanh")
    res = simulate(model, 1000, 1, reps=8, seed=5)
    exact = gaussian_m1_finite(1000)
    assert abs(res.moments[0] - exact) < Z * res.stderr[0]
    limit = gaussian_limit_moments(1, 1)[0]
    assert -1e-3 < exact - limit < -1e-4          # the O(1/n) bias, about -0.4/n


def test_sparse_m1_sanity_value():
    model = Model(*SPARSE)
    res = simulate(model, 1000, 1, reps=6, seed=6)
    assert abs(res.moments[0] - SANITY_M1) < Z * res.stderr[0]
    # ... and the exact finite-n value: the sampler draws Binomial(d, c/d) row degrees.
    exact_n = sparse_rademacher_m1(scipy.stats.binom(1000, 2 / 1000).pmf(np.arange(80)))
    assert abs(res.moments[0] - exact_n) < Z * res.stderr[0]
    assert abs(exact_n - SANITY_M1) < 1e-3


# ----------------------------------------------------------------------------
# The traces are computed exactly
# ----------------------------------------------------------------------------

def _brute_force(model, n, k, seed_seq):
    """Documented stream: W first, then the columns of X one after another."""
    n, d, m = model.sizes(n)
    rng = np.random.default_rng(seed_seq)
    w = model.weights.sample(n, d, rng)
    xt = model.inputs.sample((m, d), rng)
    w = w.toarray() if hasattr(w, "toarray") else w
    y = model.activation(w @ xt.T)
    ev = np.linalg.eigvalsh(y @ y.T / m)
    return np.array([np.mean(ev ** j) for j in range(1, k + 1)]), np.sort(ev)


@pytest.mark.parametrize("spec, phi, psi", [
    (SPARSE, 1, 1),
    (("gaussian", "uniform", "erf(scale=2)"), "1/2", 2),          # m > n
    (("stable(alpha=1.2)", "normal", "atan"), 3, "1/2"),          # m < n: Gram is m×m
    (("sparse(c=3, entries=normal)", "normal", "poly(1, -1/10)"), "0.8", "1.5"),
])
def test_replicate_matches_brute_force(spec, phi, psi):
    model = Model(*spec, phi=phi, psi=psi)
    ss = np.random.SeedSequence(99).spawn(3)[2]
    for chunk in (None, 7):
        traces, eigs = simulate_replicate(model, 120, 5, ss, eigenvalues=True, chunk=chunk)
        want, ev = _brute_force(model, 120, 5, ss)
        np.testing.assert_allclose(traces, want, rtol=1e-10)
        assert eigs.shape == (120,)
        np.testing.assert_allclose(eigs, ev, rtol=1e-9, atol=1e-12 * ev.max())


def test_eigenvalues_output():
    model = Model("gaussian", "normal", "tanh", phi=2, psi="1/2")      # n = 200, m = 50
    res = simulate(model, 200, 3, reps=2, seed=0, eigenvalues=True)
    assert (res.n, res.d, res.m) == (200, 100, 50)
    assert len(res.eigenvalues) == 2
    for ev, row in zip(res.eigenvalues, res.per_replicate):
        assert ev.shape == (200,) and np.all(np.diff(ev) >= 0)
        assert np.count_nonzero(ev[:150]) == 0                     # n - m exact zeros
        np.testing.assert_allclose([np.mean(ev ** j) for j in (1, 2, 3)], row, rtol=1e-10)
        assert not ev.flags.writeable
    assert simulate(model, 200, 3, reps=2, seed=0).eigenvalues is None


# ----------------------------------------------------------------------------
# Reproducibility
# ----------------------------------------------------------------------------

def test_same_seed_same_results_and_replicates_independent_of_order():
    model = Model(*SPARSE)
    a = simulate(model, 150, 4, reps=4, seed=123)
    b = simulate(model, 150, 4, reps=4, seed=123)
    assert np.array_equal(a.per_replicate, b.per_replicate)
    streams = np.random.SeedSequence(123).spawn(4)
    for i in reversed(range(4)):
        t, _ = simulate_replicate(model, 150, 4, streams[i])
        assert np.array_equal(t, a.per_replicate[i])
    c = simulate(model, 150, 4, reps=4, seed=124)
    assert not np.any(c.per_replicate == a.per_replicate)
    # a longer run's replicates are spawned from the same root, in the same order
    d = simulate(model, 150, 4, reps=6, seed=123)
    assert np.array_equal(d.per_replicate[:4], a.per_replicate)


@pytest.mark.parametrize("spec", [SPARSE, ("stable(alpha=0.8)", "uniform", "sin")])
def test_results_do_not_depend_on_chunk(spec):
    model = Model(*spec, phi="2/3")
    ref = simulate(model, 90, 3, reps=2, seed=7)
    for chunk in (1, 13, 10_000):
        other = simulate(model, 90, 3, reps=2, seed=7, chunk=chunk)
        np.testing.assert_allclose(other.per_replicate, ref.per_replicate, rtol=1e-12)


def test_statistics_of_result():
    model = Model(*SPARSE)
    res = simulate(model, 100, 3, reps=5, seed=1)
    per = res.per_replicate
    assert per.shape == (5, 3) and res.k == 3
    np.testing.assert_allclose(res.moments, per.mean(axis=0))
    np.testing.assert_allclose(res.stderr, per.std(axis=0, ddof=1) / math.sqrt(5))
    one = simulate(model, 100, 3, reps=1, seed=1)
    assert np.all(np.isnan(one.stderr))
    assert np.all(np.isfinite(one.moments))


def test_result_is_frozen_and_json_serialisable():
    model = Model(*SPARSE, psi="1/2")
    res = simulate(model, 100, 2, reps=1, seed=3, eigenvalues=True)
    assert isinstance(res, SimulationResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.n = 5
    with pytest.raises(ValueError):
        res.moments[0] = 1.0
    out = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    for key in ("moments", "stderr", "per_replicate", "n", "d", "m", "k", "reps", "seed", "model"):
        assert key in out
    assert out["stderr"] == [None, None]
    assert out["model"] == {"weights": "sparse(c=2, entries=rademacher)", "inputs": "rademacher",
                            "activation": "tanh", "phi": "1", "psi": "1/2"}
    assert (out["n"], out["d"], out["m"]) == (100, 50, 50)
    assert "eigenvalues" not in out and len(res.to_dict(eigenvalues=True)["eigenvalues"][0]) == 100
    assert "moments=[" in repr(res)


def test_progress_bar(capsys):
    model = Model(*SPARSE)
    simulate(model, 50, 1, reps=2, progress=True)
    assert "simulate" in capsys.readouterr().err
    simulate(model, 50, 1, reps=2)                 # stderr is not a terminal under pytest
    simulate(model, 50, 1, reps=2, progress=False)
    assert capsys.readouterr().err == ""


# ----------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    ({"k": 0}, "k must be an integer >= 1"),
    ({"k": 2.0}, "k must be"),
    ({"reps": 0}, "reps must be an integer >= 1"),
    ({"seed": -1}, "seed must be an integer >= 0"),
    ({"seed": 1.5}, "seed"),
    ({"seed": True}, "seed"),
    ({"seed": None}, "seed"),
    ({"n": 1}, "too small"),
    ({"n": 0}, "n must be"),
    ({"n": 100.0}, "n must be"),
    ({"chunk": 0}, "chunk"),
    ({"progress": "yes"}, "progress"),
    ({"eigenvalues": 1}, "eigenvalues"),
])
def test_bad_arguments(kwargs, match):
    model = Model(*SPARSE)
    args = {"n": 50, "k": 2, "reps": 2, "seed": 0}
    args.update(kwargs)
    n, k = args.pop("n"), args.pop("k")
    with pytest.raises(MomentckError, match=match):
        simulate(model, n, k, **args)


def test_n_too_small_for_ratios():
    with pytest.raises(ValueError, match=r"n = 10 is too small.*d = 1"):
        simulate(Model(*SPARSE, psi="1/10"), 10, 1)
    with pytest.raises(ValueError, match=r"too small.*m = 0"):
        simulate(Model(*SPARSE, phi=20), 10, 1)
    with pytest.raises(ValueError, match="too small for sparse weights with c = 5"):
        simulate(Model("sparse(c=5)", "normal", "tanh"), 4, 1)
    assert sizes_for(Model(*SPARSE, phi="1/3", psi="1/2"), 100) == (100, 50, 150)


def test_symbolic_and_unsampleable_models_refused():
    c = sympy.Symbol("c", positive=True)
    with pytest.raises(MomentckError, match="symbolic parameters \\(c\\)"):
        simulate(Model(Sparse(c), "normal", "tanh"), 50, 1)
    with pytest.raises(MomentckError, match="symbolic"):
        simulate(Model("gaussian", "normal", "tanh", psi=sympy.Symbol("psi", positive=True)), 50, 1)
    with pytest.raises(MomentckError, match="cannot be sampled"):
        simulate(Model("gaussian", MomentInputs({4: 3}), "tanh"), 50, 1)
    with pytest.raises(MomentckError, match="momentck.Model"):
        simulate("gaussian", 50, 1)
    with pytest.raises(MomentckError, match="SeedSequence"):
        simulate_replicate(Model(*SPARSE), 50, 1, 3)


@pytest.mark.parametrize("kwargs, match", [
    ({"phi": 0}, "phi"), ({"psi": -1}, "psi"), ({"psi": "0"}, "psi"), ({"phi": "1/0"}, "phi"),
    ({"phi": "abc"}, "phi"),
])
def test_bad_ratios(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Model(*SPARSE, **kwargs)


def test_unbounded_activation_with_stable_weights_refused():
    with pytest.raises(ValueError, match="bounded"):
        Model("stable(alpha=1.5)", "normal", "poly(1, 1)")


# ---------------------------------------------------------------------------
# Stable weights at small alpha; the final finiteness guard
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_stable_alpha_near_zero_matches_saturated_limit(dtype):
    # As alpha -> 0 a row of W is dominated by one entry of size about E^(-1/alpha), E ~ Exp(1)
    # the row minimum of d exponentials times d: the row saturates (tanh = +-1) when E < 1 and
    # vanishes when E > 1.  So Y_ij = s_i sign(X_{l_i j}) with s_i ~ Bernoulli(p), p = 1 - 1/e, and
    # l_i a uniform column: m_1 = p and, at phi = psi = 1, m_2 = p + p^2 (n/d + n/m) = p + 2 p^2
    # up to O(1/n) and O(alpha) (both below 0.005 here, against standard errors near 0.01 and 0.03).
    # On the old sampler this gave NaN (overflow in exp).
    model = Model("stable(alpha=1/1000)", "normal", "tanh")
    res = simulate(model, 400, 2, reps=8, seed=4, dtype=dtype)
    p = 1 - math.exp(-1)
    assert np.isfinite(res.per_replicate).all()
    assert abs(res.moments[0] - p) < Z * res.stderr[0] + 0.005, res
    assert abs(res.moments[1] - (p + 2 * p * p)) < Z * res.stderr[1] + 0.005, res


@pytest.mark.parametrize("act", ["tanh", "erf", "atan(scale=1/3)"])
def test_stable_alpha_one_hundredth_is_finite(act):
    res = simulate(Model("stable(alpha=0.01)", "normal", act), 200, 3, reps=2, seed=1)
    assert np.isfinite(res.per_replicate).all() and np.all(res.moments > 0)


def test_stable_sin_below_one_half_refused_with_reason():
    with pytest.raises(MomentckError, match="alpha >= 0.5.*phase"):
        simulate(Model("stable(alpha=0.3)", "normal", "sin"), 100, 1)
    simulate(Model("stable(alpha=1/2)", "normal", "sin"), 100, 1)       # allowed


def test_moment_overflow_is_an_error_not_inf():
    with pytest.raises(MomentckError, match=r"overflows float64 for j >= \d+ .*at most k = \d+"):
        simulate(Model(*SPARSE), 50, 1000, reps=1)


def test_activation_overflow_is_an_error_not_nan():
    with pytest.raises(MomentckError, match="not finite.*overflows"):
        simulate(Model("gaussian", "normal", "poly(1, 1e300)"), 50, 3, reps=1)
