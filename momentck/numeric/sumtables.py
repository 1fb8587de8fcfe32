"""Factor tables of an activation over sums of n i.i.d. inputs (MATH.md §4, numeric).

For sparse rademacher entries, given W the pre-activation of row a on one input
copy is a sum of ``n_a`` (its degree) inputs with signs; two clique-mates share one
input ``x0`` with weights ±1, and the oddness of f pulls the signs out.  With
``S_n`` a sum of n independent inputs, every factor is one of

    diag(n)   = E f(S_n)^2,
    off(n, m) = E_{x0} g_n(x0) g_m(x0),      g_n(t) = E f(t + S_{n-1})  (g_1 = f),

whatever the input law.  One class per law, all with the interface of
:class:`~momentck.numeric.gaussfactors.GaussianFactorTables` (``diag``, ``off``,
``diag_error``, ``off_error``, indices 1..smax), chosen by :func:`factor_tables`:

* normal inputs: :class:`~momentck.numeric.gaussfactors.GaussianFactorTables`;
* rademacher inputs: :class:`SignFactorTables`, binomial sums (``g_n(x0) = x0 g_n(1)``);
* uniform inputs on ``[-sqrt 3, sqrt 3]``: :class:`IrwinHallFactorTables`.  With
  ``S_n = sqrt(3) (2 V_n - n)``, ``V_n`` Irwin–Hall, the density of ``V_n`` is the
  cardinal B-spline ``M_n``: a polynomial on each unit interval, evaluated by the
  Cox–de Boor recurrence ``M_n(v) = (v M_{n-1}(v) + (n - v) M_{n-1}(v - 1))/(n - 1)``
  (convex combinations, no cancellation).  Gauss–Legendre rules on each unit
  interval (split where f's nearest complex singularity is closer than the interval
  is long) integrate polynomial times analytic f with exponential convergence; the
  error estimate is the change between 20 and 30 nodes per interval.
"""

import numpy as np

from ..laws import Normal, Rademacher, Uniform
from .gaussfactors import GaussianFactorTables

__all__ = ["factor_tables", "SignFactorTables", "IrwinHallFactorTables", "cardinal_bspline"]


def cardinal_bspline(n, v):
    """The density ``M_n(v)`` of a sum of n independent U(0, 1), at the points ``v``.

    Examples
    --------
    >>> float(cardinal_bspline(2, np.array([0.5]))[0]), float(cardinal_bspline(3, np.array([1.5]))[0])
    (0.5, 0.75)
    """
    v = np.asarray(v, dtype=float)
    T = [((v - j >= 0) & (v - j < 1)).astype(float) for j in range(n)]  # T[j] = M_1(v - j)
    for m in range(2, n + 1):
        T = [((v - j) * T[j] + (m - v + j) * T[j + 1]) / (m - 1) for j in range(n - m + 1)]
    return T[0]


class SignFactorTables:
    """``diag`` and ``off`` for rademacher inputs: binomial sums in float64."""

    def __init__(self, f, smax):
        from scipy.stats import binom
        self.diag = np.zeros(smax + 1)
        u = np.zeros(smax + 1)  # u[n] = g_n(1) = E f(1 + S_{n-1})
        for n in range(1, smax + 1):
            j = np.arange(n + 1)
            self.diag[n] = binom.pmf(j, n, 0.5) @ f(2.0 * j - n) ** 2
            j = np.arange(n)
            u[n] = binom.pmf(j, n - 1, 0.5) @ f(1.0 + 2.0 * j - (n - 1))
        self.off = np.outer(u, u)
        self.diag_error = 1e-15 * np.abs(self.diag) + 1e-16
        self.off_error = 1e-15 * np.abs(self.off) + 1e-16


class IrwinHallFactorTables:
    """``diag`` and ``off`` for uniform inputs: Gauss–Legendre rules against the B-spline densities."""

    def __init__(self, f, smax):
        radius = float(f.radius) if f.radius.is_finite else np.inf
        # an interval of length 2 sqrt(3) in s; split it so that f's singularities stay far away
        reach = min(radius, 1.0 / float(f.scale))
        self.split = max(1, int(np.ceil(2 * np.sqrt(3) / reach)))
        (d1, o1), (d2, o2) = self._tables(f, smax, 20), self._tables(f, smax, 30)
        self.diag, self.off = d2, o2
        self.diag_error = np.abs(d2 - d1) + 1e-15 * np.abs(d2) + 1e-16
        self.off_error = np.abs(o2 - o1) + 1e-15 * np.abs(o2) + 1e-16

    def _rule(self, q, pieces):
        """Nodes and weights on [0, pieces], ``q`` Gauss–Legendre nodes per sub-interval."""
        x, w = np.polynomial.legendre.leggauss(q)
        h = 1.0 / self.split
        starts = np.arange(pieces * self.split) * h
        nodes = (starts[:, None] + h * (x[None, :] + 1) / 2).ravel()
        return nodes, np.tile(w * h / 2, len(starts))

    def _tables(self, f, smax, q):
        r3 = np.sqrt(3.0)
        diag = np.zeros(smax + 1)
        for n in range(1, smax + 1):
            v, w = self._rule(q, n)
            diag[n] = (w * cardinal_bspline(n, v)) @ f(r3 * (2 * v - n)) ** 2
        u, wu = self._rule(q, 1)
        t = r3 * (2 * u - 1)  # x0, density 1 in u
        g = np.empty((smax + 1, len(t)))
        g[0] = 0.0
        g[1] = f(t)
        for n in range(2, smax + 1):
            v, w = self._rule(q, n - 1)
            g[n] = f(t[:, None] + r3 * (2 * v[None, :] - (n - 1))) @ (w * cardinal_bspline(n - 1, v))
        return diag, (g * wu) @ g.T


#: the factor tables of each input law (dispatch by the law's class)
_TABLES = {Normal: GaussianFactorTables, Rademacher: SignFactorTables, Uniform: IrwinHallFactorTables}

#: the input laws with factor tables
TABLE_INPUTS = tuple(_TABLES)


def factor_tables(f, inputs, smax):
    """The factor tables of ``f`` over sums of ``inputs`` up to ``smax`` terms."""
    return _TABLES[type(inputs)](f, smax)
