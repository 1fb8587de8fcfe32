"""Sparse rademacher entries with normal, uniform (or rademacher) inputs, any bounded activation.

Given W, row a's pre-activation is a sum of ``s_a = deg_a + D_a`` inputs with signs
(``D_a ~ Poisson(c)`` the rest degree), and two clique-mates share one input with
weights ``w_a w_b = ±1``; the factor is ``w_a w_b F(s_a, s_b)`` with the factor tables
of :mod:`momentck.numeric.sumtables` (``diag(s) = E f(S_s)^2``,
``off(s, t) = E g_s(x0) g_t(x0)``, ``g_s(t) = E f(t + S_{s-1})``).  With normal inputs the
pre-activations are jointly Gaussian, and for sin and erf the closed forms of MATH.md §4
(``sin(beta x)``: ``F = exp(-beta^2 (s_a + s_b)/2) sinh(beta^2)``, diagonal
``(1 - exp(-2 beta^2 s))/2``; ``erf(beta x)``:
``F = (2/pi) arcsin(2 beta^2 / sqrt((1 + 2 beta^2 s_a)(1 + 2 beta^2 s_b)))``, diagonal
``(2/pi) arcsin(2 beta^2 s / (1 + 2 beta^2 s))``) replace the tables; so do sin's with uniform inputs,
``diag(s) = (1 - phi(2 beta)^s)/2``, ``off(s, t) = (1 - phi(2 beta))/2 phi(beta)^(s+t-2)``,
``phi(xi) = sin(sqrt 3 xi)/(sqrt 3 xi)`` the inputs' characteristic function, where ``phi(beta) >= 0``
(``sqrt 3 beta <= pi``: then every factor is non-negative).  Rows are
coupled through F, so the weight is a sum over all rows' degrees, contracted along
the shape and truncated where the Poisson tail is below the requested precision.
Every factor is non-negative, so the sum does not cancel: for the closed forms at
13 to 16 digits it runs in extended precision (:mod:`momentck.numeric.contraction`,
``numpy.longdouble``, with a rigorous rounding bound) on per-row vectors and
per-pair matrices memoised across shapes; at more digits in mpmath numbers
(object arrays), at 12 or fewer in float64.
"""

from functools import cached_property

import mpmath
import numpy as np
import sympy

from ..errors import NotCovered
from ..laws import Normal, Rademacher, Uniform
from .contraction import EXTENDED, contract, extended_digits, rounding_bound, to_mpf
from .base import BOUNDED, WeightMethod, activation_bound, any_of, entries_are, law_is, memoized, \
    poisson_probabilities
from .sumtables import TABLE_INPUTS, factor_tables

__all__ = ["SparseTableWeights"]


