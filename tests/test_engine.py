"""The exact engine against independent derivations (MATH.md §3–§5)."""

from fractions import Fraction
from math import comb, factorial

import pytest
import sympy

import momentck.engine as engine
from momentck import Gaussian, Model, Poly, Sparse
from momentck.cache import load, store
from momentck.errors import MomentckError, TooMuchWork
from momentck.shapes import enumerate_shapes
from momentck.weights import Coefficients, generic_coefficients, shape_weight

a1, a3, psi, phi, c = sympy.symbols("a1 a3 psi phi c", positive=True)


# ----------------------------------------------------------------------------
# Gaussian weights: MATH.md §5, written out independently of the package
# ----------------------------------------------------------------------------

def _narayana_mp(i, lam):
    if i == 0:
        return sympy.Integer(1)
    return sum(sympy.Rational(comb(i, b) * comb(i, b - 1), i) * lam ** (i - b) for b in range(1, i + 1))


def _gaussian_h(theta1, theta2, psi_, k):
    return [sympy.expand(sum(sympy.binomial(j, i) * (theta1 - theta2) ** (j - i) * theta2 ** i
                             * _narayana_mp(i, 1 / psi_) for i in range(j + 1)))
            for j in range(1, k + 1)]


def _m_from_h(h, g):
    # written out by hand from NC(k) for k <= 4
    h1, h2, h3, h4 = (list(h) + [0, 0, 0])[:4]
    m = [h1, h2 + g * h1 ** 2, h3 + 3 * g * h1 * h2 + g ** 2 * h1 ** 3,
         h4 + g * (4 * h1 * h3 + 2 * h2 ** 2) + 6 * g ** 2 * h1 ** 2 * h2 + g ** 3 * h1 ** 4]
    return [sympy.expand(x) for x in m[:len(h)]]


@pytest.mark.parametrize("inputs", ["normal", "uniform", "rademacher"])
def test_gaussian_weights_symbolic_activation_equals_closed_form(inputs):
    k = 6 if inputs == "normal" else 4
    model = Model("gaussian", inputs, Poly([a1, a3]), phi=phi, psi=psi)
    res = engine.kernel_moments(model, k)
    theta1 = a1 ** 2 + 6 * a1 * a3 + 15 * a3 ** 2      # E f(z)^2, f = a1 z + a3 z^3
    theta2 = (a1 + 3 * a3) ** 2                        # (E f'(z))^2
    for got, want in zip(res.kernel, _gaussian_h(theta1, theta2, psi, k)):
        assert sympy.expand(got - want) == 0


def test_gaussian_weights_rational_activation_exact_to_k6():
    model = Model("gaussian", "normal", "poly(1, -1/6)", phi="1/2", psi="1/3")
    res = engine.limiting_moments(model, 6)
    theta1, theta2 = sympy.Rational(5, 12), sympy.Rational(1, 4)   # 1 - 1 + 15/36; (1 - 1/2)^2
    h = _gaussian_h(theta1, theta2, sympy.Rational(1, 3), 6)
    assert res.kernel == h
    assert all(isinstance(x, sympy.Rational) for x in res.spectral)
    assert res.spectral[:4] == _m_from_h(h[:4], sympy.Rational(3, 2))


# ----------------------------------------------------------------------------
# Sparse weights: exact sums over Poisson row degrees (MATH.md §3 anchor cases)
# ----------------------------------------------------------------------------

F = {1: Fraction(1), 3: Fraction(-1, 6)}          # f = poly(1, -1/6)


def _f(y):
    return sum(a * Fraction(y) ** p for p, a in F.items())


def _g(D):
    """E f(S_D)^2, S_D a sum of D independent signs (rademacher weights x rademacher inputs)."""
    return sum(Fraction(comb(D, j), 2 ** D) * _f(2 * j - D) ** 2 for j in range(D + 1))


def _u(y, D):
    """E f(y + S_D)."""
    return sum(Fraction(comb(D, j), 2 ** D) * _f(y + 2 * j - D) for j in range(D + 1))


def _poisson_mean(F_, c_, points=30):
    """E F(D), D ~ Poisson(c), for F polynomial in D: sum_i Delta^i F(0) c^i / i! (exact)."""
    vals = [F_(D) for D in range(points)]
    total, i = Fraction(0), 0
    while vals:
        if i > points // 2:
            assert all(v == 0 for v in vals), "F is not a polynomial of low degree"
            break
        total += vals[0] * Fraction(c_) ** i / factorial(i)
        vals = [b - a for a, b in zip(vals, vals[1:])]
        i += 1
    return total


