"""Numeric weights of Gaussian weights (MATH.md §5 term by term).

Gaussian weights are the light-tailed limit (gamma_2 = 1, gamma_p = 0 for p >= 4).
Expanding each off-diagonal factor in Hermite (Mehler) form, only incidences
crossed by exactly two off-diagonal factors survive, each with the first Hermite
coefficient ``E f'(z)``; row norms concentrate at 1.  Hence
``w(S) = theta_1^{#diagonal} theta_2^{#off-diagonal}`` when every incidence has
exactly two off-diagonal factors through it, and 0 otherwise, with
``theta_1 = E f(z)^2`` and ``theta_2 = (E f'(z))^2`` by quadrature.
"""

import mpmath
import sympy

from ..laws import Gaussian
from .base import WeightMethod, law_is

__all__ = ["GaussianWeights"]


class GaussianWeights(WeightMethod):
    """``theta_1^{#diagonal} theta_2^{#off-diagonal}`` on shapes whose incidences carry two factors."""

    name = "gaussian-thetas"
    weights = law_is(Gaussian, "gaussian")
    accuracy = "working precision (quadrature of theta_1, theta_2)"
    cost = 0.015

    def _setup(self):
        from ..gaussian import gaussian_thetas
        t1, t2 = gaussian_thetas(self.model.activation, digits=self.dps)
        self.theta1 = mpmath.mpf(sympy.N(t1, self.dps))
        self.theta2 = mpmath.mpf(sympy.N(t2, self.dps))
        # closed forms (sin, erf, polynomials) or quadratures of positive integrands (tanh, atan) at
        # digits + 10: each theta carries a relative error below 10^-(digits + 5), so a product of
        # n thetas carries at most about n times that (relative, however small theta_2 is)
        self.theta_rel = mpmath.mpf(10) ** (-self.digits - 5)

    @staticmethod
    def vanishes(through):
        return any(n != 2 for n in through.values())

    def _weight(self, shape, rows, through):
        nd = sum(shape.diag)
        no = sum(m for _, m in shape.pairs)
        val = self.theta1 ** nd * self.theta2 ** no
        n = nd + no
        return val, abs(val) * ((1 + self.theta_rel) ** n - 1)
