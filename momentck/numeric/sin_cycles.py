"""Cycle blocks of alpha-stable models with f = sin: high-precision evaluations.

A block whose pairs form one cycle ``a_1 - a_2 - ... - a_L - a_1`` (multiplicities 1)
is, after conditioning every factor on its shared input ``x_t ~ N(0, 1)``
(``sinh(b w w') e^{-b(w^2 + w'^2)/2} = E_x sin(beta w x) sin(beta w' x)``), the
expectation of a cyclic product of row kernels

    J_a(x, y) = int nu(dw) exp(-mu_a w^2) sin(beta w x) sin(beta w y),
    mu_a = lambda_a - b      (b = beta^2; each row has two factors in the block),

so ``I_B = E[J_1(x_L, x_1) J_2(x_1, x_2) ... J_L(x_{L-1}, x_L)]``.

* **Hermite trace** (some ``mu_a > 0``).  In the orthonormal Hermite basis,
  ``J_a`` has the matrix ``s_n s_m G^a_{nm}`` (n, m odd, ``s_n = (-1)^((n-1)/2)``) with
  ``G^a_{nm} = c_alpha Gamma((n+m-alpha)/2) lambda_a^(-(n+m-alpha)/2) b^((n+m)/2) / sqrt(n! m!)``,
  and ``I_B = tr(G^1 ... G^L)`` (the signs cancel).  A row with ``mu_a > 0`` makes the
  sum converge geometrically.
* **Homogeneous cycle** (every ``mu_a = 0``).  Then
  ``J(x, y) = beta^alpha (|x + y|^alpha - |x - y|^alpha)/2`` is homogeneous, the
  integrand is invariant under sign flips of each ``x_i``, and it is analytic inside
  each cone of the positive orthant where the order of the coordinates is fixed.
  Each such cone is simplicial; integrating the radius in closed form leaves an
  integral over an (L-1)-simplex (Duffy coordinates, tanh-sinh rules, extended
  precision ``numpy.longdouble``).  Cones related by the dihedral symmetry of the
  cycle are computed once.

Both are checked against the general float64 quadrature of
:mod:`momentck.numeric.stable_sin` and against each other.
"""

import functools
import itertools
import math

import mpmath
import numpy as np

from .quadrature import tanh_sinh

__all__ = ["cycle_order", "hermite_cycle", "homogeneous_cycle", "homogeneous_cycle_with_error"]


def cycle_order(rows, pairs):
    """The rows in cyclic order if the pairs form one cycle through all of them (L >= 3)."""
    if len(rows) < 3 or len(pairs) != len(rows) or any(m != 1 for m in pairs.values()):
        return None
    nbrs = {a: [] for a in rows}
    for (a, b) in pairs:
        nbrs[a].append(b)
        nbrs[b].append(a)
    if any(len(v) != 2 for v in nbrs.values()):
        return None
    order, prev = [rows[0]], None
    while len(order) < len(rows):
        cur = order[-1]
        nxt = nbrs[cur][0] if nbrs[cur][0] != prev else nbrs[cur][1]
        if nxt == order[0]:
            return None
        prev = cur
        order.append(nxt)
    return order


def hermite_cycle(lams, alpha, b, c_alpha, dps, tol):
    """``tr(G^1 ... G^L)`` for the cycle's lambdas (mpmath), with an error estimate.

    The truncation N doubles until two successive values agree to ``tol`` (relative).
    """
    def trace(N):
        with mpmath.workdps(dps):
            idx = range(1, 2 * N, 2)
            lf = [mpmath.loggamma(n + 1) / 2 for n in idx]
            mats = []
            for lam in lams:
                G = np.empty((N, N), dtype=np.longdouble)
                for i, n in enumerate(idx):
                    for j, m in enumerate(idx):
                        p = n + m
                        v = c_alpha * mpmath.exp(mpmath.loggamma((p - alpha) / 2) - lf[i] - lf[j]
                                                 - (p - alpha) / 2 * mpmath.log(lam) + p / 2 * mpmath.log(b))
                        G[i, j] = np.longdouble(mpmath.nstr(v, 25))
                mats.append(G)
        prod = mats[0]
        for G in mats[1:]:
            prod = prod @ G
        return np.trace(prod)

    tol = max(float(tol), 1e-17)  # long double carries about 19 digits
    N, prev = 16, trace(16)
    while True:
        N *= 2
        cur = trace(N)
        err = abs(cur - prev)
        if err <= tol * abs(cur) or N >= 256:
            with mpmath.workdps(dps):
                value = mpmath.mpf(str(cur))
                return value, mpmath.mpf(str(err)) + abs(value) * mpmath.mpf(10) ** -17
        prev = cur


