"""Weights of stable models with normal inputs as Gaussian scale mixtures: conditioning on the weights
(MATH.md §4, numeric: the Gaussian mixture).

Given W, the pre-activations of one factor are jointly Gaussian.  In a shape with one block every row a
has one incidence weight ``w_a`` (a point of its row's Poisson process, in the block's column) and a
rest ``S_a``, the squared norm of its other weights (positive (alpha/2)-stable, :mod:`.positive_stable`).
An off-diagonal factor between rows a and b has its own copy ``xi`` of the block's input, so

    K_ab = E f(w_a xi + sqrt(S_a) z_a) f(w_b xi + sqrt(S_b) z_b) = E_xi f_{S_a}(w_a xi) f_{S_b}(w_b xi),

with the *smoothed activation* ``f_V(u) = E f(u + sqrt(V) Z)`` (:func:`smoothed`), and a diagonal factor
is ``D(w_a^2 + S_a)``, ``D(s) = E f(sqrt(s) Z)^2`` (:func:`gauss_square`).  One rule in xi serves every
factor (the trapezoid rule in ``log xi``, the integrand being even in xi), so a factor is
``K_ab = sum_x omega_x Phi_a(x) Phi_b(x)``: the rows meet only through their vectors ``Phi`` on the xi nodes.

**A row's cloud.**  By the Mecke formula a row with ``m`` off-diagonal factors through its incidence and
``d`` diagonal ones contributes ``int nu(dw) P(dS) prod(factors)``, ``nu(dw) = c_alpha |w|^(-1-alpha) dw``,
the integrand even in w.  In ``y = w^2/(1 + w^2)``, with the factors ``w/sqrt(1 + w^2) = sqrt(y)`` pulled
out of each ``Phi`` (``Phi-hat = f_S(w xi)/sqrt(y)``, bounded at both ends),

    2 int_0^inf nu(dw) (...) = c_alpha int_0^1 y^((m - alpha)/2 - 1) (1 - y)^(alpha/2 - 1) (...) dy,

a Jacobi weight (:func:`.quadrature.jacobi_tanh_sinh`), times the trapezoid rule in ``log S``
(:func:`.positive_stable.log_rule`): a cloud of nodes ``(w, S)`` with weights ``c`` that include
``D(w^2 + S)^d``.

**Contraction.**  A row with two ends gives the ``X x X`` matrix ``A = Phi^T diag(c) Phi``; a cycle of such
rows is ``tr prod (Omega A)``, and a row (a hub) whose ends return in loops through rows with two ends is
``sum_i c_i prod_loops phi_i^T Omega M Omega phi_i`` (M the loop's product of ``A Omega``; two loops at four ends,
three at six): cost ``N X^2`` for N nodes a row and X xi nodes.  Two rows with ``m >= 4`` factors between them need the
``N x N`` matrix ``K = Phi Omega Phi^T`` (in tiles): ``sum c_i c_j K_ij^m``, and two rows joined by paths of rows with
two ends a product of such matrices, one a path; a loop of either row back to itself multiplies its c by the loop's
quadratic form.  Three rows with four ends, each two joined by two factors (the triangle), are
``sum c_i c'_j c''_k K_ij^2 K_jk^2 K_ki^2 = tr(H H' H'')``: with ``u_i = Omega^(1/2) phi_i`` projected on its r
leading directions (``a_i``; r ~ 30-80 of X ~ 160), ``K_ij^2 = <psi_i, psi_j>``, ``psi_i`` the symmetric
vectorisation of ``a_i a_i^T``, and ``H = sum c_i psi_i psi_i^T``: cost ``N r^4/4`` instead of ``N^3``.  These are
every single block of k <= 6.  A row without a block (the lone row) is ``E D(S)^d``.

**Rows in several blocks** (every shape of k <= 6 with two or three blocks).  A block seen from one of its rows is
a set of loops leaving it and returning (:func:`_loops`), each a sequence of *stations*: rows with two ends on the
loop and possibly side loops of their own (a station's matrix ``A`` then weighs its nodes by the side loops'
quadratic forms).  A row with incidences ``w_1, w_2 (, w_3)`` and one rest S sees at block j the smoothed
``f_(V_j)(w_j xi)``, ``V_j = S + sum_(l != j) w_l^2`` (the other incidences' inputs are more Gaussians), so each
block sends it a message ``G_j(w, V) = prod_loops Phi^T B_loop Phi``, tabulated against ``log V``
(:meth:`GaussMixture._message`): two or three blocks through one row are the incidence rule squared or cubed
times the rest's rule (:meth:`GaussMixture._blocks_through_row`).  A pair block between two rows each in one
more block (a chain of three pair blocks; a pair joined by four factors beside another block) *folds* the other
block into its row: the row's cloud over ``(w, V)``, the message's weight spread onto the ``log V`` grid by
Lagrange interpolation (:meth:`GaussMixture._fold`), and the pair block contracts the two clouds.

Everything is float64; the error is the difference between two levels of all rules (the triangle's rank among
them, ``_RANK``) plus ``k _RELATIVE`` of
the value: the smoothing's own error (within 3e-13 relative, the same at both levels) in each of up to k
factors, and float64 sums of positive terms (``Phi-hat > 0`` on ``xi > 0`` for increasing f).  The activations are tanh,
atan and erf: for sin, ``f_S(w xi) = e^(-S/2) sin(w xi)`` oscillates without end in xi as w grows, which no rule
in ``log xi`` resolves (sin has exact methods).

Examples
--------
With erf both the smoothing and the diagonal factor are closed forms; m_2's block matches conditioning on
the weights through the arcsine law (:mod:`.stable_erf`):

>>> from momentck import Model
>>> from momentck.numeric.stable_erf import StableErfWeights
>>> from momentck.shapes import enumerate_shapes
>>> model = Model("stable(alpha=3/2)", "normal", "erf")
>>> block = enumerate_shapes(2)[-1]
>>> a, _ = GaussMixture(model).weight(block)
>>> b, _ = StableErfWeights(model)(block)
>>> bool(abs(a - float(b)) < 1e-11)
True
"""

from functools import lru_cache
from math import gamma, log, pi, sqrt

import numpy as np
import sympy
from scipy import interpolate, special

from .._blas import blas_threads
from ..errors import NotCovered
from ..shapes import enumerate_shapes
from .base import memoized
from .positive_stable import log_rule, significant
from .quadrature import jacobi_tanh_sinh
from .sine_measures import SineMeasure

