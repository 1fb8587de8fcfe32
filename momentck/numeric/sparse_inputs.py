"""Weights of sparse normal entries with f = sin and non-normal inputs, conditioning on the inputs (MATH.md §4).

The sine option sum of :mod:`.sin_inputs` with the row law of ``sparse(c, entries=normal)``:
its Lévy measure is ``c N(0, 1)``, so ``Psi(u) = c (1 - e^{-u^2/2})``.  Every expectation over
the inputs is then one of Gaussian functions of linear forms: with ``q(x) = beta^2 (c . x)^2``,

* a row's unvisited columns give ``exp(-c (1 - G(c)))``,
  ``G(c_1, ..., c_r) = E exp(-beta^2 sum_i (c_i . x)^2 / 2)`` over fresh inputs;
* a block's incidences give ``(-c)^|e| E prod_{a in e} (1 - e^{-beta^2 (c_a . x_e)^2/2})
  = (-c)^|e| sum_{S subset e} (-1)^|S| G(c_S)``.

So the input law enters only through ``G(C) = E exp(-|C x|^2/2)``, C an ``r x D`` matrix
(``beta`` times the forms, one row each), :class:`GaussMoments`:

* normal inputs: ``det(I + C C^T)^(-1/2)`` (exact; a test oracle for :mod:`.sinweights`, not registered);
* rademacher: finite sums over sign vectors (exact, any k; walks up to 8 declared: m_1..m_8 in ~4.5 min
  serially).  Since ``sin(beta h) ~ beta h``, the option sum cancels from O(1) terms to O(beta^(2k)): below
  ``beta = 1`` the method works with ``2 max_k log10(1/beta)`` more digits;
* uniform on ``[-sqrt 3, sqrt 3]`` (float64, two levels): by the r-dimensional Gaussian
  representation ``exp(-|y|^2/2) = E_g cos(g . y)``, ``G(C) = E_g prod_t sinc(sqrt 3 (C^T g)_t)``
  (g standard normal in ``R^r``; an entire integrand whose Fourier transform lives on the
  zonotope ``sqrt 3 C [-1, 1]^D`` blurred by a Gaussian, so the trapezoid rule with step
  ``2 pi / (B_i + 9)`` per axis, ``B_i = sqrt 3 sum_t |C_it|``, and ``|g_i| <= 9`` errs by
  ~``e^{-40}``).  In a block every input is shared by at most two rows, so each factor
  ``sinc(sqrt 3 (C^T g)_t)`` involves one or two of the g's and the rule is a contraction of
  vectors and matrices along the rows' graph (a cycle of r rows: ``N^3`` operations, N ~ 40–90
  nodes per axis; a test checks it against a long-double Gauss–Legendre rule over the cube).
  The inputs split into groups that no form joins (``G`` is their product), and inputs in no
  form drop out.  Walks up to 7 (m_1..m_6 in ~6 s, m_7 in ~40 s serially; m_8 took over 14 min).
"""

from collections import Counter
from itertools import combinations
from math import ceil, log10, pi, sqrt

import mpmath
import numpy as np
import sympy

from ..errors import NotCovered
from ..laws import Normal, Rademacher, Uniform
from .base import entries_are, memoized
from .sin_inputs import SinInputs, normal_form, relabel, sign_values

__all__ = ["SparseNormalSinInputs", "GaussMoments", "GAUSS_MOMENTS"]


# -- G(C) = E exp(-|C x|^2 / 2) for one input law -------------------------------------------------------
def _matrix(forms):
    """The forms as an integer matrix in :func:`.sin_inputs.normal_form` (rows: forms, columns: inputs)."""
    return tuple(row for _, row in normal_form(forms))


def _groups(C):
    """The column sets of the connected parts of C (columns joined when a row uses both)."""
    D = len(C[0])
    parent = list(range(D))

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for row in C:
        used = [t for t, v in enumerate(row) if v]
        for t in used[1:]:
            parent[find(t)] = find(used[0])
    parts = {}
    for t in range(D):
        parts.setdefault(find(t), []).append(t)
    return list(parts.values())


