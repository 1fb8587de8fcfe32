"""Weights of alpha-stable models with f = sin and normal inputs (MATH.md §4, numeric).

Given W, the pre-activations of one factor are jointly Gaussian, so with
``b = beta^2`` (f(x) = sin(beta x)) a diagonal factor is ``(1 - exp(-2 b s_a))/2``
and an off-diagonal factor is ``exp(-b (s_a + s_b)/2) sinh(b w_a w_b)``, where
``s_a = sum_e w_e^2 + S_a`` is the squared norm of row a.  Expanding the diagonal
factors binomially, row a carries ``exp(-lambda_a s_a)`` with
``lambda_a = b (o_a/2 + 2 i_a)`` (``o_a`` off-diagonal factors at a), so

* the rest enters through its Laplace transform ``E exp(-lambda S) = exp(-C_alpha lambda^(alpha/2))``;
* the incidence weights of different blocks separate, and each block B contributes

      I_B = \\int prod_{a in B} nu(dw_a) exp(-lambda_a w_a^2) prod_{(a,b) in B} sinh(b w_a w_b)^{m_ab}.

With ``nu(dw) = c_alpha |w|^(-1-alpha) dw``, termwise integration gives

    H_lambda(kappa) = \\int nu(dy) e^{-lambda y^2} (cosh(kappa y) - 1)
                    = c_alpha lambda^(alpha/2) Gamma(-alpha/2) [1F1(-alpha/2; 1/2; kappa^2/(4 lambda)) - 1],

and for a block of two rows with multiplicity m (even), writing
``sinh^m t = 2^-m sum_l C(m,l) (-1)^l (cosh((m-2l) t) - 1)``,

    I = 2^-m sum_l C(m,l)(-1)^l c_alpha^2 Gamma(-alpha/2)^2 (lambda_0 lambda_1)^(alpha/2)
        [2F1(-alpha/2, -alpha/2; 1/2; (m-2l)^2 b^2 / (4 lambda_0 lambda_1)) - 1],

a closed form (the argument is at most 1, where Gauss's theorem applies).  Blocks
whose pairs all contain one row (stars) are one mpmath integral over that row, the
others in closed form through H.  Triangles and 4-cycles (every other block of walks
up to k = 4) go to :mod:`momentck.numeric.sin_cycles` (Hermite traces, ordering-cone
integrals); every other block (the 5-cycle of k = 5, blocks with two-row covers) to the
float64 Nyström rule in the weights of :mod:`momentck.numeric.sin_blocks` (error ~1e-13; k <= 6);
:class:`_BlockQuadrature` (adaptive float64 quadrature over two cover rows, ~1e-11 but
minutes per block) is kept as its test oracle.
"""

from math import comb

import mpmath
import sympy

from ..errors import NotCovered
from ..laws import Stable
from .base import law_is
from .sin_blocks import nystrom_block
from .sin_cycles import cycle_order, hermite_cycle, homogeneous_cycle_with_error
from .sinweights import SinExpansion

__all__ = ["StableSinWeights"]


