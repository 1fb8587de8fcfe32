"""Sparse normal entries with normal inputs, any bounded activation, k <= 4 (MATH.md §4, numeric).

Condition on the weights.  Row a of ``sparse(c, entries=normal)`` has its incidence
weights ``w_e ~ N(0, 1)`` (intensity c each) and a rest of ``D ~ Poisson(c)`` normal
entries whose squares sum to ``S = chi^2_D`` (an atom ``e^-c`` at 0 plus a density).
Given W and normal inputs, every pre-activation is Gaussian, and for a row with one
incidence (every row of a shape with one block):

* a diagonal factor is ``E f(sqrt(w^2 + S) Z)^2``;
* an off-diagonal factor ``K(a, b)`` in the block whose column carries the shared
  input ``x`` (its own copy per factor) is ``E_x g_{S_a}(w_a x) g_{S_b}(w_b x)`` with
  ``g_S(u) = E f(u + sqrt(S) Z)``.

So a row's state is ``(S, w)`` and the weight is a sum over states and shared inputs
(one ``x`` per off-diagonal factor) of products of ``g`` and diagonal factors:

* a block whose pairs form a tree (multiplicities even) is contracted leaf by leaf
  with messages over the neighbour's states: for multiplicity 2 through
  ``Phi_a(x, y) = sum_s u_a(s) g_s(x) g_s(y)``, for larger ones through
  ``F(s, t) = E_x g_s(x) g_t(x)`` raised to the multiplicity;
* a block whose pairs form one cycle of single factors is the trace of the product
  of the rows' ``Phi`` matrices around the cycle.

The integrand is even in every incidence weight and every shared input (the parity
condition), so both run over ``[0, X]``, ``X = 8.5``, with the trapezoid rule: given
the other variables the integrand is analytic in a strip about the real axis (of half
width ``radius(f)/X``), so the rule converges exponentially; ``g_S`` and the
diagonal factors are trapezoid rules in ``Z`` with steps set by ``radius(f)/sqrt(S)``.
``S`` runs over its atom and Gauss–Legendre nodes in ``rho = sqrt(S)`` (the density
of rho, ``sum_D P(D) 2 rho^(D-1) e^(-rho^2/2)/(2^(D/2) Gamma(D/2))``, is smooth) on
``[0, L]`` with ``P(S > L^2) < 1e-17``.  Everything runs in float64 at two levels of
the rules; the error estimate is their difference plus the neglected tails and a
rounding allowance.

A row in two blocks (at k = 4: the path and the star, a centre row with one leaf per
block) has state ``(S, w, w')``; its ends in the first block see the rest
``r = S + w'^2``, so each leaf's message is needed at every ``r = S_i + w_k^2``.  As the
grids of w and x share their step h, every product ``w x`` lies on the lattice
``h^2 Z``: ``g_r`` is computed there for all r at once by one FFT of f on the lattice
and one inverse FFT per r (the multiplier ``exp(-r omega^2/2)``: the trapezoid rule
with step ``h^2`` of the Gaussian convolution, up to aliasing ``exp(-r (2 pi/h^2)^2/2)``);
for ``r < 1e-2`` the direct rule in Z (the spectral kernel then has slowly decaying
tails).  Other shapes with two blocks (k >= 5) are not covered.
"""

import mpmath
import numpy as np
from scipy.fft import irfft, next_fast_len, rfft
from scipy.special import gammaln
from scipy.stats import chi2, poisson

from ..errors import NotCovered
from ..laws import Normal
from .base import BOUNDED, WeightMethod, activation_bound, entries_are, law_is, memoized

__all__ = ["SparseNormalMethod", "SparseNormalWeights", "chi_square_mixture_rule", "reach", "z_rule"]

_X = 8.5            # shared inputs and incidence weights run over [0, X] (2 P(N > X) < 2e-17)
_TAIL = 1e-17       # neglected mass of the rest's squared norm S
_R_SPECTRAL = 1e-2  # below this variance the lattice smoothing uses the direct trapezoid rule
_LEVELS = ((40, 1.4), (52, 1.0))   # (Gauss-Legendre nodes in sqrt(S), step factor) of the two levels