class GaussMoments:
    """``(value, error)`` of ``G = E exp(-beta^2 sum_i (c_i . x)^2 / 2)`` over i.i.d. inputs of one law,
    and of a block's ``E prod_i (1 - e^{-beta^2 (c_i . x)^2 / 2})`` (by inclusion–exclusion)."""

    #: the largest walk the law's expectations cover
    max_k = None

    def __init__(self, beta):
        self.beta = beta

    def single(self, form):
        """``G`` of one form."""
        return self.gauss((form,))

    def gauss(self, forms):
        """``G`` of several forms, the inputs split into independent groups (memoised on the forms in order
        and, per group, on a value-preserving normal form of its matrix)."""
        return self._gauss(tuple(sorted(forms)))

    @memoized
    def _gauss(self, forms):
        C = _matrix(forms)
        if not C:
            return mpmath.mpf(1), mpmath.mpf(0)
        value, err = mpmath.mpf(1), mpmath.mpf(0)
        for cols in _groups(C):
            sub = tuple(r for r in (tuple(row[t] for t in cols) for row in C) if any(r))
            v, e = self._group(_matrix([tuple(enumerate(r)) for r in sub]))
            value, err = value * v, abs(value) * e + err * (abs(v) + e)
        return value, err

    def block(self, forms):
        """``E prod_i (1 - e^{-beta^2 (c_i . x)^2 / 2})``: 0 when a form is 0."""
        if any(not any(c for _, c in form) for form in forms):
            return mpmath.mpf(0), mpmath.mpf(0)
        return self._relabelled_block(relabel(forms))

    @memoized
    def _relabelled_block(self, forms):
        return self._block(_matrix(forms))

    @memoized
    def _block(self, C):
        forms = [tuple(enumerate(row)) for row in C]
        total, err = mpmath.mpf(0), mpmath.mpf(0)
        for size in range(len(forms) + 1):
            for subset in combinations(forms, size):
                v, e = self.gauss(subset)
                total += (-1) ** size * v
                err += e
        return total, err

    @memoized
    def _group(self, C):
        return self._moment(C)

    def _moment(self, C):
        """``G`` of one connected integer matrix C (rows: forms, columns: inputs)."""
        raise NotImplementedError


class NormalGauss(GaussMoments):
    """Normal inputs: ``det(I + beta^2 C C^T)^(-1/2)`` (exact)."""

    def _moment(self, C):
        M = mpmath.matrix(C)
        return mpmath.det(mpmath.eye(len(C)) + self.beta ** 2 * M * M.T) ** -0.5, mpmath.mpf(0)


class RademacherGauss(GaussMoments):
    """Rademacher inputs: the mean over sign vectors (half of them: ``G`` is even), exact."""

    max_k = 8

    def _moment(self, C):
        counts, size = sign_values([tuple(enumerate(row)) for row in C])
        squares = Counter()
        for values, count in counts.items():
            squares[sum(v * v for v in values)] += count
        total = mpmath.fsum(count * mpmath.exp(-self.beta ** 2 * q / 2) for q, count in squares.items())
        return total / size, mpmath.mpf(0)


_H = sqrt(3)
#: the most trapezoid nodes one g axis may take (an N x N matrix per shared input)
_MAX_AXIS = 3000