class StableSinWeights(SinExpansion):
    """Weights of a model with stable(alpha) weights, normal inputs and sin(beta x)."""

    name = "stable-sin"
    weights = law_is(Stable, "stable")
    accuracy = "~1e-17 (closed forms, Hermite traces, long-double cone integrals); ~1e-13 for the Nyström blocks of k >= 5"
    cost = 3.5

    @classmethod
    def max_k(cls, model):
        """Any block (the Nyström rule beyond stars, cycles of up to four rows and two-row blocks);
        walks up to 6 (its 110 shapes in about 35 s serial)."""
        return 6

    def _setup(self):
        super()._setup()
        w, dps = self.model.weights, self.dps
        self.alpha = mpmath.mpf(sympy.N(w.alpha, dps))
        self.c_alpha = mpmath.mpf(sympy.N(w.c_alpha, dps))
        self.C_alpha = mpmath.mpf(sympy.N(w.C_alpha, dps))
        self.g = mpmath.gamma(-self.alpha / 2)

    # -- closed forms ---------------------------------------------------------
    def laplace_rest(self, lam):
        return mpmath.exp(-self.C_alpha * lam ** (self.alpha / 2)) if lam else mpmath.mpf(1)

    def H(self, lam, kappa):
        """\\int nu(dy) exp(-lam y^2) (cosh(kappa y) - 1)."""
        h = -self.alpha / 2
        return self.c_alpha * lam ** (-h) * self.g * (mpmath.hyp1f1(h, 0.5, kappa ** 2 / (4 * lam)) - 1)

    def two_rows(self, lam0, lam1, m):
        h = -self.alpha / 2
        # 20 guard digits: the alternating sum cancels (13 digits at lambda = (4b, 6b), m = 4, alpha = 0.3)
        with mpmath.extradps(20):
            pref = self.c_alpha ** 2 * self.g ** 2 * (lam0 * lam1) ** (-h)
            total = mpmath.mpf(0)
            for l in range(m + 1):
                z = ((m - 2 * l) * self.b) ** 2 / (4 * lam0 * lam1)
                total += comb(m, l) * (-1) ** l * (mpmath.hyp2f1(h, h, 0.5, z) - 1)
            value = pref * total / mpmath.mpf(2) ** m
        return +value

    # -- one block ----------------------------------------------------------------
    def block(self, rows, pairs, lams):
        """I_B for rows (labels), pairs {(a, b): m} within the block, lams {a: lambda_a}."""
        if len(rows) == 2 and len(pairs) == 1:
            (a, b), m = next(iter(pairs.items()))
            return self.two_rows(lams[a], lams[b], m), mpmath.mpf(0)
        order = cycle_order(rows, pairs)
        if order is not None:
            return self._cycle([lams[a] for a in order])
        cover = _vertex_cover(rows, pairs)
        if cover is not None and len(cover) == 1:
            return self._star(cover[0], pairs, lams)
        return self._nystrom(rows, pairs, lams)

    def _cycle(self, lams):
        """A cycle block (:mod:`momentck.numeric.sin_cycles`): homogeneous when every lambda is b."""
        L = len(lams)
        if L > 4:
            rows = list(range(L))
            return self._nystrom(rows, {(a, (a + 1) % L) if a < L - 1 else (0, L - 1): 1 for a in rows},
                                 dict(zip(rows, lams)))
        if all(lam == self.b for lam in lams):
            v, e = homogeneous_cycle_with_error(L, float(self.alpha))  # cached across instances
            scale = self.b ** (L * self.alpha / 2)
            return mpmath.mpf(str(v)) * scale, mpmath.mpf(str(e)) * scale
        return hermite_cycle(lams, self.alpha, self.b, self.c_alpha, self.dps,
                             mpmath.mpf(10) ** (-self.dps + 8))

    def _nystrom(self, rows, pairs, lams):
        """Any other block: a Nyström rule in the weights (:mod:`momentck.numeric.sin_blocks`), float64."""
        value, err = nystrom_block(rows, pairs, lams, self.alpha, self.b, self.c_alpha)
        return mpmath.mpf(value), mpmath.mpf(err)

    def _star(self, u, pairs, lams):
        """A block whose pairs all contain row u: one integral over w_u (mpmath), the
        other rows in closed form through ``H``, with the Gaussian growth of ``H`` and the
        damping of u combined exactly (Kummer: 1F1(-a/2; 1/2; z) = e^z 1F1(1/2 + a/2; 1/2; -z))."""
        al, b = self.alpha, self.b
        leaves = [(p if q == u else q, m) for (p, q), m in pairs.items()]
        kappa = -lams[u] + sum((m * b) ** 2 / (4 * lams[r]) for r, m in leaves)
        pref = [self.c_alpha * lams[r] ** (al / 2) * self.g for r, _ in leaves]

        def f(w):
            if w == 0:
                return mpmath.mpf(0)
            val = 2 * self.c_alpha * w ** (-1 - al) * mpmath.exp(kappa * w * w)
            for (r, m), c in zip(leaves, pref):
                z0 = (m * b * w) ** 2 / (4 * lams[r])
                acc = mpmath.mpf(0)
                for l in range(m + 1):
                    zl = ((m - 2 * l) * b * w) ** 2 / (4 * lams[r])
                    acc += comb(m, l) * (-1) ** l * (mpmath.exp(zl - z0) * mpmath.hyp1f1(0.5 + al / 2, 0.5, -zl)
                                                     - mpmath.exp(-z0))
                val *= c * acc / mpmath.mpf(2) ** m
            return val

        with mpmath.workdps(self.dps + 5):
            value, err = mpmath.quad(f, [0, 1, 10, mpmath.inf], error=True)
        return value, err + abs(value) * mpmath.mpf(10) ** (-self.dps + 5)


def _vertex_cover(rows, pairs):
    """A set of at most two rows touching every pair, or None."""
    for size in (1, 2):
        for cand in (c for c in _subsets(rows, size)):
            if all(p in cand or q in cand for (p, q) in pairs):
                return list(cand)
    return None


