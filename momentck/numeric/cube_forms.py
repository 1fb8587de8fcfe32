"""``E prod_i |c_i . x|^(p_i)`` for x uniform on the cube ``[-sqrt 3, sqrt 3]^D``, D <= 4 (MATH.md §4).

The integrand is homogeneous of degree ``P = sum_i p_i``, so splitting the cube into the
pyramids from the origin over its facets (height ``h = sqrt 3``) and integrating the
radius in closed form,

    E g = h / ((P + D) (2h)^D) sum_facets int_facet g,

and the central symmetry ``g(-x) = g(x)`` pairs opposite facets.  On a facet the forms are
affine in ``D - 1 <= 3`` variables: the facet is cut along their zero sets into convex
cells (a segment's pieces, polygons split line by line, or for D = 4 polyhedra split plane
by plane with :mod:`.polytopes`), each cell triangulated (tetrahedralised), and every
simplex integrated by a tensor tanh–sinh rule in Duffy coordinates, with the forms
written in barycentric coordinates so that their zeros on the cells' faces are exact:
the integrand is smooth inside each cell and only algebraically singular on its boundary,
where tanh–sinh keeps its double-exponential convergence.  The error is the difference
between steps 1/8 and 1/16 (D = 4: 1/6 and 1/12), plus float64 roundoff.
"""

import math
from functools import lru_cache
from itertools import permutations, product

import numpy as np

from ..errors import NotCovered
from .polytopes import barycentric_rule, split_polytope, tetrahedra
from .quadrature import tanh_sinh

__all__ = ["cube_form_moment", "split_polygon"]

H = math.sqrt(3.0)
_SNAP = 1e-12


def cube_form_moment(forms):
    """``(value, error)`` of ``E prod |c . x|^p``; ``forms`` lists ``(coefficients, p)``, p > 0.

    Examples
    --------
    >>> v, e = cube_form_moment([((1.0, 1.0), 1.0)])   # E|x_1 + x_2| = 2 sqrt 3 / 3
    >>> abs(v - 2 * 3 ** 0.5 / 3) < 1e-13
    True
    """
    coefs = np.array([c for c, _ in forms], dtype=float)
    powers = np.array([p for _, p in forms], dtype=float)
    key = _orbit_key(coefs[:, np.any(coefs != 0, axis=0)], powers)
    return _cached(key)


def _orbit_key(coefs, powers):
    """The least form list over the cube's symmetries (permuting and negating inputs, negating forms):
    ``E g`` is the same on the whole orbit, so blocks that differ by them are integrated once."""
    D = coefs.shape[1]
    best = None
    for perm in permutations(range(D)):
        for signs in product((1.0, -1.0), repeat=D):
            m = coefs[:, perm] * signs
            lead = np.array([row[np.nonzero(row)[0][0]] if np.any(row) else 1.0 for row in m])
            key = tuple(sorted(zip(map(tuple, m * np.sign(lead)[:, None]), powers)))
            best = key if best is None or key < best else best
    return best


@lru_cache(maxsize=4096)
def _cached(key):
    return _moment(np.array([c for c, _ in key]), np.array([p for _, p in key]))


def _moment(coefs, powers):
    """:func:`cube_form_moment` over all ``D = coefs.shape[1]`` inputs (zero columns kept)."""
    D, P = coefs.shape[1], powers.sum()
    if D > 4:
        raise NotCovered("uniform inputs: expectations over more than four shared inputs are not implemented")
    if D == 1:
        return float(np.prod(np.abs(coefs[:, 0]) ** powers) * H ** P / (P + 1)), 0.0
    levels = []
    for step in ((1 / 6, 1 / 12) if D == 4 else (1 / 8, 1 / 16)):
        rule = barycentric_rule(step, T=3.5) if D == 4 else tanh_sinh(step, T=3.5)
        facet = _solid_facet if D == 4 else _facet
        total = sum(facet(coefs, powers, i, rule) for i in range(D))
        levels.append(2 * total * H / ((P + D) * (2 * H) ** D))
    return float(levels[1]), float(abs(levels[1] - levels[0]) + 1e-14 * abs(levels[1]))