class UniformGauss(GaussMoments):
    """Uniform inputs on ``[-sqrt 3, sqrt 3]``: the g-space trapezoid rule contracted along the rows'
    graph (module docstring) at two levels; the error is their difference plus ``1e-15`` times the sum of
    the absolute terms."""

    max_k = 7

    def _moment(self, C):
        C = float(self.beta) * np.array(C, dtype=float)
        if any(np.count_nonzero(C[:, t]) > 2 for t in range(C.shape[1])):
            raise NotCovered("sparse-normal-sin-inputs: an input in three or more forms (a block's inputs are "
                             "shared by at most two rows)")
        (v1, s1), (v2, s2) = self._g_rule(C, 0), self._g_rule(C, 1)
        return mpmath.mpf(v2), mpmath.mpf(abs(v2 - v1) + 1e-15 * max(s1, s2))

    @staticmethod
    def _g_axis(B, level):
        """Trapezoid nodes and weights (with the normal density) for one g axis of bandwidth B: level 0 the
        margin 9 (aliasing and truncation ~e^{-40}), level 1 margin 11 and the step 0.8 times finer."""
        margin, scale = 9.0 + 2.0 * level, 1.0 - 0.2 * level
        h = 2 * pi / (B + margin) * scale
        g = np.arange(-ceil(margin / h), ceil(margin / h) + 1) * h
        return g, h * np.exp(-g * g / 2) / sqrt(2 * pi)

    def _g_rule(self, C, level):
        """``(value, sum |terms|)`` of ``E_g prod_t sinc(sqrt 3 (C^T g)_t)``, level 0 or 1 (finer), when
        every input is in at most two forms: each input is then a factor of one or two of the g's, and
        the rule is a contraction of vectors and matrices over the g axes (for a cycle of r forms
        ``N^3`` operations instead of ``N^r``)."""
        r, D = C.shape
        axes = [self._g_axis(b, level) for b in _H * np.abs(C).sum(axis=1)]
        if max(len(g) for g, _ in axes) > _MAX_AXIS:
            raise NotCovered(f"sparse-normal-sin-inputs: sin(beta x) with beta = {float(self.beta):.4g} needs more "
                             f"than {_MAX_AXIS} trapezoid nodes per axis for uniform inputs (about 2.9 (sqrt 3 beta "
                             f"sum |c| + 9), sum |c| <= 2k); use a smaller scale")
        vectors = [w.copy() for _, w in axes]
        matrices = {}
        for t in range(D):
            rows = np.flatnonzero(C[:, t])
            if len(rows) == 1:
                a, = rows
                vectors[a] *= _sinc(_H * C[a, t] * axes[a][0])
            else:
                a, b = rows
                m = _sinc(_H * (C[a, t] * axes[a][0][:, None] + C[b, t] * axes[b][0][None, :]))
                matrices[(a, b)] = matrices[(a, b)] * m if (a, b) in matrices else m
        letters = "abcdefghijklmnopqrstuvwxyz"
        subscripts = [letters[a] for a in range(r)] + [letters[a] + letters[b] for a, b in matrices]
        operands = vectors + list(matrices.values())
        expr = ",".join(subscripts) + "->"
        value = np.einsum(expr, *operands, optimize="greedy")
        size = np.einsum(expr, *[np.abs(o) for o in operands], optimize="greedy")
        return float(value), float(size)


def _sinc(y):
    """``sin(y) / y``."""
    y = np.asarray(y, dtype=float)
    out = np.ones_like(y)
    nz = y != 0
    out[nz] = np.sin(y[nz]) / y[nz]
    return out


#: the input laws with Gaussian moments, by law class
GAUSS_MOMENTS = {Rademacher: RademacherGauss, Uniform: UniformGauss, Normal: NormalGauss}


# -- the method ----------------------------------------------------------------------------------------
class SparseNormalSinInputs(SinInputs):
    """Weights of sparse normal entries, sin(beta x) and rademacher or uniform inputs (shared inputs)."""

    name = "sparse-normal-sin-inputs"
    weights = entries_are(Normal, "sparse normal")
    MOMENTS = GAUSS_MOMENTS
    accuracy = ("working precision (rademacher: finite sums); uniform: ~1e-14 at scale 1, Gaussian integrals over "
                "the cube by a contracted float64 trapezoid rule, which the option sum cancels at small scales "
                "(m_4 to 1e-11 at scale 0.3, 3e-8 at 0.1)")
    cost = 0.015

    def _setup(self):
        scale = float(self.model.activation.scale)
        if scale < 1:   # sin(beta h) ~ beta h: the option sum cancels from O(1) terms to O(beta^(2k))
            self.dps += ceil(2 * self.max_k(self.model) * log10(1 / scale))
        with mpmath.workdps(self.dps):
            self.c = mpmath.mpf(sympy.N(self.model.weights.c, self.dps))
            beta = mpmath.mpf(sympy.N(self.model.activation.scale, self.dps))
            self.moments = self.moments_of(self.model.inputs)(beta)

    @memoized
    def _row(self, c, weight):
        value, err = self.moments.single(c)
        row = weight * mpmath.exp(-self.c * (1 - value))
        return row, abs(row) * mpmath.expm1(self.c * err)

    @memoized
    def _block(self, cs):
        value, err = self.moments.block(cs)
        scale = (-self.c) ** len(cs)
        return scale * value, abs(scale) * err
