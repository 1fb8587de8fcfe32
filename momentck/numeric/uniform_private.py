"""Uniform inputs in the Fourier method: three-input absolute moments and the radial block of a
diagonal row's private input at a shared block (MATH.md §4, numeric: the Fourier method).

With U_t independent and uniform on ``[-1, 1]`` and ``p > 0``:

* :func:`uniform_abs_moment`: ``E |sum_t a_t U_t|^p`` for up to four nonzero coefficients.  The
  divided-difference form ``sum_sigma (prod sigma) F(sigma . a) / (2^n prod a_t)``,
  ``F(y) = sign(y)^n |y|^(p+n) / prod_(j<=n) (p+j)``, loses ``eps / (r_2 r_3)`` relative to the
  result (``r_t = a_t / a_1``, sorted); where that is large it is replaced by series: both small
  ratios (``r_2 <= 1/20``) by ``E phi(r_2 U_2 + r_3 U_3)``, ``phi(s) = ((1+s)^(p+1) + (1-s)^(p+1))/(2(p+1))``
  expanded in even powers; one small ratio (``r_3 < 1e-4``, ``r_3 < (1 - r_2)/100``) by the Taylor
  series of ``M(c) = E |U_1 + r_2 U_2 + c|^p`` at 0 (``M'' = ((1+r_2)^p - (1-r_2)^p)/(2 r_2)``, ``M''''``
  likewise with ``p(p-1)|y|^(p-2)``), averaged over ``c = r_3 U_3``.  Four inputs (:func:`_four`): the
  divided difference as nested centred differences ``Delta_(r_2) Delta_(r_3) Delta_(r_4) F (1)`` in long double,
  each level by its (multivariate) Taylor series where ``|z|`` exceeds 8 times its and the inner steps, directly
  (little cancellation) elsewhere: within 4.4e-16 relative of 80-digit divided differences for ratios down to 1e-12
  and next to the kinks ``1 = r_2 + r_3``.
* :class:`RadialBlock`: ``B(z) = int_0^1 s^(1+alpha) E|s z + U|^alpha ds`` (the radial integral over
  the shared pair of ``rho^(1+alpha) E_y |rho A + omega y|^alpha``, ``z = A / omega``), in closed form
  through 2F1 (p = q = 1 + alpha, ``J(x) = int_0^1 s^p (1 + s x)^q ds = 2F1(-q, p+1; p+2; -x)/(p+1)``):
  ``B(z) = (J(z) + J(-z)) / (2q)`` for ``z <= 1`` and, for ``z > 1``, ``J(-z)`` replaced by
  ``z^(-p-1) (B(p+1, q+1) - (z-1)^(q+1) 2F1(-p, q+1; q+2; 1-z) / (q+1))``; tabulated once per alpha
  (mpmath) as a piecewise Chebyshev interpolant graded towards its singular points: ``z = 1``
  (``|1 - z|^(alpha+2)``) and, in ``w = 1/z`` with ``B(z) = z^alpha b(w)``, ``w = 0``
  (``w^(2+2 alpha)``).
* :class:`GradedChebyshev`: the interpolant (20 Chebyshev points per piece; a piece as long as its
  distance to the singular point converges like ``5.8^-n``).

Examples
--------
>>> B = RadialBlock(0.7)
>>> bool(abs(B(np.array([0.0]))[0] - 1 / (2.7 * 1.7)) < 1e-15)   # B(0) = E|U|^alpha / (2 + alpha)
True
"""

from functools import lru_cache

import mpmath
import numpy as np

from ..errors import NotCovered
from .quadrature import tanh_sinh

__all__ = ["uniform_abs_moment", "RadialBlock", "PairBlock", "GradedChebyshev", "graded_pieces"]

_NODES = 20
_GRADING = 24                 # dyadic pieces towards a singular point: the last has length 2^-25


