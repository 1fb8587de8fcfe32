"""Block integrals of alpha-stable models with f = sin, any pair graph: a Nyström rule in the weights.

A block of the sin expansion (:mod:`momentck.numeric.sinweights`) is

    I_B = int prod_a nu(dw_a) exp(-lambda_a w_a^2) prod_{(a,b)} sinh(b w_a w_b)^{m_ab},

``lambda_a = b (o_a/2 + 2 i_a)`` (``o_a`` off-diagonal factors at a).  With ``v = sqrt(b) w``
and the damping ``b o_a/2`` shared out over the pairs, every pair factor becomes

    P(v, v')^m,   P(v, v') = exp(-(v^2 + v'^2)/2) sinh(v v') = exp(-(v - v')^2/2) (1 - exp(-2 v v'))/2,

bounded by 1/2 and analytic, each row keeps ``2 c_alpha v^(-1-alpha) exp(-mu_a v^2) dv``,
``mu_a = lambda_a/b - o_a/2 = 2 i_a >= 0``, and ``I_B = b^(R alpha/2) x`` (the same with b = 1),
R rows.  So I_B is a graph-homomorphism sum over one node set per row (``numpy.einsum``).
In the inputs' picture (conditioning on the shared inputs, :mod:`.sin_cycles`) the kernel
``|x + y|^alpha - |x - y|^alpha`` has a kink on the diagonal; here nothing is singular:

* nodes ``v = log(1 + e^t)`` (analytic in the strip ``|Im t| < pi``), trapezoid rule in t on
  ``[-39/(2 - alpha), 80]`` (near 0 the integrand is at most ``e^((2 - alpha) t)``): geometric
  convergence, measured 1e-15 at step 1/4 (``39/(2 - alpha)/h`` nodes below 0: alpha up to
  _MAX_ALPHA);
* the ridge ``v_a ~ V -> infinity`` (all rows large together, the pairs keeping them within O(1))
  decays only like ``V^(-R(1 + alpha))``.  Beyond ``W = 80`` it is, to leading order,

      (2 c_alpha)^R 2^-M (2 pi)^((R-1)/2) T^(-1/2) W^(1 - R(1+alpha)) / (R(1 + alpha) - 1),

  ``M = sum m_ab``, T the weighted spanning-tree count (the determinant of the reduced
  Laplacian with weights ``m_ab``; a Gaussian integral over the rows' offsets); it is added,
  and a quarter of it counted as error (it reproduces the cut of the 3-cycle at alpha = 0.3,
  1.6e-6 relative, to 2.5%).  Zero when some ``mu_a > 0``.

Error estimate: the change from step 2h to h (h = 1/4 over the square root of the largest
multiplicity), the tail's quarter and 1e-13 relative (float64).
Checked against the ordering-cone integrals of :mod:`.sin_cycles` (3- and 4-cycles) and the
float64 cover quadrature of :mod:`.stable_sin`.
"""

from math import log, pi, sqrt

import numpy as np
from scipy.special import expit

from ..errors import NotCovered

__all__ = ["nystrom_block"]

_TOP = 80.0
_MAX_ALPHA = 1.9


def _rule(alpha, h):
    """Nodes ``v = log(1 + e^t)`` on ``t in [-39/(2 - alpha), _TOP]`` and the log of ``dv/v``
    (trapezoid weights in t; ``log(expit(t)/v)`` stays accurate as t -> -inf, where v ~ e^t)."""
    t = np.arange(-39.0 / (2 - alpha), _TOP + h / 2, h)
    v = np.logaddexp(0.0, t)
    return v, log(h) + np.log(expit(t)) - np.log(v)


