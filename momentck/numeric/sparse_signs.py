"""Sparse rademacher entries with rademacher inputs: exact sums over Poisson row degrees.

Every product ``W_aj x_j`` is a uniform sign, so given the rest degree
``D_a ~ Poisson(c)`` of row a:

* a diagonal factor is ``g(deg_a + D_a)``, ``g(m) = E f(S_m)^2`` with ``S_m`` a sum
  of m independent signs;
* an off-diagonal factor through block B is
  ``K_ab = w_a w_b u(deg_a - 1 + D_a) u(deg_b - 1 + D_b)``, ``u(m) = E f(1 + S_m)``,
  because f is odd and the shared input is a sign;

so the weight factorises: ``w(S) = prod_e c [p_e even] * prod_a E_D[g^{d_a} u^{o_a}]``,
with ``p_e`` the number of off-diagonal factors through incidence e, and
``d_a``, ``o_a`` the diagonal and off-diagonal factor counts at row a.  The Poisson
sums are truncated where the remaining terms are provably negligible.  Any odd
activation, polynomial or not.
"""

import mpmath
import sympy

from ..errors import ConvergenceError
from ..laws import Rademacher
from .base import WeightMethod, activation_bound, entries_are, law_is, memoized

__all__ = ["SparseSignWeights"]


class SparseSignWeights(WeightMethod):
    """Exact Poisson sums per row (sparse rademacher entries, rademacher inputs)."""

    name = "sparse-signs"
    weights = entries_are(Rademacher, "sparse rademacher")
    inputs = law_is(Rademacher, "rademacher")
    accuracy = "working precision (exact sums, bounded tails)"
    cost = 0.007

    def _setup(self):
        self.c = mpmath.mpf(sympy.N(self.model.weights.c, self.dps))
        self._f = sympy.lambdify(sympy.Symbol("x"), self.model.activation.expr(), modules="mpmath")

    @memoized
    def _g(self, m):
        """E f(S_m)^2."""
        f, two = self._f, mpmath.mpf(2)
        return mpmath.fsum(mpmath.binomial(m, j) * f(mpmath.mpf(2 * j - m)) ** 2 for j in range(m + 1)) / two ** m

    @memoized
    def _u(self, m):
        """E f(1 + S_m)."""
        f, two = self._f, mpmath.mpf(2)
        return mpmath.fsum(mpmath.binomial(m, j) * f(mpmath.mpf(1 + 2 * j - m)) for j in range(m + 1)) / two ** m

    @memoized
    def _row(self, deg, d, o):
        """E_D[g(deg + D)^d u(deg - 1 + D)^o], D ~ Poisson(c), with a tail bound."""
        c = self.c
        total, D = mpmath.mpf(0), 0
        p = mpmath.exp(-c)
        f = self.model.activation
        while True:
            term = p * self._g(deg + D) ** d * (self._u(deg - 1 + D) ** o if o else 1)
            total += term
            # bound of the whole tail beyond D: terms bounded by p_D * B(D)^(2d+o), ratio < 1/2
            nxt = D + 1
            bnd = lambda n: activation_bound(f, deg + n + 1, self.dps) ** (2 * d + o)  # noqa: E731
            ratio = c / (nxt + 1) * bnd(nxt + 1) / bnd(nxt) if bnd(nxt) else 0
            tail_term = p * c / nxt * bnd(nxt)
            if ratio < 0.5 and tail_term * 2 < self.eps * max(abs(total), self.eps):
                return total, tail_term * 2
            p = p * c / nxt
            D = nxt
            if D > 100000:  # pragma: no cover
                raise ConvergenceError("Poisson sum did not converge")

    def _weight(self, shape, rows, through):
        val = self.c ** len(through)
        rel = mpmath.mpf(0)
        for deg, d, o in rows:
            r, e = self._row(deg, d, o)
            val *= r
            rel += e / abs(r) if r else 0
        return val, abs(val) * (rel + self.eps)
