"""Odd activation functions f and their Taylor coefficients.

The exact engine works with the Taylor form ``f(x) = sum_r a_{2r+1} x^{2r+1}``
(MATH.md §1); the simulator evaluates f numerically.  Every activation is odd and
nonlinear; ``scale=beta`` means ``x -> f(beta x)``.

===========  ====================================  ======================  =========
name         a_{2r+1}                              radius of convergence   bounded
===========  ====================================  ======================  =========
``sin``      (-1)^r beta^{2r+1} / (2r+1)!          infinite                yes
``erf``      2/sqrt(pi) (-1)^r beta^{2r+1}/(r!(2r+1))  infinite            yes
``tanh``     2^{2n}(2^{2n}-1) B_{2n}/(2n)! beta^{2n-1}  pi/(2 beta)        yes
``atan``     (-1)^r beta^{2r+1} / (2r+1)               1/beta              yes
``poly``     as given (odd coefficients only)      polynomial              no
===========  ====================================  ======================  =========
"""

import numpy as np
import sympy

from .errors import MomentckError, SpecError
from .specs import exact_number, parse_spec, positive_number, quote
from .validation import check_int

__all__ = ["Activation", "Named", "Poly", "activation", "MAX_DEGREE"]

X = sympy.Symbol("x")
#: highest polynomial degree and Taylor order accepted (the exact engine's cost grows
#: like degree^4; far below this it already needs ``force=True``)
MAX_DEGREE = 199


def _check_degree(degree, what):
    """Refuse a degree (int or string of digits) above :data:`MAX_DEGREE`."""
    if len(str(degree)) > 5 or int(degree) > MAX_DEGREE:
        raise MomentckError(f"{what} {quote(str(degree))} is too large; allowed: at most {MAX_DEGREE}")


class Activation:
    """An odd, nonlinear activation ``f``.

    Attributes
    ----------
    name : str
    scale : sympy number (``beta`` in ``f(beta x)``)
    """

    name = "activation"
    bounded = True
    #: degree when f is a polynomial, else None
    degree = None

    def taylor(self, order):
        """Exact odd Taylor coefficients up to ``x^order``.

        Returns
        -------
        dict
            ``{p: a_p}`` for odd ``p <= order`` (sympy numbers or expressions).
        """
        order = check_int(order, "Taylor order", 1)
        _check_degree(order, "Taylor order")
        return {p: self._coefficient(p) for p in range(1, order + 1, 2)}

    @property
    def is_polynomial(self):
        return self.degree is not None

    def expr(self, x=X):
        """The activation as a sympy expression in ``x``."""
        raise NotImplementedError

    def __call__(self, x):
        """Vectorised numeric evaluation on a numpy array (float64)."""
        return self._numeric(np.asarray(x, dtype=np.float64))

    def __repr__(self):
        return f"activation({self.spec!r})"

    def __eq__(self, other):
        return isinstance(other, Activation) and other.spec == self.spec

    def __hash__(self):
        return hash(("activation", self.spec))

    @property
    def free_symbols(self):
        return set()


class Named(Activation):
    """One of ``sin``, ``erf``, ``tanh``, ``atan``, optionally scaled: ``f(beta x)``."""

    _numpy = {"sin": np.sin, "tanh": np.tanh, "atan": np.arctan}
    _sympy = {"sin": sympy.sin, "tanh": sympy.tanh, "atan": sympy.atan, "erf": sympy.erf}

    def __init__(self, name, scale=1):
        if name not in self._sympy:
            raise SpecError(f"unknown activation {quote(name)}; allowed: tanh, erf, sin, atan, poly(...)")
        self.name = name
        self.scale = positive_number(scale, f"activation {name}: scale")

    @property
    def spec(self):
        if self.scale == 1:
            return self.name
        return f"{self.name}(scale={str(self.scale).replace(' ', '')})"

    @property
    def free_symbols(self):
        return set(self.scale.free_symbols)

    @property
    def radius(self):
        """Radius of convergence of the Taylor series in x (sympy number or oo)."""
        return {"sin": sympy.oo, "erf": sympy.oo, "tanh": sympy.pi / (2 * self.scale),
                "atan": 1 / self.scale}[self.name]

    def _coefficient(self, p):
        b, r = self.scale, (p - 1) // 2
        if self.name == "sin":
            base = sympy.Integer(-1) ** r / sympy.factorial(p)
        elif self.name == "atan":
            base = sympy.Integer(-1) ** r / sympy.Integer(p)
        elif self.name == "erf":
            base = 2 / sympy.sqrt(sympy.pi) * sympy.Integer(-1) ** r / (sympy.factorial(r) * p)
        else:  # tanh, a_{2n-1} with 2n = p + 1
            n2 = p + 1
            base = sympy.Integer(2) ** n2 * (sympy.Integer(2) ** n2 - 1) * sympy.bernoulli(n2) / sympy.factorial(n2)
        return base * b ** p

    def expr(self, x=X):
        return self._sympy[self.name](self.scale * x)

    def _numeric(self, x):
        b = float(self.scale)
        if self.name == "erf":
            from scipy.special import erf
            return erf(b * x)
        return self._numpy[self.name](b * x)