__all__ = ["GaussMixture", "smoothed", "gauss_square"]

#: (w: tanh–sinh step in the Jacobi rule, S: trapezoid step in t (times min(1, 1/kappa)), xi: trapezoid step
#: in log xi) of the two levels
_LEVELS = ((1 / 5, 2 / 5, 1 / 6), (1 / 6, 1 / 3, 1 / 7))
#: the xi range of the rule in log xi (the Gaussian beyond 9.5 carries < 1e-20; below 1e-12 a factor
#: loses < 1e-12 times its bound)
_XI = (1e-9, 9.5)
#: nodes of a cloud carrying together less than this fraction of its weight are dropped
_DROP = 1e-16
#: spline points per unit of log V of the two-pair-blocks messages at the two levels
_MESSAGE = (8, 12)
#: tanh–sinh steps of the middle row's incidences there: its integrand changes where w_1 ~ w_2, both large,
#: which the steps of single rows resolve too coarsely at large w (stable(7/10), erf: 1/6 left 6.9e-8, 1/10
#: 3.3e-10, 1/14 4e-12; atan: the levels (1/10, 1/14), (1/12, 1/16), (1/14, 1/18) differ by 4.8e-9, 4.8e-10, 5.8e-11)
_MIDDLE = (1 / 14, 1 / 18)
#: the same for a row in three blocks (the rule cubed)
_THREE = (1 / 8, 1 / 10)
#: relative error allowance per factor: the smoothing (3e-13 against 30-digit quadrature, tests) and rounding
_RELATIVE = 5e-13
#: entries of a K tile
_TILE = 4_000_000
#: the triangle's truncation (:meth:`GaussMixture._triangle`) at the two levels: squared singular values kept down to
#: this fraction of the first (ranks 31-42 and 52-73 for erf with stable(3/2), stable(7/10)); against 1e-20 the weight
#: moves by 1e-13 relative at 1e-8 and by rounding only (< 1.3e-15) from 1e-10 on, at both levels
_RANK = (1e-12, 1e-16)
#: points per vectorised pass of the smoothing
_CHUNK = 20_000
#: beta sqrt(V) from which the smoothing is a series in 1/s (:func:`_large_variance`; its error below 4e-16 there)
_SERIES_S = {"tanh": 8.0, "atan": 4.0}

_Z = np.arange(1, 55) / 6                           # the direct smoothing's trapezoid rule (step 1/6, |Z| <= 9)
_ZW = np.exp(-_Z * _Z / 2) / sqrt(2 * pi) / 6
_Z0 = 1 / sqrt(2 * pi) / 6
_ETA, _ETAW = np.polynomial.legendre.leggauss(120)  # the Fourier smoothing's Gauss rule on [0, 10]
_ETA, _ETAW = 5 * (_ETA + 1), 5 * _ETAW * np.exp(-12.5 * (_ETA + 1) ** 2)
_ACTIVATIONS = {"tanh": np.tanh, "atan": np.arctan}


# -- the Gaussian smoothing of an activation -----------------------------------------------------------
def smoothed(name, beta, u, V):
    """``f_V(u) = E f(u + sqrt(V) Z)`` for ``f(x) = g(beta x)``, g one of tanh, atan, erf, sin (arrays of equal
    shape; ``u = inf`` gives ``sup f``).

    erf and sin are closed forms (``erf(beta u / sqrt(1 + 2 beta^2 V))``, ``e^(-beta^2 V/2) sin(beta u)``).  For
    tanh and atan, with ``U = beta u`` and ``s = beta sqrt V``: where ``s <= 1`` or ``|U| >= 15 s`` the trapezoid
    rule in Z of step 1/6 on ``[-10, 10]`` (g's singularities lie at ``Im(U + s Z)`` of at least 1, i.e. at
    ``|Im Z| >= 1/s``, or at ``Re Z = -U/s <= -15`` where the Gaussian is below e^-112: error below e^-37); elsewhere
    the sine representation ``int sin(eta U/s) e^(-eta^2/2) mu(eta/s)/s d eta`` (:mod:`.sine_measures`, mu's
    density analytic within 2 of the axis for s > 1, at most 15 periods a unit) by Gauss–Legendre, 160 nodes on
    ``[0, 10]``.
    """
    u, V = np.broadcast_arrays(np.asarray(u, float), np.asarray(V, float))
    if name == "erf":
        return special.erf(beta * u / np.sqrt(1 + 2 * beta * beta * V))
    if name == "sin":
        return np.exp(-beta * beta * V / 2) * np.sin(beta * u)
    g = _ACTIVATIONS[name]
    U, s = (beta * u).ravel(), (beta * np.sqrt(V)).ravel()
    out = np.empty(U.shape)
    with np.errstate(invalid="ignore"):
        regime = np.where(np.abs(U) >= 15 * s, 0, np.where(s > 1, 2, np.where(np.abs(U) < s, 1, 0)))
        if name == "tanh":   # tanh(y) = 1 in float64 beyond y = 19: the rule's every node
            regime[np.abs(U) - 9 * s > 19] = 3
        regime[(s >= _SERIES_S[name]) & (np.abs(U) < 15 * s)] = 4
    mu = SineMeasure(name, 1.0).mu
    for lo in range(0, len(U), _CHUNK):
        sl = slice(lo, lo + _CHUNK)
        Uc, sc, rc = U[sl], s[sl], regime[sl]
        part = np.empty(len(Uc))
        for kind in range(5):
            at = rc == kind
            if not at.any():
                continue
            Ua, sa = Uc[at, None], sc[at, None]
            if kind == 0:     # the trapezoid rule in Z, pairs +-Z
                part[at] = (g(Ua + sa * _Z) + g(Ua - sa * _Z)) @ _ZW + g(Ua[:, 0]) * _Z0
            elif kind == 1:   # the same, f odd: 2 sum f(sZ) phi(Z) e^(-U^2/2s^2) sinh(Z U/s), no cancellation
                r = Ua / sa
                part[at] = 2 * (g(sa * _Z) * np.sinh(_Z * r)) @ _ZW * np.exp(-r[:, 0] ** 2 / 2)
            elif kind == 2:   # the sine representation
                r = Ua / sa
                part[at] = (np.sin(_ETA * r) * (mu(_ETA / sa) / sa)) @ _ETAW
            elif kind == 3:
                part[at] = np.sign(Ua[:, 0])
            else:
                part[at] = _large_variance(name, Ua[:, 0] / sa[:, 0], sa[:, 0])
        out[sl] = part
    return out.reshape(u.shape)