class GradedChebyshev:
    """Piecewise Chebyshev interpolant on the pieces ``edges[i] .. edges[i+1]``, from its ``values`` at
    :meth:`points` (leading dimension ``pieces * nodes``; further dimensions: several functions at once)."""

    def __init__(self, edges, values):
        self.edges = np.asarray(edges, dtype=float)
        values = np.asarray(values, dtype=float)
        values = values.reshape(len(self.edges) - 1, -1, *values.shape[1:])   # (pieces, nodes, functions...)
        n = values.shape[1]
        k = np.arange(n)
        T = np.cos(np.outer(k, np.pi * (k + 0.5) / n))      # T_j at the Chebyshev points of the first kind
        self.coef = np.moveaxis(np.tensordot(T, values, axes=(1, 1)), 0, 1) * (2 / n)
        self.coef[:, 0] /= 2

    @staticmethod
    def points(edges, nodes=_NODES):
        """The interpolation points, shape ``(pieces * nodes,)``."""
        edges = np.asarray(edges, dtype=float)
        x = np.cos(np.pi * (np.arange(nodes) + 0.5) / nodes)
        lo, hi = edges[:-1, None], edges[1:, None]
        return ((lo + hi) / 2 + (hi - lo) / 2 * x).reshape(-1)

    @classmethod
    def of(cls, f, edges):
        """The interpolant of ``f`` (called once with all points)."""
        return cls(edges, f(cls.points(edges)))

    def __call__(self, x):
        x = np.asarray(x, dtype=float)
        i = np.clip(np.searchsorted(self.edges, x, side="right") - 1, 0, len(self.edges) - 2)
        lo, hi = self.edges[i], self.edges[i + 1]
        u = (2 * x - lo - hi) / (hi - lo)
        u = u.reshape(u.shape + (1,) * (self.coef.ndim - 2))
        b1, b2 = np.zeros_like(u), np.zeros_like(u)       # Clenshaw
        for j in range(self.coef.shape[1] - 1, 0, -1):
            b1, b2 = 2 * u * b1 - b2 + self.coef[i, j], b1
        return u * b1 - b2 + self.coef[i, 0]


def graded_pieces(a, b, toward_a=True, toward_b=True, depth=_GRADING):
    """Edges of pieces of ``[a, b]`` halving towards the ends marked singular."""
    mid = (a + b) / 2
    left = [a + (mid - a) * 2.0 ** -j for j in range(depth, 0, -1)] if toward_a else []
    right = [b - (b - mid) * 2.0 ** -j for j in range(1, depth + 1)] if toward_b else []
    return [a] + left + [mid] + right + [b]


# -- three-input absolute moments ------------------------------------------------------------------
def _two(r, p):
    """``E |U_1 + r U_2|^p``, ``0 < r <= 1`` (expm1/log1p: no cancellation as r -> 0)."""
    q = p + 2
    with np.errstate(divide="ignore"):    # r = 1: log1p(-1) = -inf, expm1(-inf) = -1
        return (np.expm1(q * np.log1p(r)) - np.expm1(q * np.log1p(-r))) / (2 * r * (p + 1) * (p + 2))


def _three_direct(r2, r3, p):
    total = 0.0
    for s2 in (1.0, -1.0):
        for s3 in (1.0, -1.0):
            y = 1 + s2 * r2 + s3 * r3
            total = total + s2 * s3 * np.sign(y) * np.abs(y) ** (p + 3)
    return total / (4 * r2 * r3 * (p + 1) * (p + 2) * (p + 3))


def _three_series(r2, r3, p, terms=10):
    """``E phi(r_2 U_2 + r_3 U_3)`` by even powers (``r_2 + r_3 <= 1/10``: ``10^-2`` per term)."""
    total = np.zeros_like(r2)
    for m in range(terms):
        moment = sum(float(mpmath.binomial(2 * m, 2 * j)) * r2 ** (2 * j) * r3 ** (2 * m - 2 * j)
                     / ((2 * j + 1) * (2 * m - 2 * j + 1)) for j in range(m + 1))
        total = total + float(mpmath.binomial(p + 1, 2 * m)) * moment
    return total / (p + 1)


def _three_taylor(r2, r3, p):
    """``M(0) + M''(0) r_3^2/6 + M''''(0) r_3^4/120``, ``M(c) = E|U_1 + r_2 U_2 + c|^p``."""
    d2 = ((1 + r2) ** p - (1 - r2) ** p) / (2 * r2)
    d4 = p * (p - 1) * ((1 + r2) ** (p - 2) - (1 - r2) ** (p - 2)) / (2 * r2)
    return _two(r2, p) + d2 * r3 ** 2 / 6 + d4 * r3 ** 4 / 120


