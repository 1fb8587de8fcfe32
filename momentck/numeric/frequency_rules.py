"""Quadrature rules on the positive orthant of frequencies, cut along kink hyperplanes (MATH.md §4).

The Fourier method (:mod:`.fourier`) integrates a row's frequencies ``xi in (0, inf)^n``
(n <= 4) against products of sine measures.  Its integrands are smooth except at the origin,
at the coordinate hyperplanes (the ``1/xi`` singularity of mu, cancelled by the odd sum
over signs) and on hyperplanes ``s . xi = 0`` through the origin (kinks of ``|u|^alpha``).
Writing ``xi = r v`` with ``v`` on the simplex ``sum v = 1`` (``d xi = r^(n-1) dr dv``):

* r by the double-exponential rule ``r = beta exp(t - e^-t)`` on an integer grid ``t = j h``
  between ``r_lo`` and ``r_hi`` (for integrands decaying exponentially at infinity and
  algebraically singular at 0: doubly exponential at both ends);
* v by tanh–sinh on the cells into which the hyperplanes cut the simplex (segments for
  n = 2; for n = 3 convex polygons, fan-triangulated, in Duffy coordinates; for n = 4 convex
  polyhedra, tetrahedralised, in Duffy coordinates, :mod:`.polytopes`), with the nodes
  written as convex combinations of the cells' vertices so that they stay inside.

Every singularity then sits on a cell's boundary, where tanh–sinh keeps its double
exponential convergence.  Halving ``h`` in both rules gives the second level of the
error estimate.  An integrand invariant under a group G of coordinate permutations is
integrated over one fundamental domain, the Dirichlet cell ``{v : v . (p - g p) >= 0, g in G}``
of ``p = (n, n - 1, .., 1)`` (no permutation fixes p), and multiplied by ``|G|``.

Examples
--------
>>> v, w = simplex_rule(4, ((1, 1, -1, -1),), 1 / 4)     # the 3-simplex has volume 1/6
>>> bool(abs(w.sum() - 1 / 6) < 1e-10)
True
>>> d = symmetric_domain(4, [(1, 0, 2, 3), (0, 1, 3, 2), (2, 3, 0, 1)])   # a group of order 8
>>> v, w = simplex_rule(4, ((1, 1, -1, -1),), 1 / 4, d)
>>> bool(abs(8 * w.sum() - 1 / 6) < 1e-10)
True
"""

from functools import lru_cache
from itertools import permutations

import numpy as np

from .cube_forms import split_polygon
from .polytopes import barycentric_rule, split_polytope, tetrahedra
from .quadrature import tanh_sinh

__all__ = ["radial_rule", "simplex_rule", "symmetric_domain", "symmetries"]


def radial_rule(h, beta, r_lo, r_hi):
    """``(r, weights)``: nodes ``r = beta exp(t - e^-t)`` in ``[r_lo, r_hi]`` on the grid ``t = j h``."""
    t_lo = -np.log(-np.log(r_lo / beta))          # r_lo << beta: t - e^-t ~ -e^-t
    t_hi = np.log(r_hi / beta) + 1.0
    t = np.arange(np.floor(t_lo / h), np.ceil(t_hi / h) + 1) * h
    r = beta * np.exp(t - np.exp(-t))
    return r, h * (1 + np.exp(-t)) * r


def symmetries(n, invariant):
    """The permutations ``g`` of ``range(n)`` (as tuples, ``g[i]`` the image of i) with ``invariant(g)``."""
    return [g for g in permutations(range(n)) if invariant(g)]


def symmetric_domain(n, group):
    """The half-spaces ``d . v >= 0`` (tuple of ``d``) cutting out a fundamental domain of ``group``."""
    p = np.arange(n, 0, -1)
    out = []
    for g in group:
        gp = np.empty(n, dtype=int)
        gp[list(g)] = p                     # (g p)_{g(i)} = p_i
        if np.any(gp != p):
            out.append(tuple(int(x) for x in p - gp))
    return tuple(sorted(set(out)))


@lru_cache(maxsize=64)
def simplex_rule(n, cuts, h, domain=(), T=3.0):
    """``(v, weights)``: nodes on the simplex ``{v >= 0, sum v = 1}`` (shape ``(N, n)``), the
    cells cut along the hyperplanes ``s . v = 0`` for each ``s`` in ``cuts``, restricted to
    ``d . v >= 0`` for each ``d`` in ``domain``; weights with respect to ``dv_1 .. dv_(n-1)``.
    Cached (read-only arrays): the rules depend only on ``(n, cuts, h, domain)``."""
    cuts, domain = tuple(map(tuple, cuts)), tuple(map(tuple, domain))
    v, w = _RULES[n](cuts, h, domain, T) if n in _RULES else _unsupported(n)
    v.setflags(write=False)
    w.setflags(write=False)
    return v, w