@pytest.mark.parametrize("c_", [Fraction(2), Fraction(1, 2)])
def test_sparse_h1_h2_h3_equal_direct_poisson_sums(c_):
    model = Model(Sparse(sympy.Rational(c_.numerator, c_.denominator), "rademacher"),
                  "rademacher", "poly(1, -1/6)", phi=1, psi=psi)
    h = engine.kernel_moments(model, 3).kernel
    E = lambda fn: sympy.Rational(*_as_pair(_poisson_mean(fn, c_)))  # noqa: E731
    B = E(lambda D: _u(1, D) ** 2)
    h1 = E(_g)
    h2 = E(lambda D: _g(D) ** 2) + c_ ** 2 * B ** 2 / psi
    A = E(lambda D: _g(D + 1) * _u(1, D) ** 2)
    h3 = E(lambda D: _g(D) ** 3) + 3 * c_ ** 2 * A * B / psi + c_ ** 3 * B ** 3 / psi ** 2
    assert h[0] == h1
    assert sympy.expand(h[1] - h2) == 0
    assert sympy.expand(h[2] - h3) == 0


def _as_pair(q):
    return q.numerator, q.denominator


def test_sparse_first_moment_symbolic_in_c():
    # R compound Poisson with cumulants kappa_2 = kappa_4 = kappa_6 = c; f = x - x^3/6:
    # E R^2 = c, E R^4 = c + 3c^2, E R^6 = c + 15c^2 + 15c^3.
    model = Model(Sparse(c, "rademacher"), "rademacher", "poly(1, -1/6)")
    want = c - (c + 3 * c ** 2) / 3 + (c + 15 * c ** 2 + 15 * c ** 3) / 36
    assert sympy.expand(engine.limiting_moments(model, 1)[0] - want) == 0


def test_sparse_with_many_entries_approaches_gaussian():
    # entries A / sqrt(c), A ~ N(0,1): gamma_p = c^(1 - p/2) E A^p -> 1 (p = 2), 0 (p >= 4)
    k = 4
    co = Coefficients({1: a1, 3: a3}, lambda p: c ** (1 - sympy.Rational(p, 2)) * sympy.factorial2(p - 1),
                      lambda p: sympy.factorial2(p - 1), max_order=6 * k)
    theta1, theta2 = a1 ** 2 + 6 * a1 * a3 + 15 * a3 ** 2, (a1 + 3 * a3) ** 2
    gauss = _gaussian_h(theta1, theta2, psi, k)
    for j in range(1, k + 1):
        hj = sum(s.walks * psi ** (1 - s.rows) * co.to_sympy(shape_weight(s, co))
                 for s in enumerate_shapes(j))
        hj = sympy.expand(hj)
        assert sympy.expand(sympy.limit(hj, c, sympy.oo) - gauss[j - 1]) == 0
        # and the error is O(1/c): nonzero correction at finite c
        if j >= 1:
            corr = sympy.limit(c * (hj - gauss[j - 1]), c, sympy.oo)
            assert corr.is_finite and corr != 0


def test_generic_weight_is_polynomial_in_taylor_levy_and_input_moments():
    co = generic_coefficients(3, 2)
    s = [s for s in enumerate_shapes(2) if s.rows == 2][0]    # K(a, b)^2 in a 2-row block
    w = sympy.expand(co.to_sympy(shape_weight(s, co)))
    g2, g4, mu4 = sympy.symbols("gamma2 gamma4 mu4")
    sa1, sa3 = sympy.symbols("a1 a3")
    # At first order in a3 by hand: K(w,w') = E[f(w x + R_a) f(w' x + R_b)]; the a1^2 term is
    # w w' (E x^2), so its square integrates to gamma2^2.
    assert w.coeff(sa1, 4).subs(sa3, 0) == g2 ** 2
    assert w.has(g4) and w.has(mu4)


# ----------------------------------------------------------------------------
# explain, LaTeX, cache, guards
# ----------------------------------------------------------------------------

