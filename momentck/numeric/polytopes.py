"""Convex 3-D polytopes cut along planes, tetrahedralised, with endpoint-robust cubature (MATH.md §4).

Integrands that are smooth except on a few planes (kinks ``|s . v|^alpha``, algebraic
singularities) are integrated by cutting the domain along every such plane into convex cells,
so that each singular plane only bounds cells, splitting each cell into tetrahedra, and
applying on each tetrahedron a tensor tanh–sinh rule in collapsed (Duffy) coordinates

    v = (1 - u) p_0 + u (1 - w) p_1 + u w (1 - z) p_2 + u w z p_3,   dv = 6 |T| u^2 w du dw dz,

with the nodes written as convex combinations of the vertices (they stay inside, and a
linear form vanishing on a face is exactly a product of the Duffy coordinates there).  Every
face of a tetrahedron is a coordinate face of the cube, where tanh–sinh keeps its double
exponential convergence.  A polytope is its array of vertices (``(m, 3)``); cutting keeps the
vertices on each side and the points where segments between opposite vertices cross the plane
(the extra points inside are dropped by the convex hull).

Examples
--------
>>> cube = np.array([[x, y, z] for x in (0., 1.) for y in (0., 1.) for z in (0., 1.)])
>>> pieces = split_polytope(cube, -0.5, np.array([1.0, 1.0, 1.0]))   # x + y + z = 1/2
>>> sorted(len(p) for p in pieces)
[4, 10]
>>> v, w = tetrahedron_rule(np.concatenate([tetrahedra(p) for p in pieces]), 1 / 5)
>>> bool(abs(w.sum() - 1.0) < 1e-12 and abs(w @ v[:, 0] - 0.5) < 1e-12)
True
"""

import numpy as np
from scipy.spatial import ConvexHull, Delaunay, QhullError

from .quadrature import tanh_sinh

__all__ = ["split_polytope", "tetrahedra", "tetrahedron_rule"]

_SNAP = 1e-12


def _extreme(points):
    """The vertices of the convex hull of ``points``, or None when it is flat."""
    points = np.unique(np.round(points, 14), axis=0)
    if len(points) < 4:
        return None
    try:
        hull = ConvexHull(points)
    except QhullError:
        return None
    if hull.volume < 1e-13:
        return None
    # qhull's triangulated output may list points inside a face or an edge: keep the points where the
    # facets' planes through them span three directions
    idx = hull.vertices
    on = np.abs(points[idx] @ hull.equations[:, :3].T + hull.equations[:, 3]) < 1e-12
    keep = [np.linalg.matrix_rank(hull.equations[row, :3], tol=1e-9) == 3 for row in on]
    return points[idx[keep]]


def split_polytope(vertices, b, a):
    """The pieces of the convex polytope ``vertices`` on either side of the plane ``b + a . y = 0``."""
    vals = b + vertices @ a
    vals[np.abs(vals) < _SNAP] = 0.0
    if np.all(vals >= 0) or np.all(vals <= 0):
        return [vertices]
    pos, neg = vals > 0, vals < 0
    P, N = vertices[pos], vertices[neg]
    sp, sn = vals[pos][:, None, None], vals[neg][None, :, None]
    cross = (P[:, None, :] + (N[None, :, :] - P[:, None, :]) * sp / (sp - sn)).reshape(-1, 3)
    on = vertices[vals == 0]
    pieces = (_extreme(np.concatenate([P, on, cross])), _extreme(np.concatenate([N, on, cross])))
    return [p for p in pieces if p is not None]


def tetrahedra(vertices):
    """A tetrahedralisation of the convex polytope ``vertices``: array ``(T, 4, 3)`` (flat ones dropped)."""
    tets = vertices[Delaunay(vertices).simplices]
    vol = np.abs(np.linalg.det(tets[:, 1:] - tets[:, :1]))
    return tets[vol > 1e-14]


def tetrahedron_rule(tets, h, T=3.0):
    """``(nodes (N, 3), weights)``: tanh–sinh with step h in Duffy coordinates on each tetrahedron.

    The nodes are the barycentric combinations of the vertices, so a rule for the tetrahedra's
    images under an affine map (e.g. onto the simplex ``sum v = 1`` in one more coordinate) is
    ``nodes_lifted = barycentric @ vertices_lifted``; :func:`barycentric_rule` returns those."""
    lam, w = barycentric_rule(h, T)
    vol = np.abs(np.linalg.det(tets[:, 1:] - tets[:, :1]))
    nodes = np.einsum("nk,tkd->tnd", lam, tets).reshape(-1, 3)
    return nodes, (vol[:, None] * w[None, :]).reshape(-1)


def barycentric_rule(h, T=3.0):
    """``(lambda (N, 4), weights)``: the Duffy tanh–sinh rule in barycentric coordinates, the weights
    summing to 1/6 (multiply by ``|det(p_1 - p_0, p_2 - p_0, p_3 - p_0)|`` for a tetrahedron)."""
    x, xc, logw = tanh_sinh(h, T=T)
    wx = np.exp(logw)
    U, W, Z = np.meshgrid(x, x, x, indexing="ij")
    Uc, Wc, Zc = np.meshgrid(xc, xc, xc, indexing="ij")
    lam = np.stack([Uc, U * Wc, U * W * Zc, U * W * Z], axis=-1).reshape(-1, 4)
    w = (wx[:, None, None] * wx[None, :, None] * wx[None, None, :] * U * U * W).reshape(-1)
    return lam, w