def chi_square_mixture_rule(c, n):
    """``(S, P, tail)``: nodes and weights for ``S = chi^2_D``, ``D ~ Poisson(c)``.

    ``S[0] = 0`` carries the atom ``e^-c``; the others are ``n`` Gauss–Legendre nodes
    in ``rho = sqrt(S)`` on ``[0, L]``; ``tail`` bounds the neglected mass ``P(S > L^2)``.

    Examples
    --------
    >>> S, P, tail = chi_square_mixture_rule(2.0, 40)
    >>> bool(abs(P.sum() - 1) < 1e-14), bool(abs(P @ S - 2) < 1e-13)   # E S = c E A^2 = c
    (True, True)
    """
    dmax = int(c) + 1
    while poisson.sf(dmax, c) > _TAIL:
        dmax += 1
    L = float(np.sqrt(chi2.isf(_TAIL, dmax)))
    D = np.arange(1, dmax + 40)
    tail = float(poisson.sf(D[-1], c) + poisson.pmf(D, c) @ chi2.sf(L * L, D))
    t, wt = np.polynomial.legendre.leggauss(n)
    rho, wr = L * (t + 1) / 2, wt * L / 2
    logp = -c + D * np.log(c) - gammaln(D + 1)
    logd = (logp[None, :] + np.log(2) + (D[None, :] - 1) * np.log(rho)[:, None] - rho[:, None] ** 2 / 2
            - D[None, :] / 2 * np.log(2) - gammaln(D[None, :] / 2))
    return np.concatenate([[0.0], rho ** 2]), np.concatenate([[np.exp(-c)], wr * np.exp(logd).sum(1)]), tail


def z_rule(h):
    """Trapezoid nodes and weights for E over a standard normal Z, step h on [-9.5, 9.5]."""
    z = np.arange(-np.ceil(9.5 / h), np.ceil(9.5 / h) + 1) * h
    return z, h * np.exp(-z * z / 2) / np.sqrt(2 * np.pi)


def reach(f):
    """The half width of the strip about the real axis in which the trapezoid rules treat ``f`` as
    analytic: its Taylor radius (tanh, atan); entire activations (sin, erf) grow off the axis, so
    ``1.6/beta`` (their rules then reproduce rules 1.6 times finer to 1e-16)."""
    return float(f.radius) if f.radius.is_finite else 1.6 / float(f.scale)