def _series_coefficients(name):
    """``{n: c_n}``: mu's density at 0 as ``sum_(n >= -1) c_n x^n`` (beta = 1), the terms :func:`_large_variance` keeps.

    tanh: ``1/sinh(z) = 1/z + sum_k 2 (1 - 2^(2k-1)) B_2k z^(2k-1)/(2k)!`` at ``z = pi x/2`` (odd n up to 19);
    atan: ``e^-x/x = sum_n (-1)^(n+1) x^n/(n+1)!`` (n up to 17)."""
    if name == "tanh":
        out = {-1: 2 / pi}
        for k in range(1, 11):
            out[2 * k - 1] = 2 * (1 - 2 ** (2 * k - 1)) * float(sympy.bernoulli(2 * k)) \
                * (pi / 2) ** (2 * k - 1) / float(sympy.factorial(2 * k))
        return out
    return {n: (-1) ** (n + 1) / float(sympy.factorial(n + 1)) for n in range(-1, 18)}


_SERIES = {name: _series_coefficients(name) for name in _ACTIVATIONS}


def _large_variance(name, r, s):
    """``f_V`` at ``s = beta sqrt V >= _SERIES_S``, ``r = U/s``, ``|r| < 15``: the sine representation with mu's
    expansion at 0 (:func:`_series_coefficients`) integrated term by term against ``sin(eta r) e^(-eta^2/2)``
    (``x = eta/s``):

    * ``n = -1``: ``int sin(eta r) e^(-eta^2/2) d eta/eta = (pi/2) erf(r/sqrt 2)``;
    * odd n: ``int eta^n sin(eta r) e^(-eta^2/2) = (-1)^((n-1)/2) sqrt(pi/2) He_n(r) e^(-r^2/2)`` (Hermite);
    * even n: ``(-1)^(n/2) d^n/dr^n sqrt(2) F(r/sqrt 2)``, F Dawson's integral, its derivatives by
      ``F' = 1 - 2xF``, ``F^(n+1) = -2x F^(n) - 2n F^(n-1)``.

    The terms left out are below ``(2n - 1)!!/(2s)^(2n)`` (tanh) and ``(n - 1)!!/(n! s^n)`` (atan); against 40-digit quadrature
    within 4e-16 relative from ``s = 8`` (tanh; 4e-14 at 6) and ``s = 4`` (atan)."""
    out = np.empty(r.shape)
    for lo, hi in ((1e3, np.inf), (1e2, 1e3), (0.0, 1e2)):     # fewer terms where s is large
        at = (s >= lo) & (s < hi)
        if at.any():
            out[at] = _series_sum(name, r[at], s[at], max(lo, _SERIES_S[name]))
    return out