class SparseTableWeights(WeightMethod):
    """Contraction over Poisson row degrees of factor tables (sparse rademacher entries)."""

    name = "sparse-tables"
    weights = entries_are(Rademacher, "sparse rademacher")
    inputs = any_of(*(law_is(law, law.name) for law in TABLE_INPUTS))
    activation = BOUNDED
    accuracy = ("working precision for sin, erf with normal inputs and sin with uniform inputs (scale <= pi/sqrt 3); "
                "float64 tables (~1e-14) otherwise")
    cost = 0.15

    def _setup(self):
        self.c = mpmath.mpf(sympy.N(self.model.weights.c, self.dps))
        # the extended contraction is cheap per degree: a far smaller tail keeps the truncation
        # bound (multiplied by c^incidences and the walk counts) below the rounding bound at k = 10
        tail = self.eps * mpmath.mpf(10) ** (-10 if self._extended else -3)
        self._pois, self._pois_tail = poisson_probabilities(self.c, tail)
        if self._extended:
            self.cost = 0.003       # seconds per shape up to k = 10 (2 shared cores), for spreading

    @cached_property
    def _closed(self):
        """Whether the factors have non-negative closed forms: sin and erf with normal inputs, sin with uniform
        inputs and ``sqrt 3 beta <= pi`` (decided once: :attr:`_extended` asks at every shape)."""
        f, inputs = self.model.activation, self.model.inputs
        if isinstance(inputs, Uniform):
            return f.name == "sin" and bool(sympy.sqrt(3) * f.scale <= sympy.pi)
        return f.name in ("sin", "erf") and isinstance(inputs, Normal)

    @property
    def _extended(self):
        """Whether weights are contracted in extended precision (closed forms, 13..16 digits)."""
        return self._closed and 12 < self.digits <= extended_digits() - 2

    def _closed_forms(self):
        """``(diag, off)`` of sin and erf with normal inputs and of sin with uniform ones, in mpmath (module
        notes)."""
        f = self.model.activation
        if isinstance(self.model.inputs, Uniform):
            return self._uniform_sin()
        b2 = mpmath.mpf(sympy.N(f.scale, self.dps)) ** 2
        if f.name == "sin":
            diag = lambda s: (1 - mpmath.exp(-2 * b2 * s)) / 2  # noqa: E731
            off = lambda s, t: mpmath.exp(-b2 * (s + t) / 2) * mpmath.sinh(b2)  # noqa: E731
        else:
            diag = lambda s: 2 / mpmath.pi * mpmath.asin(2 * b2 * s / (1 + 2 * b2 * s))  # noqa: E731
            off = lambda s, t: 2 / mpmath.pi * mpmath.asin(  # noqa: E731
                2 * b2 / mpmath.sqrt((1 + 2 * b2 * s) * (1 + 2 * b2 * t)))
        return diag, off

    @memoized
    def _uniform_sin(self):
        """Sin with uniform inputs: ``phi(beta)``, ``phi(2 beta)`` and ``1 - phi(2 beta)`` with guard digits for
        small beta (``1 - phi(x) ~ x^2/6``), ``1 - phi(2 beta)^s`` by ``powm1``."""
        beta = sympy.N(self.model.activation.scale, self.dps)
        with mpmath.extradps(10 + 2 * max(0, int(-mpmath.log10(beta)))):
            x = mpmath.sqrt(3) * mpmath.mpf(beta)
            p1, p2 = mpmath.sinc(x), mpmath.sinc(2 * x)
            q2 = (2 * x - mpmath.sin(2 * x)) / (2 * x)
        p1, p2, q2 = +p1, +p2, +q2
        diag = lambda s: -mpmath.powm1(p2, s) / 2  # noqa: E731
        off = lambda s, t: q2 / 2 * p1 ** (s + t - 2)  # noqa: E731
        return diag, off

    @memoized
    def _row_vector(self, deg, d):
        """``P(D) diag(deg + D)^d`` over the Poisson degrees D, in extended precision."""
        diag, _ = self._closed_forms()
        return _extend([p * diag(deg + D) ** d for D, p in enumerate(self._pois)])

    @memoized
    def _pair_matrix(self, da, db, m):
        """``off(da + i, db + j)^m`` over the Poisson degrees i, j, in extended precision."""
        _, off = self._closed_forms()
        N = len(self._pois)
        return _extend([[off(da + i, db + j) ** m for j in range(N)] for i in range(N)])

    def _extended_weight(self, shape, rows):
        """``(sum, relative rounding bound)`` of the contraction in extended precision."""
        vectors = [self._row_vector(deg, d) for deg, d, _ in rows]
        matrices = [((a, b), self._pair_matrix(rows[a][0], rows[b][0], m)) for (a, b), m in shape.pairs]
        val = contract(vectors, matrices)
        return to_mpf(val), \
            rounding_bound(len(vectors), len(self._pois), len(vectors) + len(matrices))

    def _factor_forms(self, smax):
        """``(diag, off, error)``: the factors as functions of the rows' variances.

        Closed forms in mpmath where :attr:`_closed` (``error`` 0; rounded to
        float64, with ``error`` 1e-16, when at most 12 digits are asked: the contraction is
        then far faster); float64 tables otherwise, ``error`` the largest error estimate of
        an entry.
        """
        if self._closed:
            diag, off = self._closed_forms()
            if self.digits > 12:
                return diag, off, 0
            return (lambda s: float(diag(s))), (lambda s, t: float(off(s, t))), 1e-16
        t = self._tables(smax)
        return (lambda s: t.diag[s]), (lambda s, u: t.off[s, u]), max(t.diag_error.max(), t.off_error.max())

    @memoized
    def _tables(self, smax):
        return factor_tables(self.model.activation, self.model.inputs, smax)

    def _weight(self, shape, rows, through):
        if self._extended:
            val, rel = self._extended_weight(shape, rows)
            return self._with_error(shape, through, val * self.c ** len(through), 0,
                                    self.eps + mpmath.mpf(rel))
        probs, tail = self._pois, self._pois_tail
        N = len(probs)
        diag, off, table_err = self._factor_forms(max(deg for deg, _, _ in rows) + N)
        dtype = object if table_err == 0 else float
        letters = "abcdefghijklmnopqrstuvwxyz"
        if shape.rows > len(letters):  # pragma: no cover
            raise NotCovered("too many rows for the numeric contraction")
        operands, subs = [], []
        for a, (deg, d, _) in enumerate(rows):
            operands.append(np.array([probs[D] * diag(deg + D) ** d for D in range(N)], dtype=dtype))
            subs.append(letters[a])
        for (a, b), m in shape.pairs:
            da, db = rows[a][0], rows[b][0]
            operands.append(np.array([[off(da + i, db + j) ** m for j in range(N)] for i in range(N)],
                                     dtype=dtype))
            subs.append(letters[a] + letters[b])
        val = np.einsum(",".join(subs) + "->", *operands, optimize=True) if len(operands) > 1 else operands[0].sum()
        val = mpmath.mpf(np.asarray(val, dtype=object).item()) * self.c ** len(through)
        return self._with_error(shape, through, val, table_err, self.eps if table_err == 0 else 1e-14)

    def _with_error(self, shape, through, val, table_err, rel):
        """``(val, error)``: the truncation, table and arithmetic (relative ``rel``) errors."""
        # every factor is at most B = sup f^2 in absolute value: the neglected degrees carry at
        # most r * tail of the (probability) mass, and an error e in each of the k factors
        # moves a product by at most k e B^(k-1)
        B = activation_bound(self.model.activation, 0, self.dps) ** 2
        k = shape.k
        err = self.c ** len(through) * (shape.rows * self._pois_tail * B ** k
                                        + k * mpmath.mpf(table_err) * B ** (k - 1))
        err += abs(val) * mpmath.mpf(rel)
        return val, err


def _extend(values):
    """mpmath numbers as an extended-precision array (each within one rounding: a float64 pair)."""
    hi = np.array(values, dtype=object).astype(float)
    lo = (np.array(values, dtype=object) - hi).astype(float)
    return hi.astype(EXTENDED) + lo.astype(EXTENDED)