def _facet(coefs, powers, i, rule):
    """``int g`` over the facet ``x_i = h``: forms ``a0 + A y`` in the other coordinates."""
    a0 = coefs[:, i] * H
    A = np.delete(coefs, i, axis=1)
    if A.shape[1] == 1:
        return _segment(a0, A[:, 0], powers, rule)
    square = [np.array(v, dtype=float) for v in ((-H, -H), (H, -H), (H, H), (-H, H))]
    cells = [square]
    for k in range(len(a0)):
        if np.any(A[k] != 0):
            cells = [piece for poly in cells for piece in split_polygon(poly, a0[k], A[k])]
    return sum(_triangle(poly[0], poly[j], poly[j + 1], a0, A, powers, rule)
               for poly in cells for j in range(1, len(poly) - 1))


def _solid_facet(coefs, powers, i, rule):
    """``int g`` over the 3-D facet ``x_i = h`` of the 4-cube, cut into convex polyhedra along the forms'
    zero planes and tetrahedralised; ``rule`` is :func:`.polytopes.barycentric_rule`'s."""
    a0 = coefs[:, i] * H
    A = np.delete(coefs, i, axis=1)
    cells = [np.array([[x, y, z] for x in (-H, H) for y in (-H, H) for z in (-H, H)])]
    for k in range(len(a0)):
        if np.any(A[k] != 0):
            cells = [piece for cell in cells for piece in split_polytope(cell, a0[k], A[k])]
    tets = np.concatenate([tetrahedra(cell) for cell in cells])
    vert = a0[None, None, :] + tets @ A.T  # (T, 4 vertices, forms)
    vert[np.abs(vert) < _SNAP] = 0.0
    lam, w = rule
    vol = np.abs(np.linalg.det(tets[:, 1:] - tets[:, :1]))
    total = 0.0
    for t in range(len(tets)):
        vals = np.abs(lam @ vert[t])  # (nodes, forms): exact zeros on the tetrahedron's faces
        total += vol[t] * (w @ np.prod(vals ** powers[None, :], axis=1))
    return total


def _segment(a0, a, powers, rule):
    u, uc, logw = rule
    w = np.exp(logw)
    cuts = sorted({-H, H} | {-b / s for b, s in zip(a0, a) if s and -H < -b / s < H})
    total = 0.0
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        vlo, vhi = a0 + a * lo, a0 + a * hi
        vlo[np.abs(vlo) < _SNAP], vhi[np.abs(vhi) < _SNAP] = 0.0, 0.0
        vals = np.abs(np.outer(vlo, uc) + np.outer(vhi, u))  # barycentric: exact zeros at the ends
        total += (hi - lo) * np.sum(w * np.prod(vals ** powers[:, None], axis=0))
    return total


def split_polygon(poly, b, a):
    """The pieces of a convex polygon on either side of the line ``b + a . y = 0``."""
    vals = [b + a @ v for v in poly]
    vals = [0.0 if abs(s) < _SNAP else s for s in vals]
    if all(s >= 0 for s in vals) or all(s <= 0 for s in vals):
        return [poly]
    pos, neg = [], []
    n = len(poly)
    for j in range(n):
        v, s = poly[j], vals[j]
        w, t = poly[(j + 1) % n], vals[(j + 1) % n]
        if s >= 0:
            pos.append(v)
        if s <= 0:
            neg.append(v)
        if s * t < 0:
            x = v + (w - v) * (s / (s - t))
            pos.append(x)
            neg.append(x)
    return [p for p in (pos, neg) if len(p) >= 3]


def _triangle(v0, v1, v2, a0, A, powers, rule):
    """Duffy coordinates ``x = v0 + u (v1 - v0) + u w (v2 - v1)``; Jacobian ``u |det|``."""
    det = abs((v1[0] - v0[0]) * (v2[1] - v1[1]) - (v1[1] - v0[1]) * (v2[0] - v1[0]))
    if det < 1e-14:
        return 0.0
    u, uc, logw = rule
    w = np.exp(logw)
    vert = [a0 + A @ v for v in (v0, v1, v2)]
    for v in vert:
        v[np.abs(v) < _SNAP] = 0.0
    U, W = u[:, None], u[None, :]
    Uc, Wc = uc[:, None], uc[None, :]
    f = np.ones((len(u), len(u)))
    for k, p in enumerate(powers):
        f *= np.abs(vert[0][k] * Uc + U * (vert[1][k] * Wc + vert[2][k] * W)) ** p
    return det * np.sum(w[:, None] * w[None, :] * U * f)