def _series_sum(name, r, s, s_min):
    """The series of :func:`_large_variance`, its terms kept while ``|c_n| M_n s_min^-(n+1) >= 1e-18``,
    ``M_n = int_0^inf eta^n e^(-eta^2/2) = 2^((n-1)/2) Gamma((n+1)/2)`` bounding the integrals."""
    x = r / sqrt(2)
    gauss = sqrt(pi / 2) * np.exp(-r * r / 2)
    coef = _SERIES[name]
    inv = 1 / s
    out = coef[-1] * pi / 2 * special.erf(x)
    He = [np.ones_like(r), r]                       # probabilists' Hermite polynomials
    F = [special.dawsn(x)] if name == "atan" else None
    if F is not None:
        F.append(1 - 2 * x * F[0])
    for n in range(0, max(coef) + 1):
        if n >= 2:
            He.append(r * He[n - 1] - (n - 1) * He[n - 2])
            if F is not None:
                F.append(-2 * x * F[n - 1] - 2 * (n - 1) * F[n - 2])
        if n not in coef:
            continue
        if abs(coef[n]) * 2 ** ((n - 1) / 2) * gamma((n + 1) / 2) * s_min ** -(n + 1) < 1e-18:
            break
        if n % 2:
            term = (-1) ** ((n - 1) // 2) * gauss * He[n]
        else:
            term = (-1) ** (n // 2) * sqrt(2) * 2.0 ** (-n / 2) * F[n]
        out = out + coef[n] * term * inv ** (n + 1)
    return out


def gauss_square(name, beta, s):
    """``D(s) = E f(sqrt(s) Z)^2`` for ``f(x) = g(beta x)`` (arrays; ``s = inf`` gives ``sup f^2``).

    erf and sin in closed form (``(2/pi) arcsin(2 beta^2 s/(1 + 2 beta^2 s))``, ``(1 - e^(-2 beta^2 s))/2``);
    tanh and atan through ``f^2 = int (1 - cos omega x) sigma(d omega)`` (:mod:`.sine_measures`):
    ``D(s) = int (1 - e^(-s omega^2/2)) sigma(d omega)``, the trapezoid rule in ``log omega`` of step 1/8 on
    ``[e^-60, top]`` (analytic within pi/4 of the axis: error ~e^-39; below e^-60 less than ``s e^-180``)."""
    s = np.asarray(s, float)
    b2 = beta * beta
    if name == "erf":
        with np.errstate(invalid="ignore"):
            return np.where(np.isinf(s), 1.0, 2 / pi * np.arcsin(2 * b2 * s / (1 + 2 * b2 * s)))
    if name == "sin":
        return -np.expm1(-2 * b2 * s) / 2
    h, w = _square_rule(name, beta)
    flat = s.ravel()
    out = np.empty(flat.shape)
    for lo in range(0, len(flat), _CHUNK):
        out[lo:lo + _CHUNK] = -np.expm1(-np.outer(flat[lo:lo + _CHUNK], h)) @ w
    return out.reshape(s.shape)


@lru_cache(maxsize=8)
def _square_rule(name, beta):
    """``(omega^2/2, weights)``: :func:`gauss_square`'s trapezoid rule in ``log omega`` (tanh, atan)."""
    m = SineMeasure(name, beta)
    om = np.exp(np.arange(-60.0, log(m.top), 1 / 8))
    return om * om / 2, m.sigma(om) * om / 8


def gauss_square_sums(name, beta, s, a, b):
    """``D(s + a_l + b_k)`` (a matrix, l x k) for a scalar ``s >= 0`` and arrays ``a, b >= 0`` (inf allowed): as
    :func:`gauss_square`, but for tanh and atan without a rule per entry, through
    ``1 - e^(-x-y-z) = (1 - e^-x) + e^-x (1 - e^-y) + e^(-x-y) (1 - e^-z)`` (positive terms: no cancellation) per
    node of the rule, the last term a matrix product (a middle row's diagonal factors: most of a two-block shape's
    time, ``len(a) len(b)`` rules per rest node)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if name not in ("tanh", "atan"):
        return gauss_square(name, beta, s + a[:, None] + b[None, :])
    h, w = _square_rule(name, beta)
    ws = w * np.exp(-s * h)
    ya, yb = np.outer(a, h), np.outer(b, h)
    return (w @ -np.expm1(-s * h) + -np.expm1(-ya) @ ws)[:, None] + (np.exp(-ya) * ws) @ -np.expm1(-yb).T


def _other(edge, row):
    return edge[1] if edge[0] == row else edge[0]


def _walk(start, first, edges, stop):
    """From ``start`` along ``first`` (None: its first edge in ``edges``) through rows with two ends until at a row of
    the set ``stop``: ``(the rows met, the edges left, the row reached)``; ``edges`` is not changed."""
    edges = list(edges)
    if first is None:
        first = next(e for e in edges if start in e)
    edges.remove(first)
    here, path = _other(first, start), []
    while here not in stop:
        path.append(here)
        e = next(e for e in edges if here in e)
        edges.remove(e)
        here = _other(e, here)
    return path, edges, here


def _side_loop(hub, edge, edges, ends, diag):
    """The stations of the loop leaving ``hub`` along ``edge`` through rows with two ends and returning to ``hub``
    (its edges taken out of ``edges``), or None (the walk reaches another row with more ends; nothing taken)."""
    path, left, end = _walk(hub, edge, edges, {hub} | {r for r, m in ends.items() if m != 2})
    if end != hub:
        return None
    edges[:] = left
    return tuple((diag[r], ()) for r in path)


def _loops(root, edges, ends, diag):
    """A block seen from its row ``root``: the loops leaving ``root`` and returning to it (``edges``, one per
    off-diagonal factor, taken out as they are walked), each a tuple of *stations* ``(d, sides)`` (a row met on the
    way with d diagonal factors, its side loops returning to it through rows with two ends), or None when the block
    is not of that form (a row met twice, say two rows joined by four factors).  The view is free of row labels, so
    it keys the messages' memo."""
    loops, ends = [], {**ends, root: None}            # side loops never pass the root
    while any(root in e for e in edges):
        e = next(e for e in edges if root in e)
        edges.remove(e)
        here, stations, seen = _other(e, root), [], set()
        while here != root:
            if here in seen:
                return None
            seen.add(here)
            sides = []
            if ends[here] != 2:
                for e2 in [e2 for e2 in edges if here in e2]:
                    if e2 in edges and (side := _side_loop(here, e2, edges, ends, diag)) is not None:
                        sides.append(side)
            out = [e2 for e2 in edges if here in e2]
            if len(out) != 1 or 2 + 2 * len(sides) != ends[here]:
                return None
            stations.append((diag[here], tuple(sorted(sides))))
            edges.remove(out[0])
            here = _other(out[0], here)
        loops.append(tuple(stations))
    return tuple(sorted(loops)) if not edges else None


def _block_edges(shape, j, block_of):
    """``(edges, ends)`` of block j: its off-diagonal factors, one edge each, and each row's number of ends."""
    edges = [p for p, m in shape.pairs if block_of[p] == j for _ in range(m)]
    return edges, {r: sum(r in e for e in edges) for r in shape.blocks[j]}


def _through_row(shape):
    """``(middle row, views)`` when every block of the shape (two or three) holds one common row and each block seen
    from it is a set of loops (:func:`_loops`), else None."""
    if len(shape.blocks) not in (2, 3):
        return None
    common = set.intersection(*(set(b) for b in shape.blocks))
    if len(common) != 1:
        return None
    mid = common.pop()
    block_of = shape.pair_blocks
    views = []
    for j in range(len(shape.blocks)):
        view = _loops(mid, *_block_edges(shape, j, block_of), shape.diag)
        if view is None:
            return None
        views.append(view)
    return mid, tuple(views)


def _folded_pair(shape):
    """``((a, view_a), (b, view_b), m)`` when the shape has a block of two rows a, b joined by m factors and every
    other block holds a or b (each in one more block at most), seen from it as a set of loops (:func:`_loops`;
    ``view = None`` for a row in the pair block alone), else None."""
    block_of = shape.pair_blocks
    for j, block in enumerate(shape.blocks):
        if len(block) != 2 or len(shape.blocks) == 1:
            continue
        views, ok = {r: None for r in block}, True
        for i, other in enumerate(shape.blocks):
            if i == j:
                continue
            hold = [r for r in block if r in other]
            if len(hold) != 1 or views[hold[0]] is not None:
                ok = False
                break
            views[hold[0]] = _loops(hold[0], *_block_edges(shape, i, block_of), shape.diag)
            ok = views[hold[0]] is not None
            if not ok:
                break
        if ok:
            m = dict(shape.pairs)[tuple(block)]
            return tuple((r, views[r]) for r in block) + (m,)
    return None


def _symmetric_reads(tables, V):
    """``[T[l, m, k] = table(V[l, m])[k] for each table]``, V symmetric (n x n): each distinct table (equal blocks
    share their message's table) read once, on and above the diagonal only (the reads are most of a three-block
    star's time)."""
    n = len(V)
    upper = np.triu_indices(n)
    read = {}
    for table in tables:
        if id(table) not in read:
            values = table(V[upper])
            T = np.empty((n, n, values.shape[1]))
            T[upper] = values
            T[upper[1], upper[0]] = values
            read[id(table)] = T
    return [read[id(table)] for table in tables]


def _log_table(ell, logG):
    """``v -> exp(spline(log v))`` (rows of ``logG`` at ``ell``, degree 7), clipped to the grid, 0 at ``v = inf``."""
    spline = interpolate.make_interp_spline(ell, logG, k=7)
    lo, hi = np.exp(ell[0]), np.exp(ell[-1])

    def table(v):
        with np.errstate(divide="ignore"):
            out = np.exp(spline(np.log(np.clip(v, lo, hi))))
        out[np.isinf(v)] = 0.0
        return out

    return table


def _lagrange(t, n, p=7):
    """``(first, weights)``: the degree-p Lagrange interpolation at points ``t`` (in units of a uniform grid of n
    nodes 0..n-1) through the nodes ``first .. first + p`` (weights ``(len(t), p + 1)``)."""
    first = np.clip(np.floor(t).astype(int) - (p - 1) // 2, 0, n - p - 1)
    u = t - first
    nodes = np.arange(p + 1)
    weights = np.ones((len(t), p + 1))
    for j in nodes:
        for i in nodes:
            if i != j:
                weights[:, j] *= (u - i) / (j - i)
    return first, weights


# -- the method ------------------------------------------------------------------------------------------
class GaussMixture:
    """Weights of the shapes of k <= 5 and the single blocks of k = 6 (lone rows, single blocks, two blocks through a
    row; :meth:`covers`) of a model with stable weights, normal inputs and f in tanh, atan, erf (called by
    :class:`~momentck.numeric.fourier.FourierWeights`).

    Parameters
    ----------
    model : Model
        Stable weights, normal inputs.
    """

    def __init__(self, model):
        f = model.activation
        if f.name not in ("tanh", "atan", "erf"):   # sin(w xi) oscillates without end in xi: no rule in log xi
            raise NotCovered(f"the Gaussian mixture needs tanh, atan or erf, not {f.spec}")
        self.name, self.beta = f.name, float(sympy.N(f.scale, 20))
        self.alpha = float(sympy.N(model.weights.alpha, 20))
        self.c = float(sympy.N(model.weights.c_alpha, 20))
        self.C = float(sympy.N(model.weights.C_alpha, 20))
        a = self.alpha / 2
        self.kappa = (1 - a) / a

    @staticmethod
    def covers(shape):
        """Whether the shape is a lone row, has a single block (every row then has one incidence; :meth:`_contract`
        builds every one of k <= 6 and raises NotCovered for the others), is two or three blocks through one row,
        each block a set of loops from it (:func:`_through_row`), or a pair block whose rows are in one more block at
        most (:func:`_folded_pair`): every shape of k <= 6 with several blocks."""
        return len(shape.blocks) <= 1 or _through_row(shape) is not None or _folded_pair(shape) is not None

    def affinity(self, shape):
        """``"messages"`` for the shapes of several blocks (every one reads the messages of its order, built together
        at the first, :meth:`_message`), else None: one worker builds the messages, the others weigh the single
        blocks (:meth:`.WeightMethod.affinity`)."""
        return "messages" if len(shape.blocks) >= 2 and self.covers(shape) else None

    def weight(self, shape):
        """``(value, error)`` as floats: the finer level and the change between the two plus ``_RELATIVE`` of it."""
        if not self.covers(shape):
            raise NotCovered("the Gaussian mixture: shapes with one block (or none), two or three blocks through one row "
                             "(each a set of loops from it), or a pair block whose rows are in one more block at most")
        self._expected = self._expected_views(shape.k)
        with blas_threads(1):
            coarse, fine = (self._contract(shape, level) for level in (0, 1))
        return fine, abs(fine - coarse) + _RELATIVE * shape.k * abs(fine)

    # -- rules --------------------------------------------------------------------------------------
    @memoized
    def _rest(self, level):
        """``(S, weights)``: the rest's law, trapezoid in t (its strip ``min(pi/2, pi/(2 kappa))``)."""
        logS, w = log_rule(self.alpha, self.C, _LEVELS[level][1] * min(1.0, 1 / self.kappa), rel=_DROP)
        return np.exp(logS), w

    @memoized
    def _xi(self, level):
        """``(xi, omega)``: ``E_xi g(xi) = sum omega g(xi)`` for even g, trapezoid in ``log xi``."""
        h = _LEVELS[level][2]
        t = np.arange(log(_XI[0]), log(_XI[1]) + h / 2, h)
        xi = np.exp(t)
        return xi, 2 * h * xi * np.exp(-xi * xi / 2) / sqrt(2 * pi)

    @memoized
    def _incidence(self, step):
        """``(y, 1 - y, weights)``: the Jacobi rule of an incidence with two ends, tanh–sinh step ``step``."""
        p, q = (2 - self.alpha) / 2 - 1, self.alpha / 2 - 1
        y, yc, lw = jacobi_tanh_sinh(p, q, step)
        wy = np.exp(lw)
        keep = significant(wy, _DROP)
        return y[keep], yc[keep], wy[keep]

    def _incidence_weights(self, step, ends):
        """``(y, w^2, c w_y y^((m - 2)/2))``: the incidence rule at tanh–sinh step ``step`` for a row with ``m = ends``
        ends at the block (``w^2 = y/(1 - y)``, inf where ``1 - y`` underflows)."""
        y, yc, wy = self._incidence(step)
        with np.errstate(divide="ignore"):
            w2 = y / yc
        return y, w2, self.c * wy * y ** ((ends - 2) / 2)

    @memoized
    def _cloud(self, level):
        """``(y, w^2, S, weights, Phi-hat (N, X))``: the nodes of a row with two ends, weights without the diagonal
        factors; a row with m ends takes the same nodes with its weights times ``y^((m - 2)/2)`` (a smooth factor:
        the rule's nodes serve every m, and ``Phi-hat`` is evaluated once)."""
        y, yc, wy = self._incidence(_LEVELS[level][0])
        S, wS = self._rest(level)
        with np.errstate(divide="ignore"):
            w2 = y / yc                                   # inf where 1 - y underflows: f_S(inf) = sup f
        Y, W2, SS = np.repeat(y, len(S)), np.repeat(w2, len(S)), np.tile(S, len(y))
        weights = self.c * np.outer(wy, wS).ravel()
        keep = significant(weights, _DROP)
        Y, W2, SS, weights = Y[keep], W2[keep], SS[keep], weights[keep]
        xi, _ = self._xi(level)
        with np.errstate(invalid="ignore", over="ignore"):
            u = np.sqrt(W2)[:, None] * xi[None, :]
        phi = smoothed(self.name, self.beta, u, np.broadcast_to(SS[:, None], u.shape)) / np.sqrt(Y)[:, None]
        return Y, W2, SS, weights, phi

    def _row(self, m, d, level):
        """``(weights c, Phi-hat)`` of a row with m ends and d diagonal factors."""
        Y, W2, S, weights, phi = self._cloud(level)
        if m > 2:
            weights = weights * Y ** ((m - 2) / 2)
        if d:
            weights = weights * gauss_square(self.name, self.beta, W2 + S) ** d
        return weights, phi

    @memoized
    def _matrix(self, m, d, level):
        """``A = Phi^T diag(c) Phi`` (X x X) of a row with two ends."""
        c, phi = self._row(m, d, level)
        return (phi * c[:, None]).T @ phi

    # -- shapes -------------------------------------------------------------------------------------
    def _contract(self, shape, level):
        """The weight at ``level``: several blocks (:meth:`_blocks_through_row`, :meth:`_pair_of_clouds`), the lone
        row, or a single block: two rows, a cycle of rows with two ends, one hub with loops (:meth:`_hub`), two hubs
        joined by paths, each with loops (:meth:`_two_hubs`), or the triangle (:meth:`_triangle`); every single block
        of k <= 6 is one of these."""
        if len(shape.blocks) >= 2:
            if _through_row(shape) is not None:
                return self._blocks_through_row(shape, level)
            return self._pair_of_clouds(shape, level)
        if not shape.blocks:
            S, wS = self._rest(level)
            return float(wS @ gauss_square(self.name, self.beta, S) ** shape.diag[0])
        rows = list(shape.blocks[0])
        ends = {a: 0 for a in rows}
        edges = []                                        # one per off-diagonal factor
        for (a, b), mult in shape.pairs:
            ends[a] += mult
            ends[b] += mult
            edges += [(a, b)] * mult
        _, omega = self._xi(level)
        if len(rows) == 2:
            a, b = rows
            if ends[a] == 2:
                A, B = (self._matrix(2, shape.diag[r], level) for r in (a, b))
                return float(omega @ (A * B) @ omega)
            return self._two_hubs(a, b, ends, shape, edges, level)
        if all(e == 2 for e in ends.values()):
            order = _walk(rows[0], None, edges, {rows[0]})[0]
            M = np.eye(len(omega))
            for r in [rows[0]] + order:
                M = M @ (omega[:, None] * self._matrix(2, shape.diag[r], level))
            return float(np.trace(M))
        hubs = [a for a, e in ends.items() if e != 2]
        if len(hubs) == 1:
            return self._hub(hubs[0], ends, shape, edges, level)
        if len(hubs) == 2:
            return self._two_hubs(*hubs, ends, shape, edges, level)
        if len(rows) == 3 and all(mult == 2 for _, mult in shape.pairs):
            return self._triangle(rows, shape, level)
        raise NotCovered("the Gaussian mixture: single blocks whose rows have two ends but for one, two, or three "
                         "with four each joined by two factors")

    def _hub(self, hub, ends, shape, edges, level):
        """A row whose ends return in loops through rows with two ends: ``sum_i c_i prod_loops
        phi_i^T Omega M Omega phi_i`` (:meth:`_loops`)."""
        c, phi = self._row(ends[hub], shape.diag[hub], level)
        loops = []
        while edges:
            path, edges, _ = _walk(hub, None, edges, {hub})
            loops.append(path)
        return float(c @ self._loops(phi, loops, shape, level))

    def _chain(self, path, shape, level):
        """``Omega A_1 Omega A_2 ... A_n Omega`` (X x X) over the rows of ``path``, each with two ends (an empty path:
        ``Omega``)."""
        if not path:
            return np.diag(self._xi(level)[1])
        return self._loop_form(tuple((shape.diag[r], ()) for r in path), level)

    def _loops(self, phi, loops, shape, level):
        """``prod_loops phi_i^T Omega M Omega phi_i`` per node i (a vector; 1.0 without loops), each loop the rows met
        from a row back to itself (:meth:`_chain`)."""
        out = 1.0
        for path in loops:
            out = out * np.einsum("ix,xy,iy->i", phi, self._chain(path, shape, level), phi, optimize=True)
        return out

    @staticmethod
    def _legs(a, b, edges):
        """The walks from rows a and b through rows with two ends: ``(loops at a, loops at b, paths from a to b)``,
        each a list of the rows met in order (a direct factor between a and b: an empty path)."""
        legs = ([], [], [])
        for start in (a, b):
            while any(start in e for e in edges):
                at_b = sum(b in e for e in edges)
                path, edges, _ = _walk(start, None, edges, {a, b})
                legs[1 if start == b else 2 if sum(b in e for e in edges) < at_b else 0].append(path)
        return legs

    def _blocks_through_row(self, shape, level):
        """Two or three blocks through a middle row (its incidences ``w_j``, rest S; :func:`_through_row`).

        At block j the middle row's factors see ``f_(V_j)(w_j xi)``, ``V_j = S + sum_(l != j) w_l^2`` (the other
        incidences' inputs are more Gaussians), so summing the other rows of block j out leaves the message
        ``G_j(w, V)`` (:meth:`_message`), and the weight is
        ``sum prod_j c_j(w_j) P(S) G_j(w_j, V_j) D(S + sum w_l^2)^d`` over the incidence rule to the power of the
        blocks and the rest's rule; an incidence with ``m`` ends carries ``y^((m - 2)/2)`` in ``c_j``.  ``G_j(w_k, .)``
        is tabulated per w node against ``log V`` and read at the ``V_j`` values."""
        mid, views = _through_row(shape)
        three = len(views) == 3
        step = (_THREE if three else _MIDDLE)[level]
        c = [self._incidence_weights(step, 2 * len(view))[2] for view in views]    # a loop: two ends
        _, w2, _ = self._incidence_weights(step, 2)
        S, wS = self._rest(level)
        G = [self._message(view, level, three) for view in views]
        d = shape.diag[mid]
        total = 0.0
        for s, ws in zip(S, wS):
            if not three:
                T1, T2 = G[0](s + w2), G[1](s + w2)      # T[l, k] = G(w_k; s + w_l^2)
                M = T1.T * T2                            # [k, l]: G_1(w_k; s + w_l^2) G_2(w_l; s + w_k^2)
                if d:
                    M = M * gauss_square_sums(self.name, self.beta, s, w2, w2) ** d
                total += ws * float(c[0] @ M @ c[1])
                continue
            V = s + np.add.outer(w2, w2)                 # [l, m]
            T1, T2, T3 = _symmetric_reads(G, V)           # T[l, m, k] = G(w_k; s + w_l^2 + w_m^2)
            M = T1.transpose(2, 0, 1) * T2.transpose(0, 2, 1) * T3     # [k, l, m]
            if d:
                M = M * gauss_square(self.name, self.beta, w2[:, None, None] + V[None]) ** d   # S + w_k^2 + w_l^2 + w_m^2
            total += ws * float(np.einsum("klm,k,l,m->", M, *c, optimize=True))
        return total

    def _pair_of_clouds(self, shape, level):
        """A pair block (rows a, b, m factors) whose rows may each be in one more block (:func:`_folded_pair`):
        ``sum_(i, j) C_i C'_j K_ij^m``, ``K = Phi Omega Phi'^T``, over the rows' clouds, a row in two blocks by its
        folded cloud (:meth:`_fold`); for m = 2 through the rows' matrices, ``omega^T (A o A') omega``."""
        (a, va), (b, vb), m = _folded_pair(shape)
        (ca, pa), (cb, pb) = (self._row(m, shape.diag[r], level) if v is None else self._fold(v, m, shape.diag[r], level)
                              for r, v in ((a, va), (b, vb)))
        _, omega = self._xi(level)
        if m == 2:
            A, B = ((p * c[:, None]).T @ p for c, p in ((ca, pa), (cb, pb)))
            return float(omega @ (A * B) @ omega)
        pa = pa * omega[None, :]
        per = max(1, _TILE // len(cb))
        return sum(float(ca[lo:lo + per] @ ((pa[lo:lo + per] @ pb.T) ** m) @ cb) for lo in range(0, len(ca), per))

    @memoized
    def _fold(self, view, m, d, level):
        """``(C, Phi-hat)``: the cloud of a row with m ends in a pair block and d diagonal factors whose other block,
        seen from it as ``view``, is summed out.

        The row's incidences are w (the pair block; the cloud's rule) and w' (the other block; the middle rows'
        rule), its rest S; at the pair block it sees ``f_V(w xi)``, ``V = S + w'^2``, with the weight
        ``c(w) c(w') P(S) G(w'; S + w^2) D(S + w^2 + w'^2)^d`` (G the other block's message, :meth:`_message`).
        Every integrand is smooth in ``log V``, so the weights of the ``(w', S)`` nodes are spread onto the messages'
        grid in ``log V`` by degree-7 Lagrange interpolation (:func:`_lagrange`): the folded cloud has nodes
        ``(w, V_g)``, those carrying together less than ``_DROP`` of its weight dropped."""
        y, w2, ca = self._incidence_weights(_LEVELS[level][0], m)
        _, w2b, cb = self._incidence_weights(_MIDDLE[level], 2 * len(view))
        finite = np.isfinite(w2b)                          # w' = inf: f_inf = 0 at the pair block
        cb = cb[finite]
        S, wS = self._rest(level)
        G = self._message(view, level)
        h = 1 / _MESSAGE[level]
        ell = np.arange(np.log(S.min()), np.log(S.max() + w2b[finite].max()) + h, h)
        V = (S[None, :] + w2b[finite][:, None]).ravel()     # [w', S]
        first, lag = _lagrange((np.log(V) - ell[0]) / h, len(ell))
        lam = np.zeros((len(y), len(ell)))
        for i in range(len(y)):
            if not np.isfinite(w2[i]):
                continue
            weight = cb[:, None] * wS[None, :] * G(S + w2[i])[:, finite].T
            if d:
                weight = weight * gauss_square_sums(self.name, self.beta, w2[i], w2b[finite], S) ** d
            contrib = weight.ravel()[:, None] * lag
            lam[i] = np.bincount((first[:, None] + np.arange(lag.shape[1])).ravel(), contrib.ravel(), len(ell))
        C = ca[:, None] * lam
        keep = significant(np.abs(C).ravel(), _DROP)
        rows, grid = np.divmod(np.flatnonzero(keep), len(ell))
        xi, _ = self._xi(level)
        u = np.sqrt(w2[rows])[:, None] * xi[None, :]
        phi = smoothed(self.name, self.beta, u, np.broadcast_to(np.exp(ell[grid])[:, None], u.shape))
        return C.ravel()[keep], phi / np.sqrt(y[rows])[:, None]

    @memoized
    def _station(self, station, level):
        """``A = Phi^T diag(c) Phi`` (X x X) of a row met on a loop, ``station = (d, sides)``: a row with two ends on
        the loop and one more pair of ends per side loop, whose quadratic forms ``phi_i^T B phi_i`` weigh its
        nodes."""
        d, sides = station
        if not sides:
            return self._matrix(2, d, level)
        c, phi = self._row(2 + 2 * len(sides), d, level)
        for side in sides:
            c = c * np.einsum("ix,xy,iy->i", phi, self._loop_form(side, level), phi, optimize=True)
        return (phi * c[:, None]).T @ phi

    @memoized
    def _loop_form(self, loop, level):
        """``B = Omega A_1 Omega A_2 ... A_n Omega`` of a loop's stations: ``phi^T B phi'`` sums the loop's rows
        out between two ends with vectors phi, phi'."""
        _, omega = self._xi(level)
        M = self._station(loop[0], level)
        for station in loop[1:]:
            M = M @ (omega[:, None] * self._station(station, level))
        return omega[:, None] * M * omega[None, :]

    def _message(self, view, level, three=False):
        """``V -> G(w_k, V)`` for every incidence node k (values ``(len(V), N_w)``) of a block seen from the middle
        row as ``view`` (its loops), :meth:`_messages`; built together with those of the other views the order being
        weighed needs and not yet built (:meth:`_expected_views`): they share the smoothed activations, most of a
        message's cost."""
        tables = self.__dict__.setdefault("_tables", {})
        if (view, level, three) not in tables:
            views = {view} | {v for v in getattr(self, "_expected", {}).get(three, ())
                              if (v, level, three) not in tables}
            tables.update(((v, level, three), t) for v, t in self._messages(sorted(views), level, three).items())
        return tables[view, level, three]

    @memoized
    def _expected_views(self, k):
        """``{three: views}``: the views of blocks whose messages the multi-block shapes of order k read (False: two
        blocks through a row and folded pairs, True: three blocks through a row)."""
        out = {False: set(), True: set()}
        for shape in enumerate_shapes(k):
            if len(shape.blocks) < 2 or not self.covers(shape):
                continue
            through = _through_row(shape)
            if through is not None:
                out[len(through[1]) == 3].update(through[1])
            else:
                (_, va), (_, vb), _ = _folded_pair(shape)
                out[False].update(v for v in (va, vb) if v is not None)
        return out

    def _messages(self, views, level, three):
        """``{view: table}``: per view, ``G = prod_loops Phi^T B_loop Phi`` (:meth:`_loop_form`), ``log G`` against
        ``log V``, a degree-7 spline through ``_MESSAGE[level]`` points a unit on ``[log min S, log max finite V]``
        (G > 0; beyond ``V = 1e32 (1 + w^2)`` the asymptote ``G ~ V^-L``, L loops), 0 at ``V = inf``
        (``f_inf = 0``); ``Phi`` computed once per incidence node for all the views."""
        y, w2, _ = self._incidence_weights((_THREE if three else _MIDDLE)[level], 2)
        w = np.sqrt(w2)
        S, _ = self._rest(level)
        top = S.max() + (2 if three else 1) * np.max(np.where(np.isfinite(w), w, 0.0)) ** 2
        ell = np.arange(np.log(S.min()), np.log(top) + 1 / _MESSAGE[level], 1 / _MESSAGE[level])
        xi, omega = self._xi(level)
        forms = {view: [self._loop_form(loop, level) for loop in view] for view in views}
        V = np.exp(ell)
        logG = {view: np.empty((len(ell), len(w))) for view in views}
        with np.errstate(invalid="ignore", over="ignore"):
            for k in range(len(w)):
                # beyond V = 1e32 (1 + w^2), G V^L is constant to 1e-16 (f_V(u) = f(inf) erf(u/sqrt(2V)) +
                # O(V^-1/2): atan has a 1/sqrt(V) term, :func:`_large_variance`);
                # w = inf: G does not depend on V
                n = len(ell) if np.isinf(w[k]) else np.searchsorted(ell, log(1e32 * (1 + w[k] ** 2))) + 1
                n = min(n, len(ell)) if np.isfinite(w[k]) else 1
                u = np.broadcast_to(w[k] * xi, (n, len(xi)))
                phi = smoothed(self.name, self.beta, u, np.broadcast_to(V[:n, None], u.shape)) / np.sqrt(y[k])
                for view in views:
                    logG[view][:n, k] = sum(np.log(np.sum((phi @ B) * phi, axis=1)) for B in forms[view])
                    slope = 0.0 if np.isinf(w[k]) else -float(len(forms[view]))
                    logG[view][n:, k] = logG[view][n - 1, k] + slope * (ell[n:] - ell[n - 1])
        return {view: _log_table(ell, logG[view]) for view in views}

    def _two_hubs(self, a, b, ends, shape, edges, level):
        """Two rows a, b joined by paths of rows with two ends (a direct factor: an empty path), each perhaps with loops
        back to itself through rows with two ends (:meth:`_legs`):
        ``sum_(i, j) c_i c'_j prod_paths Phi_i Omega M Omega Phi'_j``, M the path's ``A Omega ... A`` (the identity for
        a direct factor, so that m direct factors give ``K_ij^m``, ``K = Phi Omega Phi'^T``), the loops' quadratic
        forms (:meth:`_loops`) multiplying c and c', in tiles of i."""
        _, omega = self._xi(level)
        (ca, pa), (cb, pb) = self._row(ends[a], shape.diag[a], level), self._row(ends[b], shape.diag[b], level)
        loops_a, loops_b, legs = self._legs(a, b, edges)
        ca, cb = ca * self._loops(pa, loops_a, shape, level), cb * self._loops(pb, loops_b, shape, level)
        direct = sum(not path for path in legs)
        paths = [self._chain(path, shape, level) for path in legs if path]
        pa = pa * omega[None, :]
        # K symmetric (no paths, equal rows): the tiles on and above the diagonal, those above twice
        same = not paths and np.array_equal(ca, cb)
        per = max(1, _TILE // len(cb))
        total = 0.0
        for lo in range(0, len(ca), per):
            hi = lo + per
            if same:
                K = pa[lo:hi] @ pb[lo:].T
                part = (K ** direct) @ cb[lo:]
                total += 2 * float(ca[lo:hi] @ part) - float(ca[lo:hi] @ (K[:, :hi - lo] ** direct @ cb[lo:hi]))
                continue
            P = (pa[lo:hi] @ pb.T) ** direct
            for B in paths:
                P *= (pa[lo:hi] / omega[None, :]) @ B @ pb.T
            total += float(ca[lo:hi] @ P @ cb)
        return total

    def _triangle(self, rows, shape, level):
        """Three rows with four ends, each two joined by two factors:
        ``sum_(i, j, k) c_i c'_j c''_k K_ij^2 K_jk^2 K_ki^2``.

        With ``u_i = Omega^(1/2) phi_i``, ``K_ij = u_i . u_j``; projected on the leading right singular vectors of
        ``(sqrt(c + c' + c'') u)`` (N x X), those whose squared singular values are above ``_RANK[level]`` of the first,
        ``u_i -> a_i`` (r coordinates), ``K_ij^2 = <psi_i, psi_j>`` (:meth:`_squares`) and the weight is
        ``tr(H H' H'')``, ``H = sum_i c_i psi_i psi_i^T``: cost ``N r^4/4`` instead of ``N^3``.  The coarse level's rank
        is the smaller, so that the change between the levels carries the truncation's effect."""
        _, omega = self._xi(level)
        diags = [shape.diag[r] for r in rows]
        cs = [self._row(4, d, level)[0] for d in diags]
        _, phi = self._row(4, 0, level)
        u = phi * np.sqrt(omega)[None, :]
        _, s, vt = np.linalg.svd(np.sqrt(sum(cs))[:, None] * u, full_matrices=False)
        a = u @ vt[:int(np.sum(s * s >= _RANK[level] * s[0] ** 2))].T
        H = {d: self._squares(a, c) for d, c in dict(zip(diags, cs)).items()}   # rows differ by their diagonal factors
        H0, H1, H2 = (H[d] for d in diags)
        return float(np.sum((H0 @ H1) * H2))

    @staticmethod
    def _squares(a, c):
        """``H = sum_i c_i psi_i psi_i^T`` (c > 0), ``psi_i`` the symmetric vectorisation of ``a_i a_i^T`` (the entries
        on and above the diagonal, those above times sqrt 2), so that ``<psi_i, psi_j> = (a_i . a_j)^2``; in tiles of
        i."""
        p, q = np.triu_indices(a.shape[1])
        scale = np.where(p == q, 1.0, sqrt(2))
        H = np.zeros((len(p), len(p)))
        per = max(1, _TILE // len(p))
        for lo in range(0, len(c), per):
            psi = a[lo:lo + per, p] * a[lo:lo + per, q] * (scale[None, :] * np.sqrt(c[lo:lo + per])[:, None])
            H += psi.T @ psi
        return H