#: nested differences: a level is summed by its Taylor series where ``|z| > _RATIO * (its and the inner steps)``
#: (terms ``_RATIO^-2`` apart, ``_TERMS`` of them) and differenced directly otherwise (losing at most ~``3 _RATIO``)
_RATIO, _TERMS = 8.0, 10


def _falling(q, j):
    return float(np.prod([q - i for i in range(j)]))


def _power_derivative(z, j, q, n, c):
    """``F^(j)(z)``, ``F(x) = sign(x)^n |x|^q / c`` (long double)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _falling(q, j) * np.abs(z) ** (q - j) / c
    if q > j:    # |z|^(q - j) vanishes at 0 (the power may have produced 0 * inf there)
        out = np.where(z == 0, 0.0, out)
    return np.where(z < 0, (-1.0) ** (n + j), 1.0) * out


def _nested(z, steps, m, q, n, c):
    """``Delta_(s_1) .. Delta_(s_L) F^(m) (z)``, ``Delta_s f(z) = (f(z + s) - f(z - s)) / (2 s)``, steps ascending per
    node (the last the largest): where ``|z|`` exceeds ``_RATIO`` times their sum every level at once by the
    Taylor series ``sum_i F^(m + sum(2 i_l + 1))(z) prod_l s_l^(2 i_l)/(2 i_l + 1)!`` (``sum i_l < _TERMS``, summed
    as ``sum_k F^(m + L + 2k)(z) e_k`` with ``e_k`` the coefficients of the product of the levels' series),
    elsewhere the largest step directly (``|z +- s|`` comparable to s: little cancellation) and the rest
    recursively."""
    L = len(steps)
    if L == 0:
        return _power_derivative(z, m, q, n, c)
    taylor = np.abs(z) > _RATIO * sum(steps)
    out = np.empty_like(z)
    if np.any(taylor):
        zt, st = z[taylor], [s[taylor] for s in steps]
        # e_k = sum over |i| = k of prod_l s_l^(2 i_l)/(2 i_l + 1)!: the product of the levels' series in x = s^2
        e = [np.ones_like(zt)] + [np.zeros_like(zt) for _ in range(_TERMS - 1)]
        for s in st:
            t = [np.ones_like(zt)]
            for k in range(1, _TERMS):
                t.append(t[-1] * s * s / ((2 * k) * (2 * k + 1)))
            e = [sum(e[k - i] * t[i] for i in range(k + 1)) for k in range(_TERMS)]
        j = m + L
        d = _power_derivative(zt, j, q, n, c)     # F^(j + 2k) from F^(j + 2k - 2): the sign's parity is kept
        total = d * e[0]
        for k in range(1, _TERMS):
            d = d * ((q - j) * (q - j - 1)) / (zt * zt)
            j += 2
            total = total + d * e[k]
        out[taylor] = total
    d = ~taylor
    if np.any(d):
        zd, sd = z[d], [s[d] for s in steps]
        s = sd[-1]
        out[d] = (_nested(zd + s, sd[:-1], m, q, n, c) - _nested(zd - s, sd[:-1], m, q, n, c)) / (2 * s)
    return out


def _four(r, p):
    """``E |U_1 + r_2 U_2 + r_3 U_3 + r_4 U_4|^p`` for ``1 >= r_2 >= r_3 >= r_4 > 0`` (columns of r): the
    divided difference ``Delta_(r_2) Delta_(r_3) Delta_(r_4) F (1)``, ``F(y) = |y|^(p+4) / prod_(j<=4) (p+j)``, by
    :func:`_nested` in long double."""
    r = np.asarray(r, dtype=np.longdouble)
    c = float(np.prod([p + j for j in range(1, 5)]))
    z = np.ones(len(r), dtype=np.longdouble)
    return np.asarray(_nested(z, [r[:, 2], r[:, 1], r[:, 0]], 0, p + 4, 4, c), dtype=float)


def uniform_abs_moment(a, p):
    """``E |sum_t a_t U_t|^p`` per row of ``a`` (shape ``(N, n)``), U_t uniform on ``[-1, 1]``, at most four
    nonzero entries per row.

    Examples
    --------
    >>> v = uniform_abs_moment(np.array([[1.0, 1.0, 1.0]]), 2.0)   # E (U1 + U2 + U3)^2 = 1
    >>> bool(abs(v[0] - 1.0) < 1e-15)
    True
    """
    a = np.abs(np.asarray(a, dtype=float))
    if a.shape[1] <= 2:                         # no third input: the two-input form directly
        a = np.sort(a, axis=1)
        a1 = a[:, -1]
        if a.shape[1] == 1:
            return a1 ** p / (p + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = a[:, 0] / a1
            return np.where(r > 0, _two(r, p), 1 / (p + 1)) * a1 ** p
    a = -np.sort(-a, axis=1)
    if a.shape[1] > 4 and np.any(a[:, 4] > 0):
        raise NotCovered("uniform inputs: absolute moments of forms in more than four inputs")
    if a.shape[1] > 3 and np.any(a[:, 3] > 0):     # four inputs: nested differences (:func:`_four`)
        four = a[:, 3] > 0
        out = np.empty(len(a))
        out[four] = _four(a[four, 1:4] / a[four, :1], p) * a[four, 0] ** p
        out[~four] = uniform_abs_moment(a[~four, :3], p)
        return out
    a1 = a[:, 0]
    out = np.zeros(len(a))
    pos = a1 > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(pos, a[:, 1] / a1, 0.0)
        r3 = np.where(pos, a[:, 2] / a1, 0.0)
    r3 = np.where(r3 < 1e-15, 0.0, r3)        # below this the third input changes nothing in float64
    one = pos & (r2 == 0)
    out[one] = 1 / (p + 1)
    two = pos & (r2 > 0) & (r3 == 0)
    out[two] = _two(r2[two], p)
    three = pos & (r3 > 0)
    series = three & (r2 <= 0.05)
    taylor = three & ~series & (r3 < 1e-4) & (r3 < (1 - r2) / 100)
    direct = three & ~series & ~taylor
    out[series] = _three_series(r2[series], r3[series], p)
    out[taylor] = _three_taylor(r2[taylor], r3[taylor], p)
    out[direct] = _three_direct(r2[direct], r3[direct], p)
    return out * a1 ** p


# -- the radial block of a private uniform input ---------------------------------------------------
def _power_integral(x, p, q, signed=True):
    """``int_0^1 s^p sign(1 + s x) |1 + s x|^q ds`` (``signed=False``: without the sign) in mpmath: the 2F1 form
    ``2F1(-q, p+1; p+2; -x)/(p+1)`` for ``x >= -1``, and for ``x < -1`` (``z = -x``, split at ``s = 1/z``)
    ``z^(-p-1) (B(p+1, q+1) -+ (z-1)^(q+1) 2F1(-p, q+1; q+2; 1-z)/(q+1))`` (minus with the sign)."""
    x = mpmath.mpf(x)
    if x >= -1:
        return mpmath.hyp2f1(-q, p + 1, p + 2, -x) / (p + 1)
    z = -x
    beyond = (z - 1) ** (q + 1) * mpmath.hyp2f1(-p, q + 1, q + 2, 1 - z) / (q + 1)
    return z ** (-p - 1) * (mpmath.beta(p + 1, q + 1) - beyond if signed else mpmath.beta(p + 1, q + 1) + beyond)


def _j_exact(alpha, x, p=None):
    """``J(x) = int_0^1 s^p sign(1 + s x) |1 + s x|^q ds`` (``q = 1 + alpha``, ``p = q`` unless given):
    :func:`_power_integral`."""
    q = 1 + alpha
    return _power_integral(x, q if p is None else p, q)


def _block_exact(alpha, z, p=None):
    """``B(z) = (J(z) + J(-z)) / (2q)`` in mpmath (the 2F1 forms above; ``B_p(z) = int_0^1 s^p E|s z + U|^alpha ds``
    with another power p)."""
    return (_j_exact(alpha, z, p) + _j_exact(alpha, -mpmath.mpf(z), p)) / (2 * (1 + alpha))


class RadialBlock:
    """``B(z)`` for ``z`` of any sign (B is even), and ``omega^alpha B(A / omega)`` (:meth:`scaled`); with ``power``
    p, ``B_p(z) = int_0^1 s^p E|s z + U|^alpha ds`` (B is ``p = 1 + alpha``: the shared pair; the triangle's three
    shared inputs give ``p = 2 + 2 alpha``).  :meth:`of` builds the same kind of table (an even function of z
    kinked at |z| = 1, growing like ``|z|^alpha``) from any vectorised ``f(omega, A) = omega^alpha F(A / omega)``."""

    def __init__(self, alpha, power=None):
        self.alpha = float(alpha)
        self.near, self.far = _tables(self.alpha, power)

    @classmethod
    def of(cls, alpha, f):
        """The table of ``F`` from ``f(omega, A) = omega^alpha F(A / omega)`` (near: ``f(1, z)``, far: ``f(w, 1)``)."""
        self = cls.__new__(cls)
        self.alpha = float(alpha)
        near_edges, far_edges = _table_edges()
        self.near = GradedChebyshev.of(lambda z: f(np.ones_like(z), z), near_edges)
        self.far = GradedChebyshev.of(lambda w: f(w, np.ones_like(w)), far_edges)
        return self

    def __call__(self, z):
        z = np.abs(np.asarray(z, dtype=float))
        with np.errstate(divide="ignore"):
            far = z ** self.alpha * self.far(np.where(z > 2, 1 / np.maximum(z, 2), 0.5))
        return np.where(z <= 2, self.near(np.minimum(z, 2)), far)

    def scaled(self, omega, A):
        """``omega^alpha B(A / omega)``, ``omega > 0``, as ``|A|^alpha b(omega / |A|)`` where ``|A| > 2 omega``."""
        omega, A = np.broadcast_arrays(omega, np.abs(A))
        big = A > 2 * omega
        extra = self.near.coef.shape[2:]           # several functions tabulated at once (:meth:`of`)
        out = np.empty(A.shape + extra)
        o, x = omega[~big], A[~big]
        out[~big] = (o ** self.alpha).reshape(o.shape + (1,) * len(extra)) * self.near(x / o)
        o, x = omega[big], A[big]
        out[big] = (x ** self.alpha).reshape(x.shape + (1,) * len(extra)) * self.far(o / x)
        return out


def _table_edges():
    """The pieces of the near table (``[0, 2]``, graded towards the kink 1) and of the far one (``[0, 1/2]`` in
    ``w = 1/z``, graded towards 0)."""
    return (graded_pieces(0.0, 1.0, toward_a=False)[:-1] + graded_pieces(1.0, 2.0, toward_b=False),
            graded_pieces(0.0, 0.5, toward_b=False))


@lru_cache(maxsize=8)
def _tables(alpha, p=None):
    """The interpolants of ``B`` on ``[0, 2]`` (graded towards 1) and of ``b(w) = w^alpha B(1/w)`` on
    ``[0, 1/2]`` (graded towards 0; ``b(0) = 1/(p + alpha + 1)``)."""
    top = 1 / ((1 + alpha if p is None else p) + alpha + 1)
    with mpmath.workdps(30):
        def near(z):
            return [float(_block_exact(alpha, x, p)) for x in z]

        def far(w):
            return [float(mpmath.mpf(x) ** alpha * _block_exact(alpha, 1 / mpmath.mpf(x), p)) if x > 0
                    else top for x in w]
        edges, far_edges = _table_edges()
        return GradedChebyshev.of(near, edges), GradedChebyshev.of(far, far_edges)


# -- two private uniform inputs: B_2(z, w) ---------------------------------------------------------
#: tanh–sinh step per piece of u in the quadrature form B_2 = E_u Btilde(z, w u) (:meth:`PairBlock.by_quadrature`; the
#: pieces end at the kink u = (1 - z)/w, where Btilde is C^(alpha+2))
_USTEP = 1 / 8
#: below this w the closed form's difference over 2w is replaced (it loses ~1e-15 / w relative): by Gauss–Legendre in u with
#: ``_UNODES`` nodes where the kink is at least ``_UFAR`` half-widths away (error ``_UFAR^(-2 _UNODES)`` ~ 5e-16),
#: by the quadrature form next to it
_W0, _UNODES, _UFAR = 5e-2, 16, 3.0


class PairBlock:
    """``B_2(z, w) = int_0^1 s^(1+alpha) E|s z + U_1 + w U_2|^alpha ds`` (``0 <= w <= 1``; even in z), the radial
    integral over a shared pair of ``rho^(1+alpha) E_y|rho A + omega_1 y_1 + omega_2 y_2|^alpha`` (two private
    uniform inputs, ``z = A / omega_1``, ``w = omega_2 / omega_1``), and ``omega_1^alpha B_2`` (:meth:`scaled`).

    Closed form: ``E|y + U_1 + w U_2|^alpha`` is the divided difference
    ``(G(y+1+w) - G(y+1-w) - G(y-1+w) + G(y-1-w)) / (4w)``, ``G(y) = |y|^beta / (q beta)``, ``q = 1 + alpha``,
    ``beta = 2 + alpha``, so ``B_2 = (E(1 + w, z) - E(1 - w, z)) / (4 w q beta)`` with
    ``E(a, z) = int_0^1 s^p (|a + s z|^beta + |a - s z|^beta) ds`` (p = q), homogeneous of degree beta:
    ``a^beta e(z / a)`` for ``z <= 2a`` and ``z^beta (2/(p + beta + 1) + D(a / z))`` beyond, e and D tabulated once per
    alpha (:func:`_e_tables`; both far, the constant cancels before the difference).  The difference over 2w loses
    ``~1e-15 / w`` relative: below ``w = 0.05`` (``_W0``) the mean over u of ``Btilde(z, w u) = int_0^1 s^p E|s z + w u + U_1|^alpha ds`` instead,
    Gauss–Legendre in u where Btilde is analytic over the disc (the kink ``w u = 1 - z`` far), the quadrature form
    (:meth:`by_quadrature`) next to it."""

    def __init__(self, alpha):
        self.alpha = float(alpha)
        self.q = 1 + self.alpha
        self.near, self.plus, self.minus = _j_tables(self.alpha)
        self.e, self.D = _e_tables(self.alpha)
        self.top = 2 / (2 * self.q + 2)            # 2 / (p + beta + 1)

    def _P(self, a, y):
        """``a^q J(y / a)``, ``a >= 0`` (``|y|^q j_+-(a / |y|)`` where ``|y| > 2a``)."""
        far = np.abs(y) > 2 * a
        out = np.empty(np.shape(y))
        aa, yy = a[~far], y[~far]
        out[~far] = aa ** self.q * self.near(yy / np.where(aa > 0, aa, 1.0))    # a = y = 0 (c = +-1, z = 0): 0
        aa, yy = a[far], y[far]
        ay = np.abs(yy)
        out[far] = ay ** self.q * np.where(yy > 0, self.plus(aa / ay), -self.minus(aa / ay))
        return out

    def tilde(self, z, c):
        """``Btilde(z, c) = int_0^1 s^p E|s z + c + U|^alpha ds``, ``z >= 0``, ``|c| <= 1``."""
        z, c = np.broadcast_arrays(np.asarray(z, float), np.asarray(c, float))
        return (self._P(1 + c, z) + self._P(1 - c, -z)) / (2 * self.q)

    def _E(self, a, z):
        """``E(a, z)``, ``a >= 0``, ``z >= 0``: the near form where ``z < 2a``, the far one elsewhere."""
        far = z >= 2 * a
        out = np.empty(z.shape)
        aa = a[~far]
        out[~far] = aa ** (self.q + 1) * self.e(z[~far] / aa)
        zz, af = z[far], a[far]
        u = np.divide(af, zz, out=np.zeros_like(zz), where=zz > 0)      # a = z = 0: E = 0
        out[far] = zz ** (self.q + 1) * (self.top + self.D(u))
        return out

    def _closed(self, z, w):
        beta = self.q + 1
        both = z >= 2 * (1 + w)              # both ends far: the constant cancels exactly
        out = np.empty(z.shape)
        zb, wb = z[both], w[both]
        out[both] = zb ** beta * (self.D((1 + wb) / zb) - self.D((1 - wb) / zb))
        zn, wn = z[~both], w[~both]
        out[~both] = self._E(1 + wn, zn) - self._E(1 - wn, zn)
        return out / (4 * w * self.q * beta)

    def _gauss(self, z, w):
        u, wu = np.polynomial.legendre.leggauss(_UNODES)
        b = self.tilde(np.repeat(z, len(u)), (w[:, None] * u).reshape(-1)).reshape(len(z), len(u))
        return b @ wu / 2

    def __call__(self, z, w):
        z, w = np.broadcast_arrays(np.abs(np.asarray(z, float)), np.asarray(w, float))
        shape = z.shape
        z, w = z.reshape(-1), w.reshape(-1)
        out = np.empty(len(z))
        big = w >= _W0
        out[big] = self._closed(z[big], w[big])
        smooth = ~big & (np.abs(z - 1) >= _UFAR * w)
        out[smooth] = self._gauss(z[smooth], w[smooth])
        kink = ~big & ~smooth
        if np.any(kink):
            out[kink] = self.by_quadrature(z[kink], w[kink])
        return out.reshape(shape)

    def by_quadrature(self, z, w):
        """``B_2`` as ``E_u Btilde(z, w u)`` by tanh–sinh on the two pieces of ``[-1, 1]`` cut at the kink
        ``w u = 1 - z`` (~50 µs a value; the closed form's independent check)."""
        z, w = np.broadcast_arrays(np.abs(np.asarray(z, float)), np.asarray(w, float))
        shape = z.shape
        z, w = z.reshape(-1), w.reshape(-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            cut = np.where(w > 0, (1 - z) / w, 2.0)
        cut = np.where(np.abs(cut) < 1, cut, 0.0)
        x, xc, logw = tanh_sinh(_USTEP, T=3.5)
        wx = np.exp(logw)
        total = np.zeros(len(z))
        one = np.ones(len(z))
        for lo, hi in ((-one, cut), (cut, one)):
            u = lo[:, None] * xc + hi[:, None] * x
            b = self.tilde(np.repeat(z, len(x)), (w[:, None] * u).reshape(-1)).reshape(u.shape)
            total = total + (hi - lo) * (b @ wx)
        return (total / 2).reshape(shape)

    def scaled(self, omega1, omega2, A):
        """``omega_b^alpha B_2(A / omega_b, omega_s / omega_b)``, ``omega_b = max``, ``omega_s = min`` (both > 0)."""
        big, small = np.maximum(omega1, omega2), np.minimum(omega1, omega2)
        return big ** self.alpha * self(A / big, small / big)


@lru_cache(maxsize=8)
def _e_tables(alpha):
    """Interpolants of ``e(x) = I(x) + I(-x)`` on ``[0, 2]`` (graded towards the kink 1 from both sides) and of
    ``D(u) = u^beta e(1/u) - 2/(p + beta + 1)`` on ``[0, 1/2]`` (graded towards 0, ``D ~ u^2``), ``I`` the unsigned
    :func:`_power_integral` with ``p = 1 + alpha``, ``beta = 2 + alpha`` (D at 50 digits: its two terms cancel to
    ``u^2``)."""
    def integral(x):          # I(x) = int_0^1 s^p |1 + s x|^beta ds
        return _power_integral(x, p, beta, signed=False)

    p, beta = mpmath.mpf(1 + alpha), mpmath.mpf(2 + alpha)
    top = 2 / (p + beta + 1)
    with mpmath.workdps(50):
        def e(x):
            return [float(integral(v) + integral(-mpmath.mpf(v))) for v in x]

        def D(u):
            out = []
            for v in u:
                v = mpmath.mpf(v)
                out.append(float(v ** beta * (integral(1 / v) + integral(-1 / v)) - top) if v > 0 else 0.0)
            return out
        near_edges, far_edges = _table_edges()
        return GradedChebyshev.of(e, near_edges), GradedChebyshev.of(D, far_edges)


@lru_cache(maxsize=8)
def _j_tables(alpha):
    """Interpolants of J on ``[-2, 2]`` (graded towards -1 from both sides) and of ``j_+(w) = w^q J(1/w)``,
    ``j_-(w) = -w^q J(-1/w)`` on ``[0, 1/2]`` (graded towards 0; ``j_+-(0) = 1/(p+q+1)``)."""
    q = 1 + alpha
    with mpmath.workdps(30):
        def near(x):
            return [float(_j_exact(alpha, v)) for v in x]

        def far(sign):
            def f(w):
                return [float(sign * mpmath.mpf(v) ** q * _j_exact(alpha, sign / mpmath.mpf(v))) if v > 0
                        else 1 / (2 * q + 1) for v in w]
            return f
        edges = graded_pieces(-2.0, -1.0, toward_a=False)[:-1] + graded_pieces(-1.0, 2.0, toward_b=False)
        ends = graded_pieces(0.0, 0.5, toward_b=False)
        return (GradedChebyshev.of(near, edges), GradedChebyshev.of(far(1), ends), GradedChebyshev.of(far(-1), ends))
