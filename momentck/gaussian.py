"""The Gaussian (light-tailed) case in closed form (MATH.md §5).

With ``theta_1 = E f(z)^2`` and ``theta_2 = (E f'(z))^2``, ``z ~ N(0, 1)``, the
population law of the kernel is ``(theta_1 - theta_2) + theta_2 MP(1/psi)``:

    h_j = sum_i C(j, i) (theta_1 - theta_2)^{j-i} theta_2^i MP_i(1/psi),

and the spectral moments follow by free Poisson compression with ``gamma = phi/psi``.
This is the Pennington–Worah (2017) / Fan–Wang (2020) law, and a check on the
general engine, which must reproduce it with Lévy moments gamma_2 = 1, gamma_p = 0.

References
----------
J. Pennington, P. Worah, "Nonlinear random matrix theory for deep learning", NeurIPS 2017.
Z. Fan, Z. Wang, "Spectra of the conjugate kernel and neural tangent kernel for
linear-width neural networks", NeurIPS 2020.
"""

import mpmath
import sympy

from .activations import Activation, Named, Poly
from .compression import free_poisson_moments, marchenko_pastur_moment
from .errors import MomentckError

__all__ = ["gaussian_thetas", "gaussian_kernel_moments", "gaussian_moments", "series_in_inverse"]


def _gauss_moment(p):
    return sympy.Integer(0) if p % 2 else sympy.factorial2(p - 1) if p else sympy.Integer(1)


def gaussian_thetas(f, digits=30):
    """``(theta_1, theta_2)`` for an activation, exact where possible.

    Polynomials give exact values (Gaussian moments); ``sin`` and ``erf`` have
    closed forms; ``tanh`` and ``atan`` are integrated numerically with mpmath at
    ``digits`` significant digits (returned as sympy Floats).

    Examples
    --------
    >>> from momentck.activations import activation
    >>> gaussian_thetas(activation("poly(1, -1/6)"))
    (5/12, 1/4)
    >>> gaussian_thetas(activation("sin"))
    (1/2 - exp(-2)/2, exp(-1))
    """
    if not isinstance(f, Activation):
        raise MomentckError(f"expected an Activation, got {f!r}")
    if isinstance(f, Poly):
        x = sympy.Symbol("x")
        e = sympy.Poly(sympy.expand(f.expr(x) ** 2), x)
        d = sympy.Poly(sympy.diff(f.expr(x), x), x)
        t1 = sum(c * _gauss_moment(m[0]) for m, c in e.terms())
        t2 = sum(c * _gauss_moment(m[0]) for m, c in d.terms()) ** 2
        return sympy.expand(t1), sympy.expand(t2)
    b = f.scale
    if isinstance(f, Named) and f.name == "sin":
        return (1 - sympy.exp(-2 * b ** 2)) / 2, b ** 2 * sympy.exp(-b ** 2)
    if isinstance(f, Named) and f.name == "erf":
        return (2 / sympy.pi * sympy.asin(2 * b ** 2 / (1 + 2 * b ** 2)),
                4 * b ** 2 / (sympy.pi * (1 + 2 * b ** 2)))
    if f.free_symbols:
        raise MomentckError(f"theta_1, theta_2 of {f.spec} need a numeric scale")
    with mpmath.workdps(digits + 10):
        bb = mpmath.mpf(sympy.N(b, digits + 10))
        g = {"tanh": mpmath.tanh, "atan": mpmath.atan}[f.name]
        dg = {"tanh": lambda u: 1 / mpmath.cosh(u) ** 2, "atan": lambda u: 1 / (1 + u * u)}[f.name]
        w = lambda z: mpmath.exp(-z * z / 2) / mpmath.sqrt(2 * mpmath.pi)  # noqa: E731
        t1 = mpmath.quad(lambda z: g(bb * z) ** 2 * w(z), [-mpmath.inf, 0, mpmath.inf])
        e1 = mpmath.quad(lambda z: bb * dg(bb * z) * w(z), [-mpmath.inf, 0, mpmath.inf])
        return sympy.Float(t1, digits), sympy.Float(e1 ** 2, digits)


def gaussian_kernel_moments(theta1, theta2, psi, k):
    """``[h_1, ..., h_k]`` of the Gaussian case from ``theta_1, theta_2`` and ``psi``.

    Examples
    --------
    >>> t1, t2, psi = sympy.symbols("theta1 theta2 psi")
    >>> gaussian_kernel_moments(t1, t2, psi, 2)[1]
    theta1**2 + theta2**2/psi
    """
    out = []
    for j in range(1, k + 1):
        hj = sum(sympy.binomial(j, i) * (theta1 - theta2) ** (j - i) * theta2 ** i
                 * marchenko_pastur_moment(i, 1 / psi) for i in range(j + 1))
        out.append(sympy.expand(hj))
    return out


def gaussian_moments(model, k):
    """``(h, m)``: kernel and spectral moments of a model with Gaussian weights (closed form)."""
    t1, t2 = gaussian_thetas(model.activation)
    h = gaussian_kernel_moments(t1, t2, model.psi, k)
    return h, free_poisson_moments(h, model.gamma)


def series_in_inverse(exprs, c, t):
    """Each expression, a polynomial in ``t = 1/c``, as a :class:`sympy.Poly` in ``t``.

    Sparse(c) weights with entries scaled by ``c^{-1/2}`` give moments that are
    polynomials in ``1/c`` (MATH.md §5): the constant term is the Gaussian-weight law,
    the ``t`` coefficient the ``O(1/c)`` correction.

    Examples
    --------
    >>> c, t = sympy.symbols("c t", positive=True)
    >>> series_in_inverse([(c + 2) / c, 3 - 1 / c ** 2], c, t)
    [Poly(2*t + 1, t, domain='ZZ'), Poly(-t**2 + 3, t, domain='ZZ')]
    >>> series_in_inverse([c], c, t)
    Traceback (most recent call last):
    ...
    momentck.errors.MomentckError: c is not a polynomial in 1/c
    """
    out = []
    for expr in exprs:
        poly = sympy.expand(sympy.cancel(sympy.sympify(expr).subs(c, 1 / t)))
        if not poly.is_polynomial(t):
            raise MomentckError(f"{expr} is not a polynomial in 1/{c}")
        out.append(sympy.Poly(poly, t))
    return out