def _subsets(rows, size):
    from itertools import combinations
    return combinations(rows, size)


class _BlockQuadrature:
    """Float64 adaptive quadrature of a block integral over its cover rows (one or two).

    The integrand is even in every cover variable (the parity condition), so the
    integral runs over positive weights with density ``2 c_alpha w^(-1-alpha)``.  The
    rows outside the cover are integrated in closed form through ``H``; exponentials
    are combined in log space (Kummer's transformation
    ``1F1(a; 1/2; z) = e^z 1F1(1/2 - a; 1/2; -z)``) so that the growth of ``H`` cancels
    the Gaussian factors exactly along the ridge ``|w_u| ~ |w_v|``.
    """

    def __init__(self, owner, rows, pairs, lams, cover):
        import math
        self.alpha, self.b = float(owner.alpha), float(owner.b)
        self.log2c = math.log(2 * float(owner.c_alpha))
        self.Hc = float(owner.c_alpha) * float(owner.g)
        self.pairs, self.lams, self.cover = pairs, lams, cover
        self.inner = [r for r in rows if r not in cover]
        # for each inner row: its neighbours in the cover with multiplicities
        self.links = {r: [(u, m) for (p, q), m in pairs.items() for u in (p, q)
                          if r in (p, q) and u != r] for r in self.inner}
        self.width = 12.0 / math.sqrt(self.b)

    def _log_integrand(self, w):
        """Return (log of a positive scale, signed remainder) of the integrand at cover weights w."""
        import math
        from scipy.special import hyp1f1
        a, b = self.alpha, self.b
        logv = 0.0
        for u in self.cover:
            logv += self.log2c - (1 + a) * math.log(w[u]) - self.lams[u] * w[u] ** 2
        for (p, q), m in self.pairs.items():
            if p in w and q in w:
                x = b * w[p] * w[q]
                # log sinh x, without cancellation for small x
                logv += m * (x + math.log1p(-math.exp(-2 * x)) - math.log(2) if x > 1e-4
                             else math.log(x) + x * x / 6)
        rest = 1.0
        for r in self.inner:
            terms = {0.0: 1.0}
            for u, m in self.links[r]:
                new = {}
                for K, c in terms.items():
                    for l in range(m + 1):
                        K2 = K + (m - 2 * l) * b * w[u]
                        new[K2] = new.get(K2, 0.0) + c * comb(m, l) * (-1) ** l / 2.0 ** m
                terms = new
            lam = self.lams[r]
            zs = {K: K * K / (4 * lam) for K in terms}
            Z = max(zs.values())
            acc = 0.0
            for K, c in terms.items():
                z = zs[K]
                acc += c * (math.exp(z - Z) * hyp1f1(0.5 + a / 2, 0.5, -z) - math.exp(-Z))
            logv += Z
            rest *= self.Hc * lam ** (a / 2) * acc
        return logv, rest

    def _f(self, *ws):
        import math
        logv, rest = self._log_integrand(dict(zip(self.cover, ws)))
        return math.exp(logv) * rest if logv > -700 else 0.0

    def integrate(self):
        import warnings
        import numpy as np
        from scipy.integrate import IntegrationWarning, quad
        opts = dict(limit=200, epsabs=0.0, epsrel=1e-11)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IntegrationWarning)
            if len(self.cover) == 1:
                parts = [quad(self._f, 0, 1, **opts), quad(self._f, 1, np.inf, **opts)]
                return sum(p[0] for p in parts), sum(p[1] for p in parts)
            L = self.width

            def inner(w0):
                pts = [0.0, max(w0 - L, 0.0), w0 + L]
                tot = err = 0.0
                for lo, hi in zip(pts[:-1], pts[1:]):
                    if hi > lo:
                        v, e = quad(lambda w1: self._f(w0, w1), lo, hi, **opts)
                        tot, err = tot + v, err + e
                v, e = quad(lambda w1: self._f(w0, w1), w0 + L, np.inf, **opts)
                inner.err += err + e
                return tot + v

            inner.err = 0.0
            parts = [quad(inner, 0, 1, **opts), quad(inner, 1, np.inf, **opts)]
            value = sum(p[0] for p in parts)
            # outer quadrature error plus the inner errors (accumulated over all evaluations,
            # an overestimate), with a floor for float64 roundoff in the alternating sums
            return value, sum(p[1] for p in parts) + abs(value) * 1e-9