def _J(x, y, alpha):
    """``((x + y)^alpha - |x - y|^alpha)/2`` for x, y >= 0, without cancellation."""
    hi, lo = np.maximum(x, y), np.minimum(x, y)
    r = lo / np.where(hi > 0, hi, 1)
    with np.errstate(divide="ignore"):
        return hi ** alpha * (np.expm1(alpha * np.log1p(r)) - np.expm1(alpha * np.log1p(-r))) / 2


def _cone_classes(L):
    """Orderings of L coordinates up to the dihedral symmetry of the cycle, with multiplicities."""
    group = [[(s * i + r) % L for i in range(L)] for r in range(L) for s in (1, -1)]
    seen, classes = set(), []
    for sigma in itertools.permutations(range(L)):
        if sigma in seen:
            continue
        orbit = {tuple(g[s] for s in sigma) for g in group}
        seen |= orbit
        classes.append((sigma, len(orbit)))
    return classes


@functools.lru_cache(maxsize=32)
def homogeneous_cycle_with_error(L, alpha, level=4):
    """``(value, error)`` of :func:`homogeneous_cycle`; levels ``level - 2 .. level``.

    Tanh-sinh converges quadratically (the digits double per level), so with the
    successive differences ``d_1``, ``d_2`` the error of the finest value is estimated
    as ``d_2^2 / d_1`` (as mpmath does), plus long-double roundoff.
    """
    v0, v1, v2 = (homogeneous_cycle(L, alpha, lv) for lv in (level - 2, level - 1, level))
    d1, d2 = abs(v1 - v0), abs(v2 - v1)
    est = d2 * d2 / d1 if d1 > 0 else d2
    return v2, max(est, d2 if d2 > abs(v2) * np.longdouble(1e-8) else 0) + abs(v2) * np.longdouble(1e-17)


def homogeneous_cycle(L, alpha, level):
    """``E prod_i J(x_i, x_{i+1})`` over standard normal x, J(x, y) = (|x+y|^a - |x-y|^a)/2.

    Sum over the ordering cones of the positive orthant (times 2^L for the sign flips):
    ``x = V tau s`` with ``tau`` on the simplex and the radius s integrated in closed form,
    ``int_0^inf s^(L-1+p) e^(-s^2 |V tau|^2/2) ds = 2^((L+p)/2-1) Gamma((L+p)/2) |V tau|^-(L+p)``,
    ``p = L alpha``.
    """
    a = np.longdouble(alpha)
    p = L * alpha
    const = (2 ** L * (2 * math.pi) ** (-L / 2) * 2 ** ((p + L) / 2 - 1) * math.gamma((p + L) / 2))
    u, uc, logw = tanh_sinh(2.0 ** -level, T=5.0, dtype=np.longdouble)
    w = np.exp(logw)
    keep = w > np.longdouble(1e-30)  # negligible nodes
    u, uc, w = u[keep], uc[keep], w[keep]
    grids = np.meshgrid(*([u] * (L - 1)), indexing="ij", sparse=True)
    cgrids = np.meshgrid(*([uc] * (L - 1)), indexing="ij", sparse=True)
    wgrids = np.meshgrid(*([w] * (L - 1)), indexing="ij", sparse=True)
    # Duffy coordinates of the simplex: tau_i = u_i prod_{j<i} (1 - u_j), Jacobian prod of the rests
    tau, rest, weight = [], np.longdouble(1), np.longdouble(1)
    for i in range(L - 1):
        tau.append(rest * grids[i])
        weight = weight * rest * wgrids[i]
        rest = rest * cgrids[i]
    tau.append(rest)
    total = np.longdouble(0)
    for sigma, mult in _cone_classes(L):
        x, acc = [None] * L, np.longdouble(0)
        for j in reversed(range(L)):
            acc = acc + tau[j]
            x[sigma[j]] = acc
        F = np.longdouble(1)
        for i in range(L):
            F = F * _J(x[i], x[(i + 1) % L], a)
        norm2 = sum(xi * xi for xi in x)
        total += mult * np.sum(weight * F * norm2 ** (-(p + L) / 2))
    return const * total
