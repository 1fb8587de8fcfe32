"""Weights of any symmetric weight law given by its Lévy exponent, any bounded odd activation with a
sine representation, conditioning on the inputs (MATH.md §4, numeric: the Fourier method).

Generalises :mod:`.stable_inputs` (sin, stable weights) in two ways.  Condition on every input
copy ``x^(t)`` (one per factor t); rows are then independent.

* **Activations**: each occurrence ("end") of f at row a is ``f(h) = int sin(xi h) mu(d xi)``
  with its own frequency, and a diagonal factor is ``f(h)^2 = int (1 - cos(omega h)) sigma(d omega)``
  (:mod:`.sine_measures`).  Expanding, row a carries ``e^{i sum_j W_aj (c_a . x_j)}`` with a real
  vector ``c_a`` over its factors: an off-diagonal end gives ``c_t = eps xi`` with weight ``eps``
  (and ``1/(2i)``), a diagonal factor ``c_t`` in ``{0: 1, omega: -1/2, -omega: -1/2}``.
* **Weights**, through ``Psi(u) = int nu(dw) (1 - cos wu)``: the unvisited columns give
  ``exp(-E_x Psi(c_a . x))`` (fresh inputs), an incidence of row a with block e gives
  ``-Psi(c_a . x_e)`` (the integrand vanishes when an incidence weight is 0, so
  ``e^{iwu}`` may be replaced by ``e^{iwu} - 1``).  Stable: ``Psi(u) = |u|^alpha``;
  ``sparse(c, entries=A)``: ``Psi(u) = c (1 - phi_A(u))``.

Hence, with P off-diagonal factors, ``w(S) = (-1/4)^P E_shared prod_a R_a`` and

    R_a = int prod_{ends at a} mu  sum_options wt exp(-E Psi(c_a . x)) prod_{e in a} (-E_priv Psi(c_a . x_e)),

the frequencies of row a entering only R_a (so the integrals are per row, dimension = the
row's slots: one per diagonal factor, one per off-diagonal end).  The shared inputs are
those of the off-diagonal factors through a block; the others are private to the row.

* Rademacher inputs: the sign of a shared input is absorbed into ``eps`` (each shared input
  belongs to two rows), so ``w(S) = (-1/4)^P prod_a R_a(x = 1)``; private inputs are sign sums.
* Normal and uniform inputs, stable weights: the single-row shapes need only the rest;
  the two-row block of m_2 shares ``x = rho (cos theta, sin theta)`` and, Psi being
  homogeneous, ``R_a = rho^alpha R_a(theta)``: the radial part is closed form
  (normal: ``E rho^(2 alpha) = 2^alpha Gamma(1 + alpha)``; uniform on the square:
  ``int_0^rho_max rho^(2 alpha + 1) d rho``) and theta is integrated by tanh–sinh on
  ``[0, pi/4]``, ``[pi/4, pi/2]``.  Sparse weights (Psi not homogeneous): ``E R_0(x) R_1(x)``
  over the two shared inputs by a tensor rule (normal: the double-exponential rule with the
  Gaussian density, since R_a is only strip-analytic and Gauss–Hermite converges slowly;
  uniform: Gauss–Legendre; at k = 3 every single block, over its D shared inputs, a private uniform
  input at the block through ``E_y Psi(A + B y)`` in closed form, the rows' nodes and rests kept).
  At k = 3 with normal or uniform inputs (stable weights) the blocks go through :mod:`.fourier_shared` (facet coordinates, the radial integral inside a diagonal row's block
  factor; uniform: :mod:`.uniform_private`, which also gives the three-input rests).  From k = 2 on, with stable
  weights and normal inputs, the shapes go to :mod:`.gauss_mixture` (conditioning on the weights: faster and
  tighter; :attr:`FourierWeights.mixture_from_k`), the frequency rules' blocks staying as its check.

A diagonal factor's option ``c_t = 0`` leaves its frequency only in sigma, so a row is a sum over
the sets of diagonal slots switched off (each ``mass(sigma)^size`` times an integral over the
others), and in each term every form has all its active coefficients nonzero.  The frequency
integrals use :mod:`.frequency_rules` (cells cut along the kinks of ``|u|^alpha``, ``s . xi = 0``
with ``s`` in ``{-1, 1}^n`` (up to four active slots: 3-simplex cells, :mod:`.polytopes`), over one
fundamental domain of the row's slot symmetries).  Smooth exponents (sparse weights) use the same
cells: ``Psi(r s . v)`` changes on the scale ``|s . v| ~ 1/r`` about those planes (a ridge of
``e^{-u^2/2}``, the oscillation of ``cos u``), which the cells' tanh–sinh nodes resolve; without the
cuts the two levels differ by 1e-4.  Psi is bounded, so ``exp(-E Psi)`` does not decay in r and the
radial top is the densities' alone (as for stable weights); at 0, ``Psi ~ u^2``.  Their nodes with
``|weight x densities| < 1e-22`` (about half: the densities' tails, the rules' ends) are dropped, the
dropped weight times ``(sign options) (sup Psi)^blocks`` added to the error.  The error is an
estimate: the difference between two quadrature levels (steps h and h/2 in every rule; sparse
weights' four-slot simplex rules 1/6 and 1/7, whose values agree with 1/8 and 1/10 to 2e-12) plus a
float64 roundoff allowance.  For sin the measures are atoms and the method reduces to
:mod:`.stable_inputs` (a test).
"""

from collections import Counter
from itertools import chain, combinations, product
from math import gamma, pi, sqrt

import mpmath
import numpy as np
import sympy
from scipy import special

from .._blas import blas_threads
from ..errors import NotCovered
from ..laws import Normal, Rademacher, Sparse, Stable, Uniform
from .base import WeightMethod, any_of, law_is, memoized, named
from .fourier_shared import SharedInputs, sign_options
from .gauss_mixture import GaussMixture
from .frequency_rules import radial_rule, simplex_rule, symmetric_domain, symmetries
from .quadrature import tanh_sinh
from .sine_measures import SineMeasure
from .uniform_private import uniform_abs_moment

