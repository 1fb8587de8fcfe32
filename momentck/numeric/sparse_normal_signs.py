"""Sparse normal entries with rademacher inputs, any bounded activation, k <= 2 (MATH.md §4, numeric).

Condition on the inputs.  Given them, a row's pre-activations over its factors are
jointly Gaussian, ``h_t = sum_j W_j x_j^(t)``.  Flipping each normal weight by the
column's input in the first factor (W is symmetric) leaves each column a sign
pattern ``(1, s)`` over two factors, ``s = ±1`` with probability 1/2 each, so the
rest splits into independent Poisson(c/2) counts ``p`` (pattern ``+``) and ``q``
(pattern ``-``) and

    (h_1, h_2) = (A + B, A - B),     A ~ N(0, p), B ~ N(0, q) independent.

With ``F_m(p, q) = E f(A + B)^m f(A - B)^m`` and ``D(n) = E f(sqrt(n) Z)^2``:

* ``w(one row, 1 diagonal factor) = E D(p + q)`` (``p + q ~ Poisson(c)``);
* ``w(one row, 2 diagonal factors) = E F_2(p, q)``;
* the two-row block (two off-diagonal factors): the shared column's own pattern
  ``s = x_1 x_2`` is common to both rows, its normal weight joins ``A`` (``s = +``)
  or ``B`` (``s = -``), and given the inputs the rows are independent, so
  ``w = c^2 (E F_1(p + 1, q)^2 + E F_1(p, q + 1)^2)/2`` with the expectations inside
  the squares.

``F_m`` and ``D`` are trapezoid rules in standardised Gaussian variables (steps set
by f's strip of analyticity, as in :mod:`.sparse_normal`), float64, at two levels;
the error estimate is their difference plus the neglected Poisson tails.
Longer walks need Gaussian expectations over three or more factors with four or more
Poisson pattern counts; they are not covered.
"""

import numpy as np
from scipy.stats import poisson

from ..laws import Rademacher
from .base import law_is, memoized
from .sparse_normal import SparseNormalMethod, reach, z_rule

__all__ = ["SparseNormalSignWeights"]

_TAIL = 1e-18


class _Tables:
    """``D[n]``, ``F1[p, q]``, ``F2[p, q]`` for ``0 <= n, p, q <= nmax`` at one step factor."""

    def __init__(self, f, nmax, factor):
        r = reach(f)
        step = lambda n: z_rule(factor * min(0.1, r / (4 * max(1.0, np.sqrt(n)))))  # noqa: E731
        self.D = np.zeros(2 * nmax + 2)
        self.F1 = np.zeros((nmax + 2, nmax + 2))
        self.F2 = np.zeros((nmax + 2, nmax + 2))
        for n in range(1, 2 * nmax + 2):
            z, wz = step(n)
            self.D[n] = f(np.sqrt(n) * z) ** 2 @ wz
        for p in range(nmax + 2):
            za, wa = step(p)
            for q in range(nmax + 2):
                zb, wb = step(q)
                a, b = np.sqrt(p) * za[:, None], np.sqrt(q) * zb[None, :]
                X, Y = f(a + b), f(a - b)
                self.F1[p, q] = wa @ (X * Y) @ wb
                self.F2[p, q] = wa @ (X * X * Y * Y) @ wb


class SparseNormalSignWeights(SparseNormalMethod):
    """Sums over Poisson sign-pattern counts of Gaussian expectations (sparse normal entries,
    rademacher inputs)."""

    name = "sparse-normal-signs"
    inputs = law_is(Rademacher, "rademacher")
    accuracy = "float64 trapezoid rules at two levels (bounds 1e-14 to 2e-10)"
    cost = 0.05
    kmax = 2
    rounding = 1e-14

    def _setup(self):
        super()._setup()
        n = int(self.c) + 1
        while poisson.sf(n, self.c / 2) > _TAIL:
            n += 1
        self.nmax = n
        self.half = poisson.pmf(np.arange(n + 1), self.c / 2)        # P(p), P(q)
        self.full = poisson.pmf(np.arange(2 * n + 2), self.c)        # P(p + q)

    @memoized
    def _rules(self, level):
        return _Tables(self.model.activation, self.nmax, (1.4, 1.0)[level])

    def _neglected(self, shape, through):
        # P(p > nmax or q > nmax) >= P(p + q > 2 nmax + 1), per row
        return 4 * float(poisson.sf(self.nmax, self.c / 2))

    def _value(self, t, shape, rows):
        P, n = self.half, self.nmax + 1
        if shape.rows == 1 and shape.diag[0] == 1:
            return float(self.full @ t.D)                           # p + q ~ Poisson(c)
        if shape.rows == 1:
            return float(P @ t.F2[:n, :n] @ P)
        plus = P @ t.F1[1:n + 1, :n] @ P
        minus = P @ t.F1[:n, 1:n + 1] @ P
        return self.c ** 2 * float(plus ** 2 + minus ** 2) / 2
