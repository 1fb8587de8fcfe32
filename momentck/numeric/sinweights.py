"""Weights of models with f = sin(beta x) and normal inputs (MATH.md §4, numeric).

Given W the pre-activations of one factor are jointly Gaussian, so with
``b = beta^2`` a diagonal factor is ``(1 - exp(-2 b s_a))/2`` and an off-diagonal
factor ``exp(-b (s_a + s_b)/2) sinh(b w_a w_b)``, where ``s_a = sum_e w_e^2 + S_a`` is
the squared norm of row a (incidence weights plus the rest ``S_a``).  Expanding the
diagonal factors binomially, row a carries ``exp(-lambda_a s_a)`` with
``lambda_a = b (o_a/2 + 2 i_a)`` (``o_a`` off-diagonal factors at a, ``i_a`` the
binomial index), so

    w(S) = sum_i prod_a C(d_a, i_a) (-1)^i_a 2^-d_a E exp(-lambda_a S_a)
           x prod_B I_B(lambda),
    I_B = \\int prod_{a in B} nu(dw_a) exp(-lambda_a w_a^2) prod_{(a,b) in B} sinh(b w_a w_b)^{m_ab}:

the rests enter through their Laplace transforms and the blocks separate.
:class:`SinExpansion` carries out this sum; a weight law supplies the Laplace
transform of its rest and the block integrals:

* :class:`SparseNormalSinWeights` (``sparse(c, entries=normal)``): ``E exp(-lambda S)
  = exp(-c (1 - (1 + 2 lambda)^(-1/2)))`` (a Poisson number of squared normals), and
  expanding ``sinh^m`` into exponentials makes every block a Gaussian integral,
  ``I_B = c^|B| 2^-m sum_l prod C(m, l) (-1)^l det(I + 2 Lambda - b K_l)^(-1/2)``
  (``K_l`` the symmetric matrix of the exponents ``m - 2l`` of the pairs; it is
  diagonally dominant, so positive definite).  Exact to the working precision, any k.
* :class:`momentck.stable_sin.StableSinWeights` (``stable(alpha)``).
"""

from itertools import permutations, product
from math import comb

import mpmath
import sympy

from ..laws import Normal
from .base import WeightMethod, entries_are, law_is, named

__all__ = ["SinExpansion", "SparseNormalSinWeights"]


def _canonical_block(rows, pairs, lams):
    """The least ``(-lambdas, pairs)`` over relabellings of the rows by 0..r-1 (r <= 5; larger
    blocks keep their order).  Rows with large lambda come first, and quadratures integrate
    over the first rows that cover the pairs, where the Gaussian damping is strongest."""
    orders = permutations(rows) if len(rows) <= 5 else [tuple(rows)]
    best = None
    for order in orders:
        pos = {a: i for i, a in enumerate(order)}
        key = (tuple(-lams[a] for a in order),
               tuple(sorted((tuple(sorted((pos[a], pos[b]))), m) for (a, b), m in pairs.items())))
        if best is None or key < best:
            best = key
    return best


class SinExpansion(WeightMethod):
    """Weights of f = sin(beta x) with normal inputs, given a law's rest and block integrals.

    Subclasses define ``laplace_rest(lam)`` (``E exp(-lam S)``) and
    ``block(rows, pairs, lams)`` (``(I_B, error)``, pairs ``{(a, b): m}``).
    """

    inputs = law_is(Normal, "normal")
    activation = named("sin")

    def _setup(self):
        self.b = mpmath.mpf(sympy.N(self.model.activation.scale, self.dps)) ** 2
        self._blocks = {}

    def cached_block(self, rows, pairs, lams):
        """``block`` on a canonical relabelling, cached: isomorphic blocks get one value."""
        key = _canonical_block(rows, pairs, lams)
        if key not in self._blocks:
            neg_lams, pr = key
            lams = {i: -lam for i, lam in enumerate(neg_lams)}
            self._blocks[key] = self.block(list(range(len(rows))), dict(pr), lams)
        return self._blocks[key]

    def _weight(self, shape, rows, through):
        block_pairs = [{} for _ in shape.blocks]
        for p, m in shape.pairs:
            block_pairs[shape.pair_blocks[p]][p] = m
        total, err = mpmath.mpf(0), mpmath.mpf(0)
        for choice in product(*(range(d + 1) for _, d, _ in rows)):
            coef = mpmath.mpf(1)
            lams = {}
            for a, ((_, d, o), i) in enumerate(zip(rows, choice)):
                lams[a] = self.b * (mpmath.mpf(o) / 2 + 2 * i)
                coef *= comb(d, i) * (-1) ** i / mpmath.mpf(2) ** d * self.laplace_rest(lams[a])
            val, e = coef, mpmath.mpf(0)
            for block, pairs in zip(shape.blocks, block_pairs):
                ib, eb = self.cached_block(list(block), pairs, lams)
                e = abs(val) * eb + abs(ib) * e
                val *= ib
            total += val
            err += e
        return total, err + abs(total) * mpmath.mpf(10) ** (-self.dps + 8)


class SparseNormalSinWeights(SinExpansion):
    """Weights of sparse(c, entries=normal) with normal inputs and sin(beta x): closed forms."""

    name = "sparse-normal-sin"
    weights = entries_are(Normal, "sparse normal")
    accuracy = "working precision (Gaussian determinants)"
    cost = 0.005

    def _setup(self):
        super()._setup()
        self.c = mpmath.mpf(sympy.N(self.model.weights.c, self.dps))

    def laplace_rest(self, lam):
        return mpmath.exp(-self.c * (1 - 1 / mpmath.sqrt(1 + 2 * lam)))

    def block(self, rows, pairs, lams):
        index = {a: i for i, a in enumerate(rows)}
        plist = list(pairs.items())
        total = mpmath.mpf(0)
        for ls in product(*(range(m + 1) for _, m in plist)):
            M = mpmath.eye(len(rows))
            coef = mpmath.mpf(1)
            for a in rows:
                M[index[a], index[a]] += 2 * lams[a]
            for ((a, b), m), l in zip(plist, ls):
                coef *= comb(m, l) * (-1) ** l
                M[index[a], index[b]] -= self.b * (m - 2 * l)
                M[index[b], index[a]] -= self.b * (m - 2 * l)
            total += coef / mpmath.sqrt(mpmath.det(M))
        m_total = sum(m for _, m in plist)
        return self.c ** len(rows) * total / mpmath.mpf(2) ** m_total, mpmath.mpf(0)