def _unsupported(n):
    raise ValueError(f"simplex rules are implemented for n <= 4, not {n}")


def _segment(cuts, h, domain, T):
    x, xc, logw = tanh_sinh(h, T=T)
    w = np.exp(logw)
    lo, hi = 0.0, 1.0
    for d in domain:   # d . (1 - a, a) >= 0
        if d[0] != d[1]:
            a0 = d[0] / (d[0] - d[1])
            lo, hi = (max(lo, a0), hi) if d[1] > d[0] else (lo, min(hi, a0))
    pts = sorted({lo, hi} | {s[0] / (s[0] - s[1]) for s in cuts
                             if s[0] != s[1] and lo < s[0] / (s[0] - s[1]) < hi})
    vs, ws = [], []
    for a, b in zip(pts[:-1], pts[1:]):
        pa, pb = np.array([1 - a, a]), np.array([1 - b, b])
        vs.append(np.outer(xc, pa) + np.outer(x, pb))
        ws.append((b - a) * w)
    return np.concatenate(vs), np.concatenate(ws)


def _affine(s):
    """``s . v`` on the simplex as ``b + a . y`` in the first ``n - 1`` coordinates ``y``."""
    s = np.asarray(s, dtype=float)
    return s[-1], s[:-1] - s[-1]


def _keep(pieces, d):
    b, a = _affine(d)
    return [p for p in pieces if b + a @ np.mean(p, axis=0) > 0]


def _cells(simplex, split, cuts, domain):
    """The convex cells of ``simplex`` (in the first n - 1 coordinates) inside ``domain``, cut along
    ``cuts``; ``split(cell, b, a)`` cuts one cell along ``b + a . y = 0``."""
    cells = [simplex]
    for d in domain:
        cells = _keep([piece for c in cells for piece in split(c, *_affine(d))], d)
    for s in cuts:
        b, a = _affine(s)
        if np.any(a != 0):
            cells = [piece for c in cells for piece in split(c, b, a)]
    return cells


def _triangle(cuts, h, domain, T):
    x, xc, logw = tanh_sinh(h, T=T)
    w = np.exp(logw)
    cells = _cells([np.array(p, dtype=float) for p in ((1, 0), (0, 1), (0, 0))], split_polygon, cuts, domain)
    vs, ws = [], []
    U, W = x[:, None], x[None, :]
    Uc, Wc = xc[:, None], xc[None, :]
    for poly in cells:
        for j in range(1, len(poly) - 1):
            p0, p1, p2 = (_lift(p) for p in (poly[0], poly[j], poly[j + 1]))
            det = abs((poly[j][0] - poly[0][0]) * (poly[j + 1][1] - poly[j][1])
                      - (poly[j][1] - poly[0][1]) * (poly[j + 1][0] - poly[j][0]))
            if det < 1e-14:
                continue
            coef = [Uc, U * Wc, U * W]
            v = sum(c[..., None] * p for c, p in zip(coef, (p0, p1, p2)))
            vs.append(v.reshape(-1, 3))
            ws.append((det * w[:, None] * w[None, :] * U).reshape(-1))
    return np.concatenate(vs), np.concatenate(ws)


def _tetrahedron(cuts, h, domain, T):
    cells = _cells(np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=float), split_polytope, cuts, domain)
    tets = np.concatenate([tetrahedra(c) for c in cells])
    lam, w = barycentric_rule(h, T)
    det = np.abs(np.linalg.det(tets[:, 1:] - tets[:, :1]))
    lifted = np.concatenate([tets, np.clip(1 - tets.sum(axis=2, keepdims=True), 0, None)], axis=2)
    v = np.einsum("nk,tkd->tnd", lam, lifted).reshape(-1, 4)
    return v, (det[:, None] * w[None, :]).reshape(-1)


def _lift(p):
    return np.array([p[0], p[1], max(1.0 - p[0] - p[1], 0.0)])


_RULES = {1: lambda cuts, h, domain, T: (np.ones((1, 1)), np.ones(1)),
          2: _segment, 3: _triangle, 4: _tetrahedron}