__all__ = ["FourierWeights", "LEVY_EXPONENTS"]

_STEPS = (1 / 5, 1 / 10)      # simplex (tanh–sinh) steps of the two levels
_STEPS4 = (1 / 5, 1 / 10)     # the same on the 3-simplex (four active slots)
_RSTEPS4 = (1 / 5, 1 / 10)    # radial steps with four active slots
_RSTEPS = (1 / 8, 1 / 16)     # radial steps
_ASTEPS = (1 / 4, 1 / 8)      # angular (tanh–sinh) steps
_SSTEPS = (1 / 6, 1 / 12)     # simplex steps, smooth exponents (sparse weights; erf: 1/5 left 3e-9)
_SSTEPS4 = (1 / 6, 1 / 7)     # the same with four active slots (1/5 left 4e-9; at 1/6 the value is within 2e-12)
_SRSTEPS4 = (1 / 6, 1 / 12)   # radial steps with four active slots, smooth exponents
_XSTEPS = (1 / 6, 1 / 12)     # double-exponential steps per shared normal input (sparse weights)
_GAUSS = (12, 24)             # Gauss–Legendre nodes per shared uniform input (sparse weights)
_GAUSS3 = (12, 16)            # the same beyond k = 2 (rows with three and four slots: the frequency rules dominate)
_CHUNK = 50_000               # frequency nodes per vectorised pass (small: no page faults per pass)
_DROP = 1e-22                 # |weight x densities| below which a node is dropped (smooth exponents; bounded)
_ROUNDOFF = 4e-15             # roundoff per unit of a row's int |integrand| (a few dozen roundings of 1.1e-16)


# -- Lévy exponents Psi(u) = int nu(dw) (1 - cos wu) ---------------------------------------------------
class StableExponent:
    """``Psi(u) = |u|^alpha`` (E e^{iuw} = e^{-|u|^alpha})."""

    smooth = False

    def __init__(self, law):
        self.alpha = float(law.alpha)
        self.degree = self.alpha
        #: Psi(u) ~ |u|^small at 0; Psi is unbounded
        self.small, self.sup = self.alpha, np.inf

    def psi(self, u):
        return np.abs(u) ** self.alpha

    def normal_mean(self, s):
        """``E Psi(s Z)``, Z standard normal."""
        a = self.alpha
        return s ** a * 2 ** (a / 2) * gamma((a + 1) / 2) / sqrt(pi)

    def uniform_mean(self, C):
        """``E Psi(C . x)`` over x uniform on ``[-sqrt 3, sqrt 3]``, at most three nonzero columns of C
        (:func:`.uniform_private.uniform_abs_moment`)."""
        return uniform_abs_moment(np.asarray(C) * sqrt(3), self.alpha)


class SparseExponent:
    """``Psi(u) = c (1 - phi_A(u))``: normal entries ``c (1 - e^{-u^2/2})``, rademacher ``c (1 - cos u)``."""

    smooth = True
    degree = None
    #: Psi(u) ~ u^2 at 0
    small = 2.0

    def __init__(self, law):
        self.c = float(law.c)
        self.normal = isinstance(law.entries, Normal)
        #: sup Psi
        self.sup = self.c if self.normal else 2 * self.c

    def psi(self, u):
        return self.c * (-np.expm1(-u * u / 2) if self.normal else 2 * np.sin(u / 2) ** 2)

    def normal_mean(self, s):
        """``E Psi(s Z)``: ``c (1 - (1 + s^2)^(-1/2))`` (normal entries), ``c (1 - e^{-s^2/2})`` (rademacher)."""
        if self.normal:
            return self.c * -np.expm1(-0.5 * np.log1p(s * s))
        return self.c * -np.expm1(-s * s / 2)

    def uniform_mean(self, C):
        """``E Psi(C . x)``, x uniform on ``[-sqrt 3, sqrt 3]``: ``c (1 - E_A prod_t sinc(sqrt 3 A C_t))``;
        rademacher entries A = 1; normal entries at most four nonzero columns (:func:`_normal_sinc_mean`,
        :func:`_normal_sinc_mean3`, :func:`_normal_sinc_mean4`)."""
        if not self.normal:
            return self.c * (1 - np.prod(np.sinc(np.sqrt(3) * C / np.pi), axis=1))
        a = np.sort(np.abs(C) * sqrt(3), axis=1)[:, ::-1]
        if a.shape[1] > 4 and np.any(a[:, 4] > 0):
            raise NotCovered("the Fourier method with sparse normal entries and uniform inputs: at most four "
                             "inputs per form")
        if a.shape[1] > 3 and np.any(a[:, 3] > 0):
            return self.c * (1 - _normal_sinc_mean4(a[:, 0], a[:, 1], a[:, 2], a[:, 3]))
        if a.shape[1] > 2 and np.any(a[:, 2] > 0):
            return self.c * (1 - _normal_sinc_mean3(a[:, 0], a[:, 1], a[:, 2]))
        return self.c * (1 - _normal_sinc_mean(a[:, 0], a[:, 1] if a.shape[1] > 1 else np.zeros(len(a))))

    def uniform_offset_mean(self, A, B):
        """``E_y Psi(A + B . y)``, y uniform on ``[-sqrt 3, sqrt 3]`` (the private inputs at a block, one or two
        columns of B): rademacher entries ``c (1 - cos A prod sinc(sqrt 3 B_t))``, normal ``c (1 - F(A; sqrt 3 B))``
        (:func:`_box_gauss`, :func:`_box2_gauss`)."""
        B = np.abs(B) * sqrt(3)    # (N, private inputs)
        if not self.normal:
            return self.c * (1 - np.cos(A) * np.prod(np.sinc(B / np.pi), axis=1))
        if B.shape[1] == 1:
            return self.c * (1 - _box_gauss(A, B[:, 0]))
        if B.shape[1] > 2:
            raise NotCovered("the Fourier method with sparse normal entries: at most two private inputs at a block")
        return self.c * (1 - _box2_gauss(A, B.max(axis=1), B.min(axis=1)))


