"""Quadrature rules on the positive orthant of frequencies, cut along kink hyperplanes (MATH.md §4).

The Fourier method (:mod:`.fourier`) integrates a row's frequencies ``xi in (0, inf)^n``
(n <= 3) against products of sine measures.  Its integrands are smooth except at the origin,
at the coordinate hyperplanes (the ``1/xi`` singularity of mu, cancelled by the odd sum
over signs) and on hyperplanes ``s . xi = 0`` through the origin (kinks of ``|u|^alpha``).
Writing ``xi = r v`` with ``v`` on the simplex ``sum v = 1`` (``d xi = r^(n-1) dr dv``):

* r by the double-exponential rule ``r = beta exp(t - e^-t)`` on an integer grid ``t = j h``
  between ``r_lo`` and ``r_hi`` (for integrands decaying exponentially at infinity and
  algebraically singular at 0: doubly exponential at both ends);
* v by tanh–sinh on the cells into which the hyperplanes cut the simplex (segments for
  n = 2; for n = 3 convex polygons, fan-triangulated, in Duffy coordinates), with the
  nodes written as convex combinations of the cells' vertices so that they stay inside.

Every singularity then sits on a cell's boundary, where tanh–sinh keeps its double
exponential convergence.  Halving ``h`` in both rules gives the second level of the
error estimate.
"""

import numpy as np

from .cube_forms import split_polygon
from .quadrature import tanh_sinh

__all__ = ["radial_rule", "simplex_rule"]


def radial_rule(h, beta, r_lo, r_hi):
    """``(r, weights)``: nodes ``r = beta exp(t - e^-t)`` in ``[r_lo, r_hi]`` on the grid ``t = j h``."""
    t_lo = -np.log(-np.log(r_lo / beta))          # r_lo << beta: t - e^-t ~ -e^-t
    t_hi = np.log(r_hi / beta) + 1.0
    t = np.arange(np.floor(t_lo / h), np.ceil(t_hi / h) + 1) * h
    r = beta * np.exp(t - np.exp(-t))
    return r, h * (1 + np.exp(-t)) * r


def simplex_rule(n, cuts, h, T=3.0):
    """``(v, weights)``: nodes on the simplex ``{v >= 0, sum v = 1}`` (shape ``(N, n)``), the
    cells cut along the hyperplanes ``s . v = 0`` for each ``s`` in ``cuts``; weights with
    respect to ``dv_1 .. dv_(n-1)``."""
    x, xc, logw = tanh_sinh(h, T=T)
    w = np.exp(logw)
    if n == 1:
        return np.ones((1, 1)), np.ones(1)
    if n == 2:
        pts = sorted({0.0, 1.0} | {s[0] / (s[0] - s[1]) for s in cuts
                                   if s[0] != s[1] and 0 < s[0] / (s[0] - s[1]) < 1})
        vs, ws = [], []
        for a, b in zip(pts[:-1], pts[1:]):
            pa, pb = np.array([1 - a, a]), np.array([1 - b, b])
            vs.append(np.outer(xc, pa) + np.outer(x, pb))
            ws.append((b - a) * w)
        return np.concatenate(vs), np.concatenate(ws)
    if n == 3:
        cells = [[np.array(p, dtype=float) for p in ((1, 0), (0, 1), (0, 0))]]
        for s in cuts:
            b, a = s[2], np.array([s[0] - s[2], s[1] - s[2]], dtype=float)
            if np.any(a != 0):
                cells = [piece for poly in cells for piece in split_polygon(poly, b, a)]
        vs, ws = [], []
        U, W = x[:, None], x[None, :]
        Uc, Wc = xc[:, None], xc[None, :]
        for poly in cells:
            for j in range(1, len(poly) - 1):
                p0, p1, p2 = (_bary(p) for p in (poly[0], poly[j], poly[j + 1]))
                det = abs((poly[j][0] - poly[0][0]) * (poly[j + 1][1] - poly[j][1])
                          - (poly[j][1] - poly[0][1]) * (poly[j + 1][0] - poly[j][0]))
                if det < 1e-14:
                    continue
                coef = [Uc, U * Wc, U * W]
                v = sum(c[..., None] * p for c, p in zip(coef, (p0, p1, p2)))
                vs.append(v.reshape(-1, 3))
                ws.append((det * w[:, None] * w[None, :] * U).reshape(-1))
        return np.concatenate(vs), np.concatenate(ws)
    raise ValueError("simplex rules are implemented for n <= 3")


def _bary(p):
    return np.array([p[0], p[1], max(1.0 - p[0] - p[1], 0.0)])