def _einsum(rows, pairs, mus, alpha, c_alpha, h):
    """The block at step h.  Each row's weight ``2c v^(o_a - alpha) dv/v`` carries the powers
    ``v^(o_a)`` of its pairs, whose factors become ``P(v, v')/(v v')`` (at most 1/2)."""
    v, logdv = _rule(alpha, h)
    off = dict.fromkeys(rows, 0)
    for (a, b), m in pairs.items():
        off[a] += m
        off[b] += m
    x = np.maximum(np.multiply.outer(v, v), 1e-300)
    d = v[:, None] - v[None, :]
    P = np.exp(-d * d / 2) * (-np.expm1(-2 * x) / (2 * x))
    letters = dict(zip(rows, "abcdefghijklmnopqrstuvwxyz"))
    placed, subs, ops = set(), [], []
    for (a, b), m in pairs.items():
        mat = P ** m
        for r, axis in ((a, 0), (b, 1)):
            if r not in placed:  # the row's weight goes into its first pair matrix
                placed.add(r)
                wt = 2 * c_alpha * np.exp(logdv + (off[r] - alpha) * np.log(v) - mus[r] * v * v)
                mat = mat * (wt[:, None] if axis == 0 else wt[None, :])
        subs.append(letters[a] + letters[b])
        ops.append(mat)
    return float(np.einsum(",".join(subs) + "->", *ops, optimize="optimal"))


def _ridge(rows, pairs, alpha, c_alpha):
    """The leading term of the block beyond v = _TOP (all rows large together)."""
    index = {a: i for i, a in enumerate(rows)}
    R, M = len(rows), sum(pairs.values())
    lap = np.zeros((R, R))
    for (a, b), m in pairs.items():
        i, j = index[a], index[b]
        lap[i, i] += m
        lap[j, j] += m
        lap[i, j] -= m
        lap[j, i] -= m
    trees = np.linalg.det(lap[1:, 1:])
    p = R * (1 + alpha) - 1
    return ((2 * c_alpha) ** R * 2.0 ** -M * (2 * pi) ** ((R - 1) / 2) / sqrt(trees)
            * np.exp(-p * log(_TOP)) / p)


def nystrom_block(rows, pairs, lams, alpha, b, c_alpha):
    """``(I_B, error)`` as floats for rows, pairs ``{(a, b): m}`` and ``lams {a: lambda_a}``.

    Examples
    --------
    A two-row block (row 0 damped by a diagonal factor) against its closed form
    (:meth:`StableSinWeights.two_rows`):

    >>> from momentck import Model
    >>> from momentck.numeric.stable_sin import StableSinWeights
    >>> w = StableSinWeights(Model("stable(alpha=3/2)", "normal", "sin"))
    >>> value, err = nystrom_block([0, 1], {(0, 1): 2}, {0: 3, 1: 1}, 1.5, 1.0, float(w.c_alpha))
    >>> abs(value - float(w.two_rows(3, 1, 2))) < err < 1e-12
    True
    """
    alpha, b, c_alpha = float(alpha), float(b), float(c_alpha)
    off = dict.fromkeys(rows, 0)
    for (a, bb), m in pairs.items():
        off[a] += m
        off[bb] += m
    mus = {a: float(lams[a]) / b - off[a] / 2 for a in rows}
    if min(mus.values()) < -1e-12:
        raise ValueError("a block's damping is below half its off-diagonal factors")
    mus = {a: max(mu, 0.0) for a, mu in mus.items()}
    if alpha > _MAX_ALPHA:
        raise NotCovered(f"stable weights with sin: blocks beyond two-row covers need alpha <= {_MAX_ALPHA} "
                         "(the Nyström rule's nodes grow like 1/(2 - alpha))")
    # the narrowest ridge, exp(-m (v - v')^2/2), sets the step
    h = 0.25 / sqrt(max(pairs.values()))
    fine = _einsum(rows, pairs, mus, alpha, c_alpha, h)
    coarse = _einsum(rows, pairs, mus, alpha, c_alpha, 2 * h)
    tail = _ridge(rows, pairs, alpha, c_alpha) if max(mus.values()) == 0 else 0.0
    scale = b ** (len(rows) * alpha / 2)
    value = fine + tail
    return value * scale, (abs(fine - coarse) + tail / 4 + 1e-13 * abs(value)) * scale