class Poly(Activation):
    """Odd polynomial ``f(x) = a1 x + a3 x^3 + a5 x^5 + ...``.

    Parameters
    ----------
    coefficients : sequence
        The odd coefficients ``a1, a3, a5, ...`` (numbers kept exact, or sympy symbols).
    scale : number, optional
        ``f(beta x)``.

    Use :meth:`from_expr` to build one from a sympy polynomial, which is refused
    unless it is odd.
    """

    name = "poly"
    bounded = False

    def __init__(self, coefficients, scale=1):
        coefficients = list(coefficients)
        _check_degree(2 * len(coefficients) - 1, "poly activation: degree")
        coeffs = [exact_number(c, f"poly activation: coefficient a{2 * i + 1}")
                  for i, c in enumerate(coefficients)]
        while coeffs and coeffs[-1] == 0:
            coeffs.pop()
        if not coeffs:
            raise MomentckError("poly activation: all coefficients are zero; f must be nonlinear")
        if len(coeffs) == 1:
            raise MomentckError(
                "poly activation: f(x) = a1 x is linear; give a nonzero a3, a5, ... (f must be nonlinear)")
        self.scale = positive_number(scale, "activation poly: scale")
        self.coefficients = tuple(coeffs)
        self.degree = 2 * len(coeffs) - 1

    @classmethod
    def from_expr(cls, expr, x=X):
        """Build from a sympy polynomial in ``x``; even or mixed-parity polynomials are refused."""
        try:
            poly = sympy.Poly(sympy.sympify(expr), x)
        except sympy.PolynomialError as exc:
            raise MomentckError(f"poly activation: {expr} is not a polynomial in {x}") from exc
        terms = dict(poly.terms())
        even = sorted(e[0] for e, c in terms.items() if e[0] % 2 == 0 and c != 0)
        if even:
            raise MomentckError(
                f"poly activation must be odd: {expr} has even powers x^{even}; "
                "only x, x^3, x^5, ... are allowed")
        deg = poly.degree()
        return cls([terms.get((p,), 0) for p in range(1, deg + 1, 2)])

    @property
    def spec(self):
        inner = ", ".join(str(c).replace(" ", "") for c in self.coefficients)
        if self.scale != 1:
            inner += f", scale={str(self.scale).replace(' ', '')}"
        return f"poly({inner})"

    @property
    def free_symbols(self):
        out = set(self.scale.free_symbols)
        for c in self.coefficients:
            out |= c.free_symbols
        return out

    radius = sympy.oo

    def _coefficient(self, p):
        i = (p - 1) // 2
        return self.coefficients[i] * self.scale ** p if i < len(self.coefficients) else sympy.Integer(0)

    def expr(self, x=X):
        return sum(self._coefficient(p) * x ** p for p in range(1, self.degree + 1, 2))

    def _numeric(self, x):
        if self.free_symbols:
            raise MomentckError(f"cannot evaluate symbolic activation {self.spec} numerically")
        b = float(self.scale)
        y = b * x
        y2 = y * y
        out = np.zeros_like(y)
        for c in reversed(self.coefficients):
            out = out * y2 + float(c)
        return out * y


def activation(spec):
    """Parse an activation spec.

    Grammar: ``tanh`` | ``erf`` | ``sin`` | ``atan`` | ``poly(<a1>, <a3>, ...)``, each
    optionally with ``scale=<number>``.  ``poly`` also accepts keywords ``a1=``,
    ``a2=``, ... so that an even coefficient can be named, and is then refused.

    Examples
    --------
    >>> activation("poly(1, -1/6)").taylor(5)
    {1: 1, 3: -1/6, 5: 0}
    >>> activation("sin(scale=2)").taylor(3)
    {1: 2, 3: -4/3}
    """
    if isinstance(spec, Activation):
        return spec
    name, pos, kw = parse_spec(spec, "activation")
    scale = kw.pop("scale", "1")
    if name == "poly":
        coeffs = list(pos)
        if kw:
            if pos:
                raise SpecError(f"activation spec {quote(spec)}: give poly coefficients either "
                                "positionally (a1, a3, ...) or as a1=, a3=, ..., not both")
            powers = {}
            for key, val in kw.items():
                if not (key.startswith("a") and key[1:].isdigit()):
                    raise SpecError(f"activation spec {quote(spec)}: unknown argument {quote(key)}")
                _check_degree(key[1:], "poly activation: power")
                powers[int(key[1:])] = exact_number(val, f"poly activation: {quote(key)}")
            even = sorted(p for p, v in powers.items() if p % 2 == 0 and v != 0)
            if even:
                raise MomentckError(
                    f"poly activation must be odd: nonzero even coefficients a{even}; "
                    "only a1, a3, a5, ... are allowed")
            top = max(powers)
            coeffs = [powers.get(p, 0) for p in range(1, top + 1, 2)]
        if not coeffs:
            raise SpecError(f"activation spec {quote(spec)}: poly needs coefficients, e.g. poly(1, -1/6)")
        return Poly(coeffs, scale=exact_number(scale, "activation poly: scale"))
    if kw:
        raise SpecError(f"activation spec {quote(spec)}: {name} takes only scale=<number>")
    if pos:
        raise SpecError(f"activation spec {quote(spec)}: {name} takes only scale=<number>")
    return Named(name, scale=exact_number(scale, f"activation {name}: scale"))
