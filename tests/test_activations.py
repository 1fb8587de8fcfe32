"""Activations: exact Taylor coefficients, numeric evaluation, oddness, specs."""

import math

import numpy as np
import pytest
import scipy.special
import sympy

from momentck import MomentckError, Poly, SpecError, activation
from momentck.activations import Named

x = sympy.Symbol("x")

SERIES = {
    "tanh": sympy.tanh(x), "sin": sympy.sin(x), "atan": sympy.atan(x), "erf": sympy.erf(x),
}


@pytest.mark.parametrize("name", sorted(SERIES))
@pytest.mark.parametrize("scale", [1, sympy.Rational(3, 2)])
def test_taylor_coefficients_match_sympy_series(name, scale):
    f = activation(name if scale == 1 else f"{name}(scale={scale})")
    order = 11
    series = sympy.series(SERIES[name].subs(x, scale * x), x, 0, order + 1).removeO()
    got = f.taylor(order)
    assert sorted(got) == [1, 3, 5, 7, 9, 11]
    for p, a in got.items():
        assert sympy.simplify(a - series.coeff(x, p)) == 0, (name, p)
    assert all(series.coeff(x, p) == 0 for p in range(0, order + 1, 2))


def test_tanh_coefficients_exact():
    assert activation("tanh").taylor(7) == {1: 1, 3: sympy.Rational(-1, 3), 5: sympy.Rational(2, 15),
                                            7: sympy.Rational(-17, 315)}


@pytest.mark.parametrize("spec, ref", [
    ("tanh", np.tanh), ("sin", np.sin), ("atan", np.arctan), ("erf", scipy.special.erf),
    ("tanh(scale=2)", lambda t: np.tanh(2 * t)), ("erf(scale=0.5)", lambda t: scipy.special.erf(t / 2)),
    ("poly(1, -1/6)", lambda t: t - t ** 3 / 6),
    ("poly(2, 0, 1/120, scale=3)", lambda t: 2 * (3 * t) + (3 * t) ** 5 / 120),
])
def test_numeric_evaluation(spec, ref):
    t = np.linspace(-3, 3, 101).reshape(1, -1)
    f = activation(spec)
    out = f(t)
    assert out.shape == t.shape and out.dtype == np.float64
    np.testing.assert_allclose(out, ref(t), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(f(-t), -out, rtol=0, atol=0)      # odd


@pytest.mark.parametrize("spec", ["tanh", "erf", "sin", "atan", "poly(1, -1/6)", "sin(scale=1/3)"])
def test_numeric_matches_expr(spec):
    f = activation(spec)
    g = sympy.lambdify(x, f.expr(), "mpmath")
    for t in (-1.3, 0.2, 0.7):
        assert abs(float(f(np.array([t]))[0]) - float(g(t))) < 1e-14


def test_taylor_reconstructs_poly_exactly():
    f = activation("poly(1, 0, -1/5040)")
    assert f.degree == 5 and f.is_polynomial
    assert sympy.expand(f.expr() - sum(a * x ** p for p, a in f.taylor(9).items())) == 0
    assert f.taylor(9)[7] == 0 and f.taylor(9)[9] == 0


def test_poly_decimal_and_fraction_coefficients_are_exact():
    f = activation("poly(0.5, -1/6)")
    assert f.coefficients == (sympy.Rational(1, 2), sympy.Rational(-1, 6))
    assert f.taylor(3)[3] == sympy.Rational(-1, 6)


def test_poly_symbolic_coefficients():
    a1, a3 = sympy.symbols("a1 a3")
    f = Poly([a1, a3])
    assert f.taylor(3) == {1: a1, 3: a3}
    assert f.free_symbols == {a1, a3}
    with pytest.raises(MomentckError, match="symbolic"):
        f(np.ones(3))


@pytest.mark.parametrize("spec", ["poly(a1=1, a2=1)", "poly(a2=1)", "poly(a0=1, a1=1, a3=1)", "poly(a1=1, a4=2)"])
def test_even_or_mixed_parity_poly_spec_refused(spec):
    with pytest.raises(MomentckError, match="odd"):
        activation(spec)


@pytest.mark.parametrize("expr", [x ** 2 + x, x ** 2, 1 + x ** 3, x ** 3 + x ** 4])
def test_even_or_mixed_parity_expr_refused(expr):
    with pytest.raises(MomentckError, match="odd"):
        Poly.from_expr(expr)


def test_from_expr_odd_polynomial():
    f = Poly.from_expr(x - x ** 3 / 6 + x ** 5)
    assert f.coefficients == (1, sympy.Rational(-1, 6), 1)
    with pytest.raises(MomentckError, match="not a polynomial"):
        Poly.from_expr(sympy.sin(x))


@pytest.mark.parametrize("spec, match", [
    ("poly(1)", "linear"), ("poly(0, 0)", "zero"), ("poly(a1=2)", "linear"),
    ("relu", "unknown activation"), ("softplus(scale=2)", "unknown activation"),
    ("tanh(2)", "scale"), ("tanh(beta=2)", "scale"), ("tanh(scale=0)", "> 0"), ("tanh(scale=-1)", "> 0"),
    ("poly(1, 1, 1", "malformed|unbalanced"), ("poly(1,,3)", "empty"), ("poly()", "empty"),
    ("poly", "needs coefficients"), ("poly(1, a3=2)", "either"), ("poly(b3=1)", "unknown argument"),
    ("poly(1, x)", "number"), ("", "empty"), ("tanh()", "empty"),
])
def test_bad_activation_specs(spec, match):
    with pytest.raises(ValueError, match=match):
        activation(spec)


@pytest.mark.parametrize("spec", ["tanh", "erf(scale=2)", "sin(scale=1/3)", "atan(scale=0.25)",
                                  "poly(1, -1/6)", "poly(1,0,3, scale=2)", "poly(a1=1, a3=-1/3)",
                                  " TANH ( scale = 1.5 ) "])
def test_activation_spec_round_trip(spec):
    f = activation(spec)
    assert activation(f.spec) == f
    assert activation(f.spec).spec == f.spec
    assert eval(repr(f), {"activation": activation}) == f
    assert activation(f) is f


def test_named_properties():
    assert activation("tanh").bounded and not activation("poly(1, 1)").bounded
    assert activation("tanh(scale=2)").radius == sympy.pi / 4
    assert activation("atan").radius == 1 and activation("sin").radius == sympy.oo
    assert activation("tanh").scale == 1 and activation("tanh(scale=0.5)").scale == sympy.Rational(1, 2)
    with pytest.raises(MomentckError, match="Taylor order"):
        activation("tanh").taylor(0)
    with pytest.raises(SpecError):
        Named("relu")


def test_erf_coefficients():
    # erf(x) = 2/sqrt(pi) (x - x^3/3 + x^5/10 - ...)
    c = activation("erf").taylor(5)
    s = 2 / sympy.sqrt(sympy.pi)
    assert [sympy.simplify(c[p] - v) for p, v in ((1, s), (3, -s / 3), (5, s / 10))] == [0, 0, 0]
    assert math.isclose(float(c[1]), 2 / math.sqrt(math.pi))