def test_explain_adds_up_and_counts_walks():
    model = Model("sparse(c=3/2, entries=normal)", "uniform", "poly(1, 1/5)", phi=2, psi="1/2")
    table = engine.explain(model, 4)
    assert sum(r["walks"] for r in table.rows) == 17
    assert sympy.expand(sum(r["contribution"] for r in table.rows) - table.total) == 0
    assert table.total == engine.kernel_moments(model, 4)[3]
    text = str(table)
    assert "N_k(S)" in text and "total h_4" in text
    assert "\\begin{tabular}" in table.latex()


def test_latex_and_dict_exports():
    model = Model("sparse(c=2, entries=rademacher)", "rademacher", "poly(1, -1/6)", phi=phi, psi=psi)
    res = engine.limiting_moments(model, 2)
    tex = res.latex()
    assert tex.startswith("\\begin{align*}") and "m_{2}" in tex
    d = res.to_dict()
    assert d["moments"] is None                     # symbolic: no floats
    assert sympy.sympify(d["exact"][1], locals={"phi": phi, "psi": psi}) == res.spectral[1]


def test_cache_is_used_and_corruption_rebuilds(monkeypatch, tmp_path):
    monkeypatch.setenv("MOMENTCK_CACHE_DIR", str(tmp_path))
    model = Model("sparse(c=2, entries=rademacher)", "rademacher", "poly(1, -1/6)")
    first = engine.limiting_moments(model, 4)

    def boom(*a, **k):
        raise AssertionError("weights recomputed despite the cache")

    monkeypatch.setattr(engine, "shape_weight", boom)
    assert engine.limiting_moments(model, 4).spectral == first.spectral
    monkeypatch.undo()
    monkeypatch.setenv("MOMENTCK_CACHE_DIR", str(tmp_path))
    files = list(tmp_path.glob("weights/*.json"))
    assert files
    for fp in files:
        fp.write_text(fp.read_text()[: len(fp.read_text()) // 2])     # half-written
    assert engine.limiting_moments(model, 4).spectral == first.spectral


def _writer(args):
    path, i = args
    import os
    os.environ["MOMENTCK_CACHE_DIR"] = path
    for _ in range(20):
        store("race", ["same"], {"writer": i, "data": list(range(2000))})
    return load("race", ["same"]) is not None


def test_concurrent_writers_leave_a_valid_entry(tmp_path, monkeypatch):
    from multiprocessing import get_context
    with get_context("spawn").Pool(3) as pool:
        ok = pool.map(_writer, [(str(tmp_path), i) for i in range(3)])
    assert all(ok)
    monkeypatch.setenv("MOMENTCK_CACHE_DIR", str(tmp_path))
    got = load("race", ["same"])
    assert got["data"] == list(range(2000))
    assert not list(tmp_path.glob("race/*.tmp"))


def test_guards_and_bad_requests():
    model = Model("sparse(c=2, entries=rademacher)", "rademacher", "poly(1, -1/6)")
    with pytest.raises(TooMuchWork, match="force=True"):
        engine.limiting_moments(model, 11)
    with pytest.raises(MomentckError, match="k must be an integer >= 1"):
        engine.limiting_moments(model, 0)
    with pytest.raises(MomentckError, match="truncation"):
        engine.limiting_moments(Model("sparse(c=2, entries=normal)", "uniform", "tanh"), 4)
    with pytest.raises(MomentckError, match="infinite"):
        engine.limiting_moments(Model("stable(alpha=1)", "normal", "sin"), 2, method="symbolic")
    with pytest.raises(MomentckError, match="method"):
        engine.limiting_moments(model, 2, method="magic")
    with pytest.raises(MomentckError, match="Model"):
        engine.limiting_moments("sparse(c=2)", 2)


def test_truncated_activation_is_stated():
    res = engine.limiting_moments(Model("sparse(c=2)", "rademacher", "tanh"), 2, truncation=5)
    assert res.truncation == 5
    assert any("not of f" in n for n in res.notes)
    assert any("radius" in n for n in res.notes)
    # the truncation is the moment of the Taylor polynomial, computed exactly
    poly = engine.limiting_moments(Model("sparse(c=2)", "rademacher", "poly(1, -1/3, 2/15)"), 2)
    assert res.spectral == poly.spectral


def test_gaussian_weights_module_closed_form_agrees():
    from momentck.gaussian import gaussian_moments
    model = Model(Gaussian(), "normal", "poly(1, -1/6)", phi=2, psi=3)
    h, m = gaussian_moments(model, 5)
    res = engine.limiting_moments(model, 5)
    assert res.kernel == h and res.spectral == m


def _compound_poisson_moments(cumulants, order):
    """Moments m_0..m_order from cumulants kappa_1.. (moment-cumulant recursion)."""
    m = [sympy.Integer(1)]
    for n in range(1, order + 1):
        m.append(sympy.expand(sum(sympy.binomial(n - 1, j - 1) * cumulants(j) * m[n - j]
                                  for j in range(1, n + 1))))
    return m


def _expect(poly_expr, moments_by_symbol):
    """E of a polynomial in independent variables, given each variable's moment list."""
    gens = list(moments_by_symbol)
    p = sympy.Poly(sympy.expand(poly_expr), *gens)
    total = 0
    for exps, coeff in p.terms():
        term = coeff
        for g, e in zip(gens, exps):
            term *= moments_by_symbol[g][e]
        total += term
    return sympy.expand(total)


def test_sparse_normal_entries_normal_inputs_h1_h2_by_gaussian_conditioning():
    # Given W, (h_a, h_b) is centred Gaussian with variances s_a, s_b (row norms) and
    # covariance rho = w w' (the shared column).  For f = a1 x + a3 x^3:
    #   E f(X)^2 = a1^2 s + 6 a1 a3 s^2 + 15 a3^2 s^3,
    #   E f(X) f(Y) = a1^2 rho + 3 a1 a3 rho (s_a + s_b) + a3^2 (9 s_a s_b rho + 6 rho^3).
    # The rest's squared norm S is compound Poisson with chi^2_1 jumps: kappa_r = c (2r-1)!!.
    model = Model(Sparse(c, "normal"), "normal", Poly([a1, a3]), phi=1, psi=psi)
    h = engine.kernel_moments(model, 2).kernel
    Sa, Sb, w, w2 = sympy.symbols("S_a S_b w w2")
    Smom = _compound_poisson_moments(lambda r: c * sympy.factorial2(2 * r - 1), 12)
    Wmom = [sympy.factorial2(p - 1) if p % 2 == 0 else 0 for p in range(30)]
    theta = lambda s: a1 ** 2 * s + 6 * a1 * a3 * s ** 2 + 15 * a3 ** 2 * s ** 3  # noqa: E731
    sa, sb, rho = w ** 2 + Sa, w2 ** 2 + Sb, w * w2
    kab = a1 ** 2 * rho + 3 * a1 * a3 * rho * (sa + sb) + a3 ** 2 * (9 * sa * sb * rho + 6 * rho ** 3)
    h1 = _expect(theta(Sa), {Sa: Smom})
    h2 = _expect(theta(Sa) ** 2, {Sa: Smom}) + c ** 2 / psi * _expect(
        kab ** 2, {Sa: Smom, Sb: Smom, w: Wmom, w2: Wmom})
    assert sympy.expand(h[0] - h1) == 0
    assert sympy.expand(h[1] - h2) == 0


def test_error_bounds_round_up_to_floats():
    # an error bound converted to float must stay a bound: rounded up, and never to 0 below float64's range
    import mpmath
    from momentck.engine import _float_bound
    third = mpmath.mpf(1) / 3
    assert _float_bound(third) >= third and _float_bound(mpmath.mpf("1e-400")) == 5e-324
    assert _float_bound(mpmath.mpf(0)) == 0.0 and _float_bound(mpmath.mpf("0.5")) == 0.5
    # sin(beta x) at beta = 1e-100 is beta x to O(beta^2) relative; the linear model's K = W W^T with sparse(2, normal)
    # entries (E A^2 = 1, E A^4 = 3), phi = psi = 1: h_1 = c = 2, h_2 = E K_aa^2 + E sum_b K_ab^2 = (3c + c^2) + c^2
    # = 14, m_2 = h_2 + h_1^2 = 18, so m_2 = 18 beta^4 = 1.8e-399, below float64's range, with a positive bound
    res = engine.limiting_moments(Model("sparse(c=2, entries=normal)", "rademacher", "sin(scale=1e-100)"), 2, cache=False)
    assert abs(res.spectral[1] / sympy.Float("1e-400", 30) - 18) < 1e-10
    assert all(e > 0 for e in res.spectral_error)