class _Level:
    """The rules of one level: states ``(S, w)``, shared inputs ``x``, and the tables
    ``G[S, w, x] = g_S(w x)``, ``D[S, w] = E f(sqrt(w^2 + S) Z)^2``, ``D0[S] = E f(sqrt(S) Z)^2``."""

    def __init__(self, f, c, n_rest, factor):
        r = reach(f)
        self.S, PS, self.tail = chi_square_mixture_rule(c, n_rest)
        h = factor * min(0.1, r / 12)
        x = np.arange(0, _X + h / 2, h)
        p = 2 * h * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)
        p[0] /= 2
        self.x, self.px, self.w = x, p, x
        self.P = PS[:, None] * p[None, :]
        upper = np.triu_indices(len(x))                   # g_S(w x) is symmetric in (w, x): one half
        u = x[upper[0]] * x[upper[1]]
        self.G = np.empty((len(self.S), len(x), len(x)))
        self.D = np.empty((len(self.S), len(self.w)))
        self.D0 = np.empty(len(self.S))
        for i, s in enumerate(self.S):
            zs = factor * min(0.1, r / (4 * max(1.0, np.sqrt(s))))
            z, wz = z_rule(zs)
            self.G[i][upper] = f(u) if s == 0 else f(u[:, None] + np.sqrt(s) * z) @ wz
            self.G[i].T[upper] = self.G[i][upper]
            zd, wd = z_rule(factor * min(0.05, r / (8 * max(1.0, np.sqrt(s)))))    # cheap: finer
            self.D0[i] = f(np.sqrt(s) * zd) ** 2 @ wd
            zd, wd = z_rule(factor * min(0.05, r / (8 * max(1.0, np.sqrt(s + _X * _X)))))
            self.D[i] = f(np.sqrt(s + self.w[:, None] ** 2) * zd[None, :]) ** 2 @ wd
        self.PS = PS
        self.Gs = self.G.reshape(-1, len(x))           # [state, x]
        self.f, self.h, self.factor, self.reach = f, h, factor, r

    def lattice_smoothing(self, rs):
        """``g_r(n h^2)`` for ``n = 0..N`` (rows) and each ``r`` in ``rs`` (``N = (len(x) - 1)^2``; the lattice
        ``h^2 Z`` holds every product ``w x`` of the grids): the trapezoid rule with step ``h^2`` in the
        convolution with the Gaussian, whose discrete Fourier transform is ``exp(-r omega^2/2)`` up to
        aliasing ``exp(-r (2 pi/h^2)^2/2)``; one FFT of f on the lattice, one inverse per ``r``.  The
        padding ``K`` exceeds ``9.5 sqrt(r)`` for every ``r`` of the rules, so wrap-around is below 1e-19."""
        N, d = (len(self.x) - 1) ** 2, self.h * self.h
        if not hasattr(self, "_fhat"):
            K = int(np.ceil(9.5 * np.sqrt(self.S[-1] + self.x[-1] ** 2) / d))
            L = next_fast_len(N + 2 * K + 1, real=True)
            self._pad, self._len = K, L
            self._fhat = rfft(self.f((np.arange(L) - K) * d))
            self._omega2 = (2 * np.pi * np.arange(L // 2 + 1) / (L * d)) ** 2
        rs = np.asarray(rs, dtype=float)
        out = irfft(self._fhat * np.exp(-rs[:, None] * self._omega2 / 2), n=self._len)
        # the kernel is centred at index 0 (circularly): output n is the lattice point n - K
        return out[:, self._pad: self._pad + N + 1]

    def leaf_message(self, d):
        """:meth:`center_message` of a leaf with ``d`` diagonal factors (memoised)."""
        memo = self.__dict__.setdefault("_leaves", {})
        if d not in memo:
            memo[d] = self.center_message(self.phi(self.row(d)) * self.px[:, None] * self.px[None, :])
        return memo[d]

    def center_message(self, A):
        """``M[j, i, k] = sum_(x, y) A(x, y) g_r(w_j x) g_r(w_j y)``, ``r = S_i + w_k^2``: what a leaf
        (``A = px Phi px``) sends to a row in two blocks whose other incidence weight is ``w_k``."""
        n = len(self.x)
        prod = np.arange(n)[:, None] * np.arange(n)[None, :]
        M = np.empty((n, len(self.S), n))
        lattice = np.arange((n - 1) ** 2 + 1) * self.h * self.h
        for i, s in enumerate(self.S):
            rs = s + self.x ** 2
            gs = self.lattice_smoothing(rs)
            for k in np.flatnonzero(rs < _R_SPECTRAL):   # the spectral kernel has 1/m^2 tails: direct rule
                z, wz = z_rule(self.factor * min(0.1, self.reach / 4))
                gs[k] = self.f(lattice) if rs[k] == 0 else self.f(lattice[:, None] + np.sqrt(rs[k]) * z) @ wz
            for k in range(n):
                g = gs[k][prod]
                M[:, i, k] = ((g @ A) * g).sum(1)
        return M

    def row(self, d):
        """``u(s) = P(s) diag(s)^d`` over the states of a row with one incidence."""
        return (self.P * self.D ** d).ravel()

    def phi(self, u):
        """``Phi(x, y) = sum_s u(s) g_s(x) g_s(y)``."""
        return (self.Gs * u[:, None]).T @ self.Gs

    def message(self, u, m):
        """``sum_s u(s) F(s, t)^m`` over the states t of the neighbour (m even)."""
        if m == 2:
            A = self.phi(u) * self.px[:, None] * self.px[None, :]
            return np.einsum("sx,xy,sy->s", self.Gs, A, self.Gs, optimize=True)
        F = (self.Gs * self.px) @ self.Gs.T
        return u @ F ** m


def _moderate_c(law):
    return entries_are(Normal, "")[1](law) and float(law.c) <= _C_MAX


def _moderate_scale(f):
    return BOUNDED[1](f) and reach(f) >= _REACH_MIN


#: the rules' sizes grow like c (rests) and like 1/reach(f)^2 (grids): covered ranges
_C_MAX, _REACH_MIN = 16, 0.25
_MODERATE_C = (f"sparse normal (c <= {_C_MAX})", _moderate_c)
_MODERATE_SCALE = ("bounded (tanh scale <= 2 pi, atan <= 4, sin and erf <= 6.4)", _moderate_scale)


class SparseNormalMethod(WeightMethod):
    """Shared by the sparse-normal methods: ``sparse(c, entries=normal)`` weights, bounded activations,
    walks up to :attr:`kmax`, float64 rules at two levels.

    Subclasses define ``_rules(level)`` (the rules of level 0 or 1), ``_value(rules, shape, rows)``
    and ``_neglected(shape, through)`` (the probability mass the rules leave out); the error estimate is
    the change between the levels, a relative rounding allowance :attr:`rounding` and the neglected
    mass times ``c^incidences sup(f^2)^k`` (every factor is at most ``sup f^2`` in absolute value).
    """

    weights = _MODERATE_C
    activation = _MODERATE_SCALE
    kmax = None
    rounding = 1e-13

    @classmethod
    def max_k(cls, model):
        return cls.kmax

    def _setup(self):
        self.c = float(self.model.weights.c)

    def _weight(self, shape, rows, through):
        if shape.k > self.kmax:
            raise NotCovered(f"{self.name} covers walks up to k = {self.kmax}, not k = {shape.k}")
        v0, v1 = (self._value(self._rules(i), shape, rows) for i in range(2))
        B = float(activation_bound(self.model.activation, 0, 15)) ** 2
        err = (abs(v1 - v0) + self.rounding * abs(v1)
               + self.c ** len(through) * self._neglected(shape, through) * B ** shape.k)
        return mpmath.mpf(v1), mpmath.mpf(err)


class SparseNormalWeights(SparseNormalMethod):
    """Quadrature over the rows' weights and the shared inputs (sparse normal entries, normal inputs)."""

    name = "sparse-normal-gauss"
    inputs = law_is(Normal, "normal")
    accuracy = "float64 trapezoid / Gauss–Legendre rules at two levels (bounds 1e-12 to 3e-10, k ≤ 4)"
    cost = 0.8
    kmax = 4

    @memoized
    def _rules(self, i):
        return _Level(self.model.activation, self.c, *_LEVELS[i])

    def _neglected(self, shape, through):
        # P(S > L^2) per row, P(|x| > X) per shared input, P(|w| > X) per incidence
        return shape.rows * self._rules(1).tail + (len(shape.pairs) + len(through)) * 2e-17

    def _value(self, lev, shape, rows):
        if not shape.blocks:
            return float(lev.PS @ lev.D0 ** shape.diag[0])
        if len(shape.blocks) > 1:
            return self.c ** sum(deg for deg, _, _ in rows) * _two_blocks(lev, shape, rows)
        u = {a: lev.row(d) for a, (_, d, _) in enumerate(rows)}
        pairs = dict(shape.pairs)
        value = _cycle(lev, u, pairs) if all(m == 1 for m in pairs.values()) else _tree(lev, u, pairs)
        return self.c ** len(rows) * value


def _tree(lev, u, pairs):
    """Contract a block whose pairs form a tree, leaf by leaf."""
    u, pairs = dict(u), dict(pairs)
    while pairs:
        degree = {}
        for (a, b) in pairs:
            degree[a] = degree.get(a, 0) + 1
            degree[b] = degree.get(b, 0) + 1
        leaf = next((a for a in sorted(degree) if degree[a] == 1), None)
        if leaf is None:
            raise NotCovered("sparse-normal-gauss: a block whose pairs form neither a tree nor one cycle")
        (a, b), m = next(((p, m) for p, m in pairs.items() if leaf in p))
        other = b if a == leaf else a
        u[other] = u[other] * lev.message(u.pop(leaf), m)
        del pairs[(a, b)]
    (last,) = u.values()
    return float(last.sum())


def _two_blocks(lev, shape, rows):
    """A row in two blocks, each with one more row (a leaf, multiplicity 2), no diagonal factor at the
    centre: its blocks see the rests ``S + w_B'^2`` and ``S + w_B^2``, so the leaves' messages are needed at
    every ``r = S_i + w_k^2`` (:meth:`_Level.center_message`)."""
    pairs = dict(shape.pairs)
    (center,) = [a for a, (deg, _, _) in enumerate(rows) if deg == 2] or [None]
    leaves = [b if a == center else a for (a, b) in pairs]
    if (center is None or len(shape.blocks) != 2 or rows[center][1] or len(pairs) != 2
            or any(m != 2 for m in pairs.values()) or any(rows[b][0] != 1 for b in leaves)):
        raise NotCovered("sparse-normal-gauss: of the shapes with two blocks only a centre row with one "
                         "leaf per block (multiplicity 2) is covered")
    p = lev.px
    M1, M2 = (lev.leaf_message(rows[b][1]) for b in leaves)
    return float(np.einsum("i,j,k,jik,kij->", lev.PS, p, p, M1, M2, optimize=True))


def _cycle(lev, u, pairs):
    """A block whose single factors form one cycle: the trace around it."""
    nxt = {}
    for (a, b) in pairs:
        nxt.setdefault(a, []).append(b)
        nxt.setdefault(b, []).append(a)
    if any(len(v) != 2 for v in nxt.values()):
        raise NotCovered("sparse-normal-gauss: a block whose pairs form neither a tree nor one cycle")
    order, prev = [0], None
    while len(order) < len(nxt):
        step = next(b for b in nxt[order[-1]] if b != prev and b not in order[1:])
        prev = order[-1]
        order.append(step)
    M = np.eye(len(lev.x))
    for a in order:
        M = M @ (lev.phi(u[a]) * lev.px[None, :])
    return float(np.trace(M))