def _G(y):
    """``int_0^y int_0^z e^{-u^2/2} du dz``."""
    return y * sqrt(pi / 2) * special.erf(y / sqrt(2)) + np.expm1(-y * y / 2)


def _normal_sinc_mean(a, b):
    """``E sinc(aA) sinc(bA)``, A standard normal, ``a >= b >= 0``: ``(G(a+b) - G(a-b)) / (2ab)`` (from
    ``sinc(y) = int_0^1 cos(ys) ds``), with Taylor forms where it would cancel (``b << a``: the odd
    derivatives of G at a; both small: the moments of A)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = (_G(a + b) - _G(a - b)) / (2 * a * b)
        e = np.exp(-a * a / 2)
        g1 = sqrt(pi / 2) * special.erf(a / sqrt(2))
        thin = (g1 - b * b * a * e / 6 + b ** 4 * (3 * a - a ** 3) * e / 120) / a
        a2, b2 = a * a, b * b
        small = 1 - (a2 + b2) / 6 + (a2 * a2 + b2 * b2) / 40 + a2 * b2 / 12
    return np.where(a < 1e-3, small, np.where(b < 1e-3 * a, thin, exact))


def _erf_diff(p, q):
    """``erf(q) - erf(p)`` for ``q >= p`` without cancellation in the tails (erfc on the same side); each
    element's two function values only (this is most of the sparse normal block factors' time)."""
    p, q = np.broadcast_arrays(np.asarray(p, float), np.asarray(q, float))
    out = np.empty(p.shape)
    right = p > 0
    left = ~right & (q < 0)
    mid = ~right & ~left
    out[right] = special.erfc(p[right]) - special.erfc(q[right])
    out[left] = special.erfc(-q[left]) - special.erfc(-p[left])
    out[mid] = special.erf(q[mid]) - special.erf(p[mid])
    return out


def _box_gauss(s, a):
    """``F_1(s; a) = E_U e^{-(s + a U)^2/2}``, U uniform on ``[-1, 1]``, ``a >= 0``:
    ``sqrt(pi/2) (erf((s+a)/sqrt 2) - erf((s-a)/sqrt 2)) / (2a)``, and where ``a < 10^-2`` (the difference
    cancels) ``g + a^2 g''/6 + a^4 g''''/120``, ``g = e^{-s^2/2}`` (truncation ~ a^6/5040); each branch evaluated
    on its own elements only."""
    s, a = np.broadcast_arrays(np.asarray(s, float), np.asarray(a, float))
    out = np.empty(s.shape)
    thin = a < 1e-2
    st, at = s[thin], a[thin]
    s2, a2 = st * st, at * at
    out[thin] = np.exp(-s2 / 2) * (1 + a2 * (s2 - 1) / 6 + a2 * a2 * (s2 * s2 - 6 * s2 + 3) / 120)
    se, ae = s[~thin], a[~thin]
    out[~thin] = sqrt(pi / 2) * _erf_diff((se - ae) / sqrt(2), (se + ae) / sqrt(2)) / (2 * ae)
    return out


def _box2_gauss(s, a, b):
    """``F_2(s; a, b) = E e^{-(s + a U_1 + b U_2)^2/2}``, ``a >= b >= 0``: the second divided difference of
    ``G`` (:func:`_G`), and where ``b < 10^-2`` the Taylor form ``F_1 + b^2 F_1''/6 + b^4 F_1''''/120`` in b
    (``F_1^(m)(s; a)``: divided differences of the Gaussian's derivatives; both small: the moments); each branch
    evaluated on its own elements only."""
    s, a, b = np.broadcast_arrays(*(np.asarray(v, float) for v in (s, a, b)))
    out = np.empty(s.shape)
    both = a < 1e-2
    thin = ~both & (b < 1e-2)
    exact = ~both & ~thin
    S, A, B = s[exact], a[exact], b[exact]
    with np.errstate(divide="ignore", invalid="ignore"):
        out[exact] = (_G(S + A + B) - _G(S + A - B) - _G(S - A + B) + _G(S - A - B)) / (4 * A * B)
    S, A, B = s[both], a[both], b[both]
    s2, a2, b2 = S * S, A * A, B * B
    g = np.exp(-s2 / 2)
    g2, g4 = (s2 - 1) * g, (s2 * s2 - 6 * s2 + 3) * g
    out[both] = g + (a2 + b2) * g2 / 6 + (a2 * a2 + b2 * b2) * g4 / 120 + a2 * b2 * g4 / 36
    S, A, B = s[thin], a[thin], b[thin]    # a >= 10^-2: F_1'' and F_1'''' as divided differences of g', g'''

    def d(m, y):   # the (m-1)-th derivative of e^{-y^2/2}, m = 2, 4 (g', g''')
        e = np.exp(-y * y / 2)
        return -y * e if m == 2 else -(y ** 3 - 3 * y) * e

    f2, f4 = ((d(m, S + A) - d(m, S - A)) / (2 * A) for m in (2, 4))
    b2 = B * B
    out[thin] = _box_gauss(S, A) + b2 * f2 / 6 + b2 * b2 * f4 / 120
    return out


def _G3(y):
    """``int_0^y int int e^{-u^2/2}``: ``(y^2 + 1)/2 sqrt(pi/2) erf(y/sqrt 2) + y e^{-y^2/2}/2`` (``G3' = G``
    up to a constant, which the divided differences cancel)."""
    return (y * y + 1) / 2 * sqrt(pi / 2) * special.erf(y / sqrt(2)) + y * np.exp(-y * y / 2) / 2


#: Gauss–Legendre nodes over the smallest of three uniform columns where it is below 1 (F_2 is analytic in
#: its offset with a strip of width ~1 whatever a, b: 16 nodes leave < 1e-16)
_GL3 = np.polynomial.legendre.leggauss(16)


def _normal_sinc_mean3(a, b, c):
    """``E sinc(aA) sinc(bA) sinc(cA)``, A standard normal, ``a >= b >= c >= 0``: ``E e^{-S^2/2}``,
    ``S = aU_1 + bU_2 + cU_3``, that is :func:`_box3_gauss` at offset 0 (roundoff of its divided difference
    ~ 1e-16 (a+b+c)^2/(abc) < 1e-16 * 9a)."""
    return _box3_gauss(np.zeros(len(a)), a, b, c)


def _G4(y):
    """``G4' = G3`` (:func:`_G3`): ``(y^3 + 3y)/6 sqrt(pi/2) erf(y/sqrt 2) + (y^2 + 2)/6 e^{-y^2/2}``."""
    return (y ** 3 + 3 * y) / 6 * sqrt(pi / 2) * special.erf(y / sqrt(2)) + (y * y + 2) / 6 * np.exp(-y * y / 2)


def _box3_gauss(s, a, b, c):
    """``F_3(s; a, b, c) = E e^{-(s + a U_1 + b U_2 + c U_3)^2/2}``, ``a >= b >= c >= 0``: where ``c >= 1`` the third
    divided difference of :func:`_G3` at offset s, otherwise Gauss–Legendre over U_3 of :func:`_box2_gauss`."""
    s, a, b, c = np.broadcast_arrays(*(np.asarray(v, float) for v in (s, a, b, c)))
    out = np.empty(s.shape)
    big = c >= 1
    if np.any(big):
        S, A, B, C = s[big], a[big], b[big], c[big]
        tot = 0.0
        for sa, sb, sc in product((1.0, -1.0), repeat=3):
            tot = tot + sa * sb * sc * _G3(S + sa * A + sb * B + sc * C)
        out[big] = tot / (8 * A * B * C)
    small = ~big
    if np.any(small):
        S, A, B, C = s[small], a[small], b[small], c[small]
        x, w = _GL3
        out[small] = sum(wi / 2 * _box2_gauss(S + C * xi, A, B) for xi, wi in zip(x, w))
    return out


def _normal_sinc_mean4(a, b, c, d):
    """``E prod_t sinc(a_t A)`` over four columns, ``a >= b >= c >= d >= 0``: where ``d >= 1`` the fourth divided
    difference of :func:`_G4` (roundoff ~ 1e-16 (a+b+c+d)^3/(abcd) < 1e-16 a^2), otherwise Gauss–Legendre over
    U_4 of :func:`_box3_gauss`."""
    out = np.empty(len(a))
    big = d >= 1
    if np.any(big):
        A, B, C, D = a[big], b[big], c[big], d[big]
        tot = 0.0
        for sb, sc, sd in product((1.0, -1.0), repeat=3):
            y = sb * B + sc * C + sd * D
            tot = tot + sb * sc * sd * (_G4(A + y) - _G4(-A + y))
        out[big] = tot / (16 * A * B * C * D)
    small = ~big
    if np.any(small):
        A, B, C, D = a[small], b[small], c[small], d[small]
        x, w = _GL3
        out[small] = sum(wi / 2 * _box3_gauss(D * xi, A, B, C) for xi, wi in zip(x, w))
    return out


#: Lévy exponent classes by weight-law class
LEVY_EXPONENTS = {Stable: StableExponent, Sparse: SparseExponent}


# -- E Psi(C . x) over fresh inputs, by input law ------------------------------------------------------
def _rademacher_mean(exponent, C, offset=None):
    """``E Psi(offset + C . s)`` over signs s (half of them when there is no offset)."""
    n = C.shape[1]
    if n == 0:
        return exponent.psi(offset)
    total = 0.0
    half = offset is None
    for signs in product((1.0, -1.0), repeat=n - half):
        s = np.array(((1.0,) if half else ()) + signs)
        total = total + exponent.psi((0.0 if half else offset) + C @ s)
    return total / 2 ** (n - half)


def _normal_mean(exponent, C):
    return exponent.normal_mean(np.sqrt(np.sum(C * C, axis=1)))


def _uniform_mean(exponent, C):
    return exponent.uniform_mean(C)


_REST_MEANS = {Rademacher: _rademacher_mean, Normal: _normal_mean, Uniform: _uniform_mean}


# -- shapes as rows of slots ------------------------------------------------------------------------------
def _rows(shape):
    """Per row ``(kinds, blocks)``: kinds ``'d'``/``'o'`` per slot (diagonal factor, off-diagonal end);
    blocks ``((shared slots with their factor), private slots)`` per block of the row."""
    block_of = shape.pair_blocks
    slots = [[] for _ in range(shape.rows)]
    t = 0
    for a, n in enumerate(shape.diag):
        for _ in range(n):
            slots[a].append(("d", t, None))
            t += 1
    for (a, b), m in shape.pairs:
        for _ in range(m):
            slots[a].append(("o", t, block_of[(a, b)]))
            slots[b].append(("o", t, block_of[(a, b)]))
            t += 1
    rows = []
    for a in range(shape.rows):
        kinds = tuple(k for k, _, _ in slots[a])
        blocks = []
        for j, block in enumerate(shape.blocks):
            if a in block:
                shared = tuple((i, t) for i, (_, t, e) in enumerate(slots[a]) if e == j)
                private = tuple(i for i, (_, _, e) in enumerate(slots[a]) if e != j)
                blocks.append((shared, private))
        rows.append((kinds, tuple(blocks)))
    return rows


def _local_rows(rows, values):
    """``[(kinds, blocks, own values)]``: each row with its shared factors renumbered in order of appearance, so
    that equal rows of different shapes have equal keys (and share :meth:`FourierWeights._row`'s memo)."""
    values = dict(values)
    out = []
    for kinds, blocks in rows:
        local = {}
        for shared, _ in blocks:
            for _, t in shared:
                local.setdefault(t, len(local))
        blocks = tuple((tuple((i, local[t]) for i, t in shared), private) for shared, private in blocks)
        out.append((kinds, blocks, tuple((local[t], values[t]) for t in local)))
    return out


def _steps(n, smooth):
    """``(simplex steps, radial steps)`` of the two levels for n active slots."""
    if n == 4:
        return (_SSTEPS4, _SRSTEPS4) if smooth else (_STEPS4, _RSTEPS4)
    return (_SSTEPS if smooth else _STEPS), _RSTEPS


def _kink_cuts(n):
    """The kink hyperplanes ``s . xi = 0`` of forms with all n coefficients nonzero that meet the open
    orthant: s in {-1, 1}^n with mixed signs, up to sign."""
    return tuple(s for s in product((1, -1), repeat=n) if s[0] > 0 and min(s) < 0)


def _restrict(kinds, blocks, extra_cuts, keep):
    """A row's slots ``keep`` only (the others switched off): kinds, blocks and cuts renumbered."""
    new = {i: j for j, i in enumerate(keep)}
    blocks = tuple((tuple((new[i], t) for i, t in shared), tuple(new[i] for i in private if i in new))
                   for shared, private in blocks)
    return (tuple(kinds[i] for i in keep), blocks, tuple(tuple(c[i] for i in keep) for c in extra_cuts))


def _invariant(kinds, blocks, values, g):
    """Whether relabelling the slots by ``g`` leaves a row's integrand unchanged."""
    if any(kinds[g[i]] != kinds[i] for i in range(len(kinds))):
        return False

    def key(gi):
        return Counter((frozenset((gi[i], values[t]) for i, t in shared), frozenset(gi[i] for i in private))
                       for shared, private in blocks)
    return key(g) == key(range(len(kinds)))


class _Forms:
    """``Psi(F @ c)`` at the nodes F, computed once per coefficient vector c (up to sign: Psi is even);
    the forms of a row repeat across its sign choices.  With ``polar = (r, v)`` (a kinked, homogeneous
    exponent; F's nodes are ``r x v``, radial-major, :meth:`FourierWeights._nodes`) ``Psi(r v . c) =
    r^alpha Psi(v . c)`` is evaluated once per simplex node v: the power is most of a rademacher row's
    time (35 of 83 s of stable(3/2) x rademacher x tanh at k = 4, serial)."""

    def __init__(self, exponent, F, polar=None):
        self.exponent, self.polar = exponent, polar
        self.FT = np.ascontiguousarray((F if polar is None else polar[1]).T)   # (n, N): fast products
        if polar is not None:
            self.radial = polar[0] ** exponent.degree
        self.psis, self.means, self.exps, self.keys = {}, {}, {}, {}

    def _key(self, c):
        raw = c.tobytes()
        key = self.keys.get(raw)
        if key is None:
            nz = c[np.nonzero(c)[0][0]] if np.any(c) else 1.0
            key = self.keys[raw] = tuple(c if nz > 0 else -c)
        return key

    def psi(self, c):
        key = self._key(c)
        if key not in self.psis:
            u = np.zeros(self.FT.shape[1])
            for c, row in zip(key, self.FT):  # the coefficients are mostly +-1: no BLAS call for an (n, N) product
                if c == 1:
                    u += row
                elif c == -1:
                    u -= row
                elif c:
                    u += c * row
            psi = self.exponent.psi(u)
            self.psis[key] = psi if self.polar is None else np.outer(self.radial, psi).reshape(-1)
        return key, self.psis[key]

    def mean(self, cs):
        """``mean_c Psi(F @ c)``."""
        key = tuple(sorted(self._key(c) for c in cs))
        if key not in self.means:
            self.means[key] = sum(self.psi(c)[1] for c in cs) / len(cs)
        return self.means[key]

    def exp_neg_mean(self, cs):
        """``exp(-mean_c Psi(F @ c))``."""
        key = tuple(sorted(self._key(c) for c in cs))
        if key not in self.exps:
            self.exps[key] = np.exp(-self.mean(cs))
        return self.exps[key]


# -- the method ---------------------------------------------------------------------------------------------
class FourierWeights(SharedInputs, WeightMethod):
    """Weights through sine representations and Lévy exponents (conditioning on the inputs)."""

    name = "fourier"
    weights = any_of(law_is(Stable, "stable"), law_is(Sparse, "sparse"))
    inputs = any_of(law_is(Rademacher, "rademacher"), law_is(Normal, "normal"), law_is(Uniform, "uniform"))
    activation = named("tanh", "atan", "erf", "sin")
    accuracy = ("float64 quadrature, error estimated from two levels (1e-13 to 1e-8); "
                "rademacher inputs k ≤ 4, stable weights with normal inputs k ≤ 6, stable weights with uniform inputs "
                "and sparse weights with uniform inputs k ≤ 3, otherwise k ≤ 2")
    #: above stable-sin's, so that the exact sin methods keep their cells (measured: 1-2 s per shape with
    #: rademacher inputs at k = 3, ~3 s for sparse weights' two-row block with normal inputs, 10-30 s per
    #: four-slot shape)
    cost = 5.0
    #: from this k on, the shapes the Gaussian mixture covers (stable weights, normal inputs) go to it,
    #: conditioning on the weights (:mod:`.gauss_mixture`: 0.1-5 s a shape once its clouds are built, bounds
    #: 1e-12 to 1e-10, where the frequency rules' blocks take 4-260 s for bounds up to 1e-9; k = 2, 3 with tanh:
    #: 2.5-4.9 s against 20-24 s, within 1.4e-12 of them); k = 1 stays with the rules (bound 6e-15); the tests
    #: raise it to check those blocks against the mixture
    mixture_from_k = 2

    @classmethod
    def max_k(cls, model):
        """Rademacher inputs: 4 (rows of at most four slots); stable weights with normal inputs: 6 (the shapes
        of k = 4 to 6 by the Gaussian mixture, :mod:`.gauss_mixture`; sin, which it leaves out: 5, the exact
        stable-sin answering first); stable weights with uniform inputs: 3 (:mod:`.uniform_private`; at k = 4
        the lone row, the cycle and the triangle with a diagonal factor, and two more for sin's atoms); sparse
        weights with uniform inputs: 3 (:meth:`_gauss_shared`); otherwise 2."""
        if model is None or isinstance(model.inputs, Rademacher):
            return 4
        if isinstance(model.weights, Stable) and isinstance(model.inputs, Normal):
            return 5 if model.activation.name == "sin" else 6
        uniform_sparse = isinstance(model.weights, Sparse) and isinstance(model.inputs, Uniform)
        return 3 if isinstance(model.weights, Stable) or uniform_sparse else 2

    def _setup(self):
        self.exponent = next(e for c, e in LEVY_EXPONENTS.items() if isinstance(self.model.weights, c))(
            self.model.weights)
        self.rest = next(m for c, m in _REST_MEANS.items() if isinstance(self.model.inputs, c))
        self.measure = SineMeasure(self.model.activation.name, sympy.N(self.model.activation.scale, 20))
        self.rademacher = isinstance(self.model.inputs, Rademacher)

    # -- one row -------------------------------------------------------------------------------------
    def _nodes(self, kinds, blocks, cuts, group, level):
        """Chunks ``(frequencies (N, n), weights, dropped, polar)`` of the rule for the active slots ``kinds``,
        measure densities included; the weights cover one fundamental domain of ``group`` times its order.
        With a smooth (bounded) exponent the nodes with ``|weight| < _DROP`` (about half of them: the
        densities' tails and the rule's ends) are left out and ``dropped`` is the sum of their ``|weight|``;
        with a kinked (homogeneous) one ``polar = (r, v)``, the chunk's nodes being ``r x v`` (radial-major), so
        that the rest ``E Psi(r v . x) = r^alpha E Psi(v . x)`` is evaluated once per simplex node."""
        m = self.measure
        n = len(kinds)
        if m.atoms is not None:
            yield (*self._atom_rule(kinds), 0.0, None)
            return
        # near r = 0 the integrand is ~ r^(e - 1), e = n - (off-diagonal ends) + min(s, 1) per block, Psi ~ u^s
        # at 0 (stable: s = alpha, sparse: s = 2): the mass below r_lo is ~ r_lo^e
        e = n - kinds.count("o") + min(self.exponent.small, 1.0) * blocks
        steps, rsteps = _steps(n, self.exponent.smooth)
        r, wr = radial_rule(rsteps[level], m.beta, m.beta * 10.0 ** (-18 / e), m.radial_top(n))
        v, wv = simplex_rule(n, cuts, steps[level], symmetric_domain(n, group))
        wr = len(group) * wr * r ** (n - 1)
        per = max(1, _CHUNK // len(r))
        for lo in range(0, len(wv), per):
            F = (r[:, None, None] * v[None, lo:lo + per, :]).reshape(-1, n)
            w = np.outer(wr, wv[lo:lo + per]).reshape(-1) * self._densities(kinds, F)
            if not self.exponent.smooth:
                yield F, w, 0.0, (r, v[lo:lo + per])
                continue
            keep = np.abs(w) >= _DROP
            yield F[keep], w[keep], float(np.abs(w[~keep]).sum()), None

    def _atom_rule(self, kinds):
        """``(frequencies (1, n), weights)``: sin's atomic measures, one node."""
        mu, sig, mass = self.measure.atoms
        return np.array([[mu if k == "o" else sig for k in kinds]]), np.array([mass ** kinds.count("d")])

    def _kinked_rule(self, kinds, cuts, rstep, step, sigma=None):
        """``(frequencies (N, n), weights)`` of all n slots (no symmetry reduction) for a non-atomic measure
        and a kinked exponent, at radial and simplex steps (:mod:`.fourier_shared`); ``sigma`` replaces the
        diagonal slots' density (a collapsed pair of diagonal frequencies)."""
        n = len(kinds)
        r, wr = self._radial_nodes(n, rstep)
        v, wv = simplex_rule(n, tuple(tuple(c) for c in cuts), step)
        F = (r[:, None, None] * v[None, :, :]).reshape(-1, n)
        w = (wr[:, None] * wv[None, :]).reshape(-1)
        return F, w * self._densities(kinds, F, sigma)

    def _radial_nodes(self, n, rstep):
        """``(r, weights r^(n-1))``: the radial rule of a row of n slots (kinked exponents)."""
        m = self.measure
        r, wr = radial_rule(rstep, m.beta, m.beta * 10.0 ** (-18 / min(self.exponent.degree, 1.0)), n * m.top)
        return r, wr * r ** (n - 1)

    def _densities(self, kinds, F, sigma=None):
        m = self.measure
        sigma = sigma or m.sigma
        return np.prod([m.mu(F[:, i]) if k == "o" else sigma(F[:, i]) for i, k in enumerate(kinds)], axis=0)

    @memoized
    def _row(self, kinds, blocks, values, extra_cuts, level):
        """``(R_a, allowance)`` with the shared inputs set to ``values`` (pairs factor, value); the
        allowance bounds roundoff and dropped nodes (:meth:`_term`).

        A diagonal factor's option ``c_t = 0`` leaves its frequency only in its measure: the row is the
        sum over the sets of diagonal slots switched off of ``mass(sigma)^(off)`` times an integral over
        the other slots, where every form ``c . x`` has all its coefficients nonzero."""
        diag = [i for i, k in enumerate(kinds) if k == "d"]
        value, allowance = 0.0, 0.0
        for off in chain.from_iterable(combinations(diag, j) for j in range(len(diag) + 1)):
            keep = [i for i in range(len(kinds)) if i not in off]
            v, a = self._term(*_restrict(kinds, blocks, extra_cuts, keep), values, level)
            mass = self.measure.mass ** len(off)
            value, allowance = value + mass * v, allowance + mass * a
        return value, allowance

    @memoized
    def _term(self, kinds, blocks, extra_cuts, values, level):
        """``(integral, allowance)`` over the active slots ``kinds`` (every diagonal one switched on).

        The allowance is ``_ROUNDOFF * int |integrand|`` plus the dropped nodes' bound: the integrand is
        at most ``|weight|`` times the number of sign options times ``sup Psi`` per block (the rest's
        ``exp(-E Psi)`` is at most 1)."""
        if not kinds:
            return 1.0, _ROUNDOFF
        n, vals = len(kinds), dict(values)
        group = symmetries(n, lambda g: _invariant(kinds, blocks, vals, g))
        cuts = tuple(extra_cuts) + _kink_cuts(n)
        value, size, dropped = 0.0, 0.0, 0.0
        with blas_threads(1):  # long vector products: BLAS threads would only spin-wait on a busy machine
            for F, w, d, forms, rests, polar in self._prepared(kinds, len(blocks), cuts, tuple(group), level):
                v, s = self._row_sum(kinds, blocks, vals, F, w, forms or _Forms(self.exponent, F, polar), rests)
                value, size, dropped = value + v, size + s, dropped + d
        bound = dropped * len(sign_options(kinds)) * self.exponent.sup ** len(blocks) if dropped else 0.0
        return value, _ROUNDOFF * size + bound

    def _prepared(self, kinds, blocks, cuts, group, level):
        """The chunks of :meth:`_nodes` with, per sign option, its weight times the rest ``exp(-E Psi)``.
        The rest does not depend on the shared inputs' values: with normal or uniform inputs the chunks are
        kept (:meth:`_kept`) and reused at every node of the shared inputs' rule; with rademacher inputs
        (each row type evaluated once) they are generated and dropped."""
        if self.rademacher:
            return self._prepare(kinds, blocks, cuts, group, level)
        return self._kept(kinds, blocks, cuts, group, level)

    @memoized
    def _kept(self, *args):
        return list(self._prepare(*args))

    def _prepare(self, kinds, blocks, cuts, group, level):
        """Chunks ``(F, w, dropped, forms, rests, polar)``: with rademacher inputs ``forms`` (:class:`_Forms`) holds
        the Psi values the rests computed, which the block factors reuse (:meth:`_row_sum`); kept chunks (normal and
        uniform inputs) carry None, so that no Psi arrays stay in memory; ``polar`` as from :meth:`_nodes`."""
        half = [np.array((1.0,) + s) for s in product((1.0, -1.0), repeat=len(kinds) - 1)]
        for F, w, d, polar in self._nodes(kinds, blocks, cuts, group, level):
            forms = _Forms(self.exponent, F, polar) if self.rademacher else None
            rests = []
            for signs, wt in sign_options(kinds):
                if self.rademacher:  # E_s Psi(c . s) over the signs s
                    rests.append(wt * forms.exp_neg_mean([signs * h for h in half]))
                elif polar is not None:   # homogeneous: once per simplex node (the four-input rest is 4 us a node)
                    r, v = polar
                    rest = self.rest(self.exponent, v * signs)
                    rests.append(wt * np.exp(-np.outer(r ** self.exponent.degree, rest)).reshape(-1))
                else:
                    rests.append(wt * np.exp(-self.rest(self.exponent, F * signs)))
            yield F, w, d, forms, rests, polar

    def _row_sum(self, kinds, blocks, values, F, w, forms, rests):
        n = len(kinds)
        total = np.zeros(len(w))
        size = np.zeros(len(w))
        for (signs, wt), term in zip(sign_options(kinds), rests):
            for shared, private in blocks:
                a = np.zeros(n)
                for i, t in shared:
                    a[i] = signs[i] * values[t]
                if private and not self.rademacher:
                    if not isinstance(self.model.inputs, Uniform) or self.exponent.degree:
                        raise NotCovered("the Fourier method: private inputs at a block need rademacher inputs, "
                                         "or uniform inputs with sparse weights")
                    i = list(private)    # E_y Psi(A + B . y) over the private uniform inputs y
                    term = term * -self.exponent.uniform_offset_mean(F @ a, F[:, i] * signs[i])
                    continue
                patterns = []
                for s in product((1.0, -1.0), repeat=len(private)):
                    c = a.copy()
                    c[list(private)] = signs[list(private)] * s
                    patterns.append(c)
                term = term * -forms.mean(patterns)
            total += term
            size += np.abs(term)
        return float(w @ total), float(np.abs(w) @ size)

    # -- shapes ----------------------------------------------------------------------------------------
    def _mixture_takes(self, shape):
        """Whether the shape goes to the Gaussian mixture: stable weights, normal inputs, ``k >= mixture_from_k``,
        an activation with a density (tanh, atan, erf; sin's atoms stay here), a shape it covers
        (:meth:`.GaussMixture.covers`: every shape of k = 4)."""
        return (shape.k >= self.mixture_from_k and self.exponent.degree is not None and GaussMixture.covers(shape)
                and isinstance(self.model.inputs, Normal) and self.measure.atoms is None)

    @memoized
    def _mixture(self):
        return GaussMixture(self.model)

    def _product(self, key, level):
        """``(prod_a R_a, roundoff)``: each row's sum over nodes and signs carries at most a few dozen
        float64 roundings per term (u = 1.1e-16), ``_ROUNDOFF * int |integrand|`` (plus its dropped nodes'
        bound: the row's allowance, :meth:`_term`), and the product propagates them as
        ``sum_a allowance_a prod_(b != a) |R_b|``."""
        rows, values, extra = key
        found = [self._row(kinds, blocks, own, extra, level) for kinds, blocks, own in _local_rows(rows, values)]
        R = np.array([v for v, _ in found])
        rounding = sum(s * np.prod(np.abs(np.delete(R, a))) for a, (_, s) in enumerate(found))
        return float(np.prod(R)), float(rounding)

    def affinity(self, shape):
        """With rademacher inputs a shape is a product of memoised rows (:meth:`_row`), the longest of which
        (four slots at k = 4: 5 to 11 s each) are shared by several shapes: the key is the set of its longest rows.
        Shapes of the Gaussian mixture: its key (:meth:`.GaussMixture.affinity`)."""
        if self._mixture_takes(shape):
            return self._mixture().affinity(shape)
        if not self.rademacher or not shape.blocks:
            return None
        rows = _local_rows(_rows(shape), tuple((t, 1.0) for t in range(shape.k)))
        longest = max(len(kinds) for kinds, _, _ in rows)
        return tuple(sorted({r for r in rows if len(r[0]) == longest}))

    def _level(self, shape, rows, level):
        """``(value, roundoff)`` of a shape at one quadrature level."""
        P = sum(m for _, m in shape.pairs)
        scale = (-0.25) ** P
        if shape.k > 2 and not shape.blocks and isinstance(self.model.inputs, Normal) and self.exponent.degree:
            v, s = self._lone_row(rows[0][0], level)
            return scale * v, abs(scale) * _ROUNDOFF * s
        if self.rademacher or not shape.blocks:
            values = tuple((t, 1.0) for t in range(shape.k))
            v, s = self._product((tuple(rows), values, ()), level)
            return scale * v, abs(scale) * s
        if self.exponent.degree is None and len(shape.blocks) == 1:
            return self._gauss_shared(rows, scale, level)
        if shape.k > 2:   # sizes int |integrand| multiplied over the rows: the cruder roundoff bound
            v, s = self._shared_block(shape, rows, scale, level)
            return v, _ROUNDOFF * s
        return self._angular(shape, rows, scale, level)

    def _angular(self, shape, rows, scale, level):
        """The two-row block of m_2 with normal or uniform inputs: radial part closed, theta by tanh–sinh
        (stable), or a Gauss rule over both shared inputs (sparse)."""
        if not (shape.k == 2 and shape.rows == 2):
            raise NotCovered("the Fourier method with normal or uniform inputs: only walks up to k = 2")
        if self.exponent.degree is None:
            return self._gauss_shared(rows, scale, level)
        a = self.exponent.degree
        x, xc, logw = tanh_sinh(_ASTEPS[level], T=3.5)
        total, size = 0.0, 0.0
        for lo, hi in ((0.0, pi / 4), (pi / 4, pi / 2)):
            for th, wth in zip(lo * xc + hi * x, (hi - lo) * np.exp(logw)):
                c, s = np.cos(th), np.sin(th)
                v, sz = self._product((tuple(rows), ((0, c), (1, s)), ((c, -s),)), level)
                if isinstance(self.model.inputs, Normal):
                    radial = 2 ** a * gamma(1 + a) * 2 / pi
                else:
                    radial = 4 / 12 * (sqrt(3) / max(c, s)) ** (2 * a + 2) / (2 * a + 2)
                total += wth * radial * v
                size += wth * radial * sz
        return scale * total, abs(scale) * size

    def _gauss_shared(self, rows, scale, level):
        """``E prod_a R_a(x)`` over the D shared inputs of a single block by a tensor rule on the positive
        orthant (each R_a is odd in each of its shared inputs, each shared input belongs to two rows, and
        R_a is smooth for smooth exponents): normal inputs by the double-exponential rule with the Gaussian
        density, uniform ones by Gauss–Legendre on ``[0, sqrt 3]`` (a private uniform input at the block
        enters through ``E_y Psi(A + B y)``, :meth:`SparseExponent.uniform_offset_mean`)."""
        factors = sorted({t for _, blocks in rows for shared, _ in blocks for _, t in shared})
        if isinstance(self.model.inputs, Normal):  # R_a is only strip-analytic: a DE rule, not Gauss–Hermite
            x, wx = radial_rule(_XSTEPS[level], 1.0, 1e-12, 9.0)
            wx = 2 * wx * np.exp(-x * x / 2) / sqrt(2 * pi)
        else:
            m2 = len(factors) == 2 and len(rows) == 2 and all(k == ("o", "o") for k, _ in rows)
            x, wx = np.polynomial.legendre.leggauss((_GAUSS if m2 else _GAUSS3)[level])
            x, wx = sqrt(3) * (x + 1) / 2, wx / 2
        if len(factors) > 2 and not isinstance(self.model.inputs, Uniform):
            raise NotCovered("the Fourier method with sparse weights and normal inputs: only walks up to k = 2")
        if len(factors) > 3:
            raise NotCovered("the Fourier method with sparse weights and uniform inputs: blocks of at most three "
                             "shared inputs (k = 3, and k = 4's two-row blocks and diagonal triangle)")
        total, size = 0.0, 0.0
        for idx in product(range(len(x)), repeat=len(factors)):
            vals = tuple(x[i] for i in idx)
            if len(factors) == 2:   # each input at one off-diagonal end of each of the two rows: swapping the
                vals = tuple(sorted(vals))  # inputs relabels two ends of each row, so R_a is symmetric (memo shared)
            v, sz = self._product((tuple(rows), tuple(zip(factors, vals)), ()), level)
            w = np.prod(wx[list(idx)])
            total += w * v
            size += w * sz
        return scale * total, abs(scale) * size

    def _weight(self, shape, rows, through):
        if self._mixture_takes(shape):
            v, err = self._mixture().weight(shape)
            return mpmath.mpf(v), mpmath.mpf(err)
        slot_rows = _rows(shape)
        (v0, _), (v1, r1) = (self._level(shape, slot_rows, lev) for lev in (0, 1))
        err = abs(v1 - v0) + r1      # quadrature (two levels) and roundoff (:meth:`_product`)
        return mpmath.mpf(v1), mpmath.mpf(err)
