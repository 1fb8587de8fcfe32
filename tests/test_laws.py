"""Input and weight laws (MATH.md §1): samplers against their laws, exact moments, specs."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.stats as st
import sympy

from momentck import MomentckError, SpecError, input_law, weight_law
from momentck.laws import (Gaussian, MomentInputs, Normal, Rademacher, Sparse, Stable, Uniform,
                           chambers_mallows_stuck)

Z = 4.0   # standard errors allowed in statistical checks (fixed seeds)


# ----------------------------------------------------------------------------
# Stable sampler
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("alpha, seed", [(0.5, 1), (1.0, 2), (1.5, 3), (1.9, 4)])
def test_stable_sampler_ks_against_scipy_levy_stable(alpha, seed):
    # scipy's default parameterisation S1 with beta = 0, scale 1 has E exp(itw) = exp(-|t|^alpha),
    # the law the sampler claims.  A wrong scale (e.g. the common factor sqrt 2) fails here.
    x = chambers_mallows_stuck(alpha, 3000, np.random.default_rng(seed))
    oracle = st.levy_stable(alpha, 0.0)
    assert st.kstest(x, oracle.cdf).pvalue > 1e-3
    assert st.kstest(x * math.sqrt(2.0), oracle.cdf).pvalue < 1e-3   # the test has power


@pytest.mark.parametrize("alpha", [0.5, 1.0, 1.5, 1.9])
def test_stable_characteristic_function(alpha):
    # E cos(t w) = exp(-|t|^alpha); cos is bounded, so its standard error is honest.
    x = chambers_mallows_stuck(alpha, 400_000, np.random.default_rng(17))
    for t in (0.3, 1.0, 2.0):
        c = np.cos(t * x)
        se = c.std() / math.sqrt(c.size)
        assert abs(c.mean() - math.exp(-t ** alpha)) < Z * se + 1e-12, t


def test_stable_sampler_matches_textbook_formula():
    rng = np.random.default_rng(5)
    for seed, a in enumerate((0.3, 0.5, 0.99, 1.2, 1.5, 1.9, 1.999)):
        w = chambers_mallows_stuck(a, 50_000, np.random.default_rng(seed))
        r2 = np.random.default_rng(seed)
        v = r2.uniform(-np.pi / 2, np.pi / 2, 50_000)
        e = r2.standard_exponential(50_000)
        ref = np.sin(a * v) / np.cos(v) ** (1 / a) * (np.cos((1 - a) * v) / e) ** ((1 - a) / a)
        ok = np.isfinite(ref)
        np.testing.assert_allclose(w[ok], ref[ok], rtol=1e-9)
    assert np.array_equal(chambers_mallows_stuck(1.0, 10, np.random.default_rng(0)),
                          np.tan(np.random.default_rng(0).uniform(-np.pi / 2, np.pi / 2, 10)))
    assert chambers_mallows_stuck(1.5, (3, 4), rng).shape == (3, 4)


@pytest.mark.parametrize("alpha", [0.5, 1])
def test_stable_row_norm_laplace_transform(alpha):
    # S = sum_j W_ij^2 -> positive alpha/2-stable: E exp(-S) = exp(-C_alpha) (MATH.md §1).
    # The finite-d correction is O(d^(1 - 2/alpha)): negligible for alpha <= 1 at d = 2000.
    law = Stable(alpha)
    w = law.sample(3000, 2000, np.random.default_rng(8))
    e = np.exp(-(w ** 2).sum(axis=1))
    want = math.exp(-float(law.C_alpha))
    assert abs(e.mean() - want) < Z * e.std() / math.sqrt(e.size)


def test_stable_constants():
    # alpha = 1 is the Cauchy law: Levy density (1/pi) x^-2, and S is 1/2-stable.
    assert sympy.simplify(Stable(1).c_alpha - 1 / sympy.pi) == 0
    assert sympy.simplify(Stable(1).C_alpha - 2 / sympy.sqrt(sympy.pi)) == 0
    # tail: P(|w| > x) ~ 2 c_alpha / alpha x^-alpha
    a = 1.5
    x = np.abs(chambers_mallows_stuck(a, 400_000, np.random.default_rng(9)))
    q = 30.0
    p = (x > q).mean()
    want = 2 * float(Stable(sympy.Rational(3, 2)).c_alpha) / a * q ** -a
    assert abs(p - want) < Z * math.sqrt(want / x.size) + 0.02 * want


def test_stable_sample_scale_and_levy_moments():
    law = weight_law("stable(alpha=3/2)")
    w = law.sample(4, 1000, np.random.default_rng(0))
    raw = chambers_mallows_stuck(1.5, (4, 1000), np.random.default_rng(0))
    np.testing.assert_allclose(w, raw / 1000 ** (1 / 1.5))
    assert law.levy_moment(2) == sympy.oo and law.levy_moment(3) == 0
    assert law.finite_moments is False


@pytest.mark.parametrize("alpha", ["0", "2", "-1", "2.5", "0.0"])
def test_stable_alpha_out_of_range(alpha):
    with pytest.raises(ValueError, match="alpha"):
        weight_law(f"stable(alpha={alpha})")


def test_stable_alpha_near_two_warns():
    with pytest.warns(UserWarning, match="slow"):
        Stable("1.95")


# ----------------------------------------------------------------------------
# Sparse weights
# ----------------------------------------------------------------------------

def test_sparse_row_counts_are_poisson():
    c, n, d = 2.0, 40_000, 200_000
    w = Sparse(2, "rademacher").sample(n, d, np.random.default_rng(11))
    assert sp.isspmatrix_csr(w) or isinstance(w, sp.csr_array)
    counts = np.diff(w.indptr)
    assert abs(counts.mean() - c) < Z * math.sqrt(c / n)
    # variance of the sample variance of Poisson(c): (mu4 - sigma^4)/n with mu4 = c + 3c^2
    assert abs(counts.var(ddof=1) - c) < Z * math.sqrt((c + 2 * c * c) / n)
    # chi-square against Poisson(2), classes 0..6 and >= 7
    obs = np.bincount(np.minimum(counts, 7), minlength=8)
    pk = st.poisson(c).pmf(np.arange(7))
    exp = n * np.append(pk, 1 - pk.sum())
    assert st.chisquare(obs, exp).pvalue > 1e-3
    assert set(np.unique(w.data)) == {-1.0, 1.0}


def test_sparse_columns_distinct_and_uniform():
    # d small so that repeated columns are frequent and must be redrawn.
    n, d, c = 20_000, 6, 4
    w = Sparse(c, "normal").sample(n, d, np.random.default_rng(12))
    for a in range(0, n, 997):
        cols = w.indices[w.indptr[a]:w.indptr[a + 1]]
        assert len(np.unique(cols)) == len(cols)
    counts = np.diff(w.indptr)
    # Binomial(d, c/d) nonzeros per row at distinct, uniformly placed columns
    obs = np.bincount(counts, minlength=d + 1)
    assert st.chisquare(obs, n * st.binom(d, c / d).pmf(np.arange(d + 1))).pvalue > 1e-3
    per_col = np.bincount(w.indices, minlength=d)
    assert st.chisquare(per_col).pvalue > 1e-3
    # entries are N(0, 1)
    assert st.kstest(w.data, "norm").pvalue > 1e-3


def test_sparse_levy_moments_and_atoms():
    w = weight_law("sparse(c=3/2, entries=normal)")
    assert [w.levy_moment(p) for p in (2, 4, 6)] == [sympy.Rational(3, 2), sympy.Rational(9, 2),
                                                     sympy.Rational(45, 2)]
    assert w.atoms() is None
    r = weight_law("sparse(c=2)")
    assert r.entries == Rademacher() and r.levy_moment(8) == 2
    assert sorted(r.atoms()) == [(-1, 1), (1, 1)]


@pytest.mark.parametrize("c", ["0", "-1", "-0.5"])
def test_sparse_c_must_be_positive(c):
    with pytest.raises(ValueError, match="c"):
        weight_law(f"sparse(c={c}, entries=rademacher)")


def test_sparse_symbolic_c_cannot_be_sampled():
    w = Sparse(sympy.Symbol("c", positive=True))
    assert w.levy_moment(2) == sympy.Symbol("c", positive=True)
    with pytest.raises(MomentckError, match="symbolic"):
        w.sample(3, 10, np.random.default_rng(0))


def test_sparse_c_larger_than_d_refused():
    with pytest.raises(MomentckError, match="exceeds"):
        Sparse(5).sample(3, 4, np.random.default_rng(0))


def test_gaussian_weights():
    w = Gaussian().sample(200, 500, np.random.default_rng(3))
    assert w.shape == (200, 500)
    v = (w ** 2).sum(axis=1)          # chi^2_500 / 500
    assert abs(v.mean() - 1) < Z * math.sqrt(2 / 500 / 200)
    assert Gaussian().levy_moment(2) == 1 and Gaussian().levy_moment(4) == 0


# ----------------------------------------------------------------------------
# Input laws
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("law", [Normal(), Rademacher(), Uniform()])
def test_inputs_unit_variance_and_fourth_moment(law):
    N = 400_000
    x = law.sample(N, np.random.default_rng(21))
    mu = {p: float(law.moment(p)) for p in (2, 4, 8)}
    assert mu[2] == 1.0
    assert abs(x.mean()) < Z / math.sqrt(N)
    x2 = x * x
    se2 = math.sqrt((mu[4] - 1) / N)
    assert abs(x2.mean() - 1) <= Z * se2 + 1e-12
    se4 = math.sqrt((mu[8] - mu[4] ** 2) / N)
    assert abs((x2 * x2).mean() - mu[4]) <= Z * se4 + 1e-12
    assert abs((x ** 3).mean()) < Z * math.sqrt(float(law.moment(6)) / N)   # symmetric


def test_input_exact_moments():
    assert [Normal().moment(p) for p in range(9)] == [1, 0, 1, 0, 3, 0, 15, 0, 105]
    assert [Rademacher().moment(p) for p in (2, 4, 6)] == [1, 1, 1]
    assert [Uniform().moment(p) for p in (2, 4, 6)] == [1, sympy.Rational(9, 5), sympy.Rational(27, 7)]
    assert all(isinstance(Uniform().moment(p), sympy.Basic) for p in (2, 4))
    assert Rademacher().moments(4) == [1, 0, 1, 0, 1]
    with pytest.raises(MomentckError, match="moment order"):
        Normal().moment(-1)


def test_rademacher_values():
    x = Rademacher().sample((50, 40), np.random.default_rng(0))
    assert x.shape == (50, 40) and x.dtype == np.float64
    assert set(np.unique(x)) == {-1.0, 1.0}


def test_uniform_support():
    x = Uniform().sample(10_000, np.random.default_rng(0))
    assert x.min() >= -math.sqrt(3) and x.max() <= math.sqrt(3)
    assert st.kstest(x, st.uniform(-math.sqrt(3), 2 * math.sqrt(3)).cdf).pvalue > 1e-3


def test_moment_inputs():
    law = input_law("moments(mu4=3, mu6=15)")
    assert isinstance(law, MomentInputs)
    assert law.moment(4) == 3 and law.moment(2) == 1 and law.moment(5) == 0
    with pytest.raises(MomentckError, match="mu_8"):
        law.moment(8)
    with pytest.raises(MomentckError, match="cannot be sampled"):
        law.sample(3)
    with pytest.raises(MomentckError, match="unit variance"):
        MomentInputs({2: 2})
    with pytest.raises(MomentckError, match="symmetric"):
        MomentInputs({3: 1})


def test_sampler_rng_argument():
    a = Normal().sample(5, 7)
    b = Normal().sample(5, np.random.default_rng(7))
    assert np.array_equal(a, b)
    with pytest.raises(MomentckError, match="rng"):
        Normal().sample(5, "seed")
    with pytest.raises(MomentckError, match="n must be"):
        Gaussian().sample(0, 3)


# ----------------------------------------------------------------------------
# Specs
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("spec", ["gaussian", "sparse(c=2, entries=rademacher)", "sparse(c=1/3, entries=normal)",
                                  "sparse(c=0.25)", "stable(alpha=1.5)", "stable(alpha=1/2)",
                                  " stable ( alpha = 0.7 ) ", "SPARSE(C=2)", "sparse(2, normal)"])
def test_weight_spec_round_trip(spec):
    w = weight_law(spec)
    assert weight_law(w.spec) == w
    assert weight_law(w.spec).spec == w.spec
    assert eval(repr(w), {"weight_law": weight_law}) == w
    assert weight_law(w) is w


@pytest.mark.parametrize("spec", ["normal", "rademacher", "uniform", " Uniform ", "moments(mu4=3, mu6=15)"])
def test_input_spec_round_trip(spec):
    law = input_law(spec)
    assert input_law(law.spec) == law
    assert eval(repr(law), {"input_law": input_law}) == law


def test_spec_exact_numbers():
    assert weight_law("sparse(c=0.5)").c == sympy.Rational(1, 2)
    assert weight_law("stable(alpha=1.5)").alpha == sympy.Rational(3, 2)
    assert weight_law("sparse(c=2)") != weight_law("sparse(c=3)")
    assert weight_law("sparse(c=2)") != weight_law("sparse(c=2, entries=normal)")


@pytest.mark.parametrize("spec, match", [
    ("cauchy", "unknown weights"),
    ("sparse(c=2", "malformed|unbalanced"),
    ("sparse(c=2))", "malformed|unbalanced"),
    ("sparse()", "empty"),
    ("sparse(c=2,)", "empty"),
    ("sparse(c=)", "bad argument"),
    ("sparse(entries=rademacher)", "needs c"),
    ("sparse(c=2, entries=uniform)", "entries"),
    ("sparse(c=2, d=3)", "unexpected"),
    ("sparse(c=two)", "number"),
    ("stable", "alpha"),
    ("stable(alpha=1, beta=0)", "alpha"),
    ("gaussian(1)", "no arguments"),
    ("", "empty"),
    ("sparse c=2", "malformed"),
])
def test_bad_weight_specs(spec, match):
    with pytest.raises(SpecError if match not in ("number", "alpha") else ValueError, match=match):
        weight_law(spec)


@pytest.mark.parametrize("spec, match", [
    ("gauss", "unknown inputs"), ("normal(1)", "no arguments"), ("moments(3)", "mu4"),
    ("moments(m4=3)", "unknown keyword"), ("normal(", "malformed|unbalanced"),
])
def test_bad_input_specs(spec, match):
    with pytest.raises(SpecError, match=match):
        input_law(spec)


def test_errors_are_value_errors():
    assert issubclass(MomentckError, ValueError) and issubclass(SpecError, MomentckError)
    with pytest.raises(ValueError):
        weight_law(3)


# ----------------------------------------------------------------------------
# Stable sampler in log space (small alpha)
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("alpha", [0.5, 1.0, 1.5])
def test_stable_log_sampler_is_the_value_sampler(alpha):
    from momentck.laws import chambers_mallows_stuck_log
    logw, neg = chambers_mallows_stuck_log(alpha, (30, 40), np.random.default_rng(6))
    w = chambers_mallows_stuck(alpha, (30, 40), np.random.default_rng(6))
    np.testing.assert_allclose(np.where(neg, -1.0, 1.0) * np.exp(logw), w, rtol=1e-12)


def test_stable_log_sampler_small_alpha_law():
    # |w|^alpha -> 1/E, E ~ Exp(1), as alpha -> 0 (Cressie 1975): |w|^-alpha is nearly Exp(1) at
    # alpha = 1e-3, where |w| itself is beyond float64 (above 1e308 or below 1e-308) about half the time.
    from momentck.laws import chambers_mallows_stuck_log
    a = 1e-3
    logw, neg = chambers_mallows_stuck_log(a, 20_000, np.random.default_rng(11))
    assert np.isfinite(logw).all() and 0.45 < neg.mean() < 0.55
    assert st.kstest(np.exp(-a * logw), st.expon.cdf).pvalue > 1e-3
    assert st.kstest(np.exp(-a * logw), st.expon(scale=1.1).cdf).pvalue < 1e-3   # the test has power


def test_stable_sample_scaled_is_the_sample():
    law = Stable("3/2")
    w = law.sample(20, 300, np.random.default_rng(2))
    s, v = law.sample_scaled(20, 300, np.random.default_rng(2))
    np.testing.assert_allclose(np.exp(s)[:, None] * v, w, rtol=1e-12)
    assert np.all(np.abs(v).max(axis=1) == 1.0)
    tiny = Stable("1/1000")
    s, v = tiny.sample_scaled(50, 200, np.random.default_rng(3))
    assert np.isfinite(s).all() and np.isfinite(v).all() and s.max() > 710   # exp(s) > float64 max
    assert not np.isnan(tiny.sample(50, 200, np.random.default_rng(3))).any()


# ----------------------------------------------------------------------------
# Spec numbers and degrees are bounded (no parse-time hangs), messages are short
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, match", [("1e999999999", "exponent"), ("1e-309", "exponent"),
                                         ("1" * 101, "more than 100 digits"), ("1/" + "3" * 101, "100 digits"),
                                         ("٣", "must be a number")])
def test_exact_number_bounds(text, match):
    from momentck.specs import exact_number
    with pytest.raises(ValueError, match=match) as info:
        exact_number(text, "phi")
    assert len(str(info.value)) < 200
    assert exact_number("1e308", "x") == sympy.Integer(10) ** 308 and exact_number("1e-0308", "x") > 0


def test_long_spec_quoted_briefly():
    with pytest.raises(ValueError) as info:
        weight_law("x" * 100_000)
    assert len(str(info.value)) < 200 and "100000 characters" in str(info.value)
