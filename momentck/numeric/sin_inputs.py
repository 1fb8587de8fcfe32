"""The sine option sum: weights of f = sin(beta x) conditioned on the inputs (MATH.md §4).

Condition on every input copy ``x^(t)`` (one per factor t) instead of the weights; then
the rows are independent.  Writing each ``sin(beta h)`` as ``sum_eps eps e^{i eps beta h} / (2i)``,
row a carries ``e^{i beta sum_j W_aj (c_a . x_j)}`` for an integer vector ``c_a`` over the
factors at a (a diagonal factor gives ``c_t`` in {2: 1, -2: 1, 0: -2}, an off-diagonal one
``c_t = eps`` with weight ``eps``).  For a row law with Lévy measure ``nu`` and
``Psi(u) = int nu(dw) (1 - cos wu)``:

* the unvisited columns give ``exp(-E Psi(beta c_a . x))`` over fresh inputs (the Laplace
  functional of the row's Poisson process);
* an incidence of row a with column e: the integrand vanishes when its weight is 0 (an
  off-diagonal factor through e then has independent symmetric ends), so ``e^{i beta w u}``
  may be replaced by ``e^{i beta w u} - 1``, and ``int nu(dw) (e^{i beta w u} - 1) = -Psi(beta u)``,
  ``u = c_a . x_e``.

Hence, with ``2 sum_a deg = 2k`` sines in all,

    w(S) = (-4)^-k sum_c prod_a wt(c_a) exp(-E Psi(beta c_a . x))
           x prod_e E prod_{a in e} (-Psi(beta c_a . x_e)),

where column e's inputs ``x_e^(t)`` are shared by the rows of e through the factors between
them.  :class:`SinInputs` holds this sum; a method for one family of row laws supplies the
row factor ``wt(c) exp(-E Psi(beta c . x))`` (:meth:`SinInputs._row`) and the block
expectation (:meth:`SinInputs._block`): :mod:`.stable_inputs` (``Psi(u) = |u|^alpha``) and
:mod:`.sparse_inputs` (``Psi(u) = c (1 - e^{-u^2/2})``, sparse normal entries).
"""

from itertools import product

import mpmath

from ..laws import Rademacher, Uniform
from .base import WeightMethod, any_of, law_is, named

__all__ = ["SinInputs", "row_options"]


def row_options(slots):
    """``{c: weight}`` for a row's sines; ``slots`` lists ``(factor, diagonal?)``.  Vectors are
    kept up to a global sign (first nonzero entry positive, weight doubled).

    Examples
    --------
    >>> row_options([(0, False), (1, False)])
    {((0, 1), (1, 1)): 2, ((0, 1), (1, -1)): -2}
    >>> row_options([(0, True)])
    {((0, 2),): 2, ((0, 0),): -2}
    """
    per_slot = [((2, 1), (-2, 1), (0, -2)) if diag else ((1, 1), (-1, -1)) for _, diag in slots]
    out = {}
    for choice in product(*per_slot):
        c = tuple((t, ci) for (t, _), (ci, _) in zip(slots, choice))
        first = next((ci for _, ci in c if ci), 0)
        if first < 0:
            continue
        wt = 1
        for _, w in choice:
            wt *= w
        out[c] = out.get(c, 0) + (2 * wt if first else wt)
    return out


class SinInputs(WeightMethod):
    """The sine option sum over the rows' vectors ``c_a`` (subclasses: the row factor and the block expectation).

    A subclass names, per input law, the class of its expectations over the inputs (:attr:`MOMENTS`, each
    with its largest walk ``max_k``); :meth:`moments_of` picks the model's."""

    inputs = any_of(law_is(Rademacher, "rademacher"), law_is(Uniform, "uniform"))
    activation = named("sin")
    #: the input laws' expectation classes, by law class (rademacher's limit is the one shown for no model)
    MOMENTS = {}

    @classmethod
    def moments_of(cls, law):
        """The expectation class of an input law, or None."""
        return next((m for kind, m in cls.MOMENTS.items() if isinstance(law, kind)), None)

    @classmethod
    def max_k(cls, model):
        """The input law's limit (for models not covered, rademacher inputs')."""
        moments = None if model is None else cls.moments_of(model.inputs)
        return (moments or cls.MOMENTS[Rademacher]).max_k

    def _row(self, c, weight):
        """``(value, error)`` of ``weight exp(-E Psi(beta c . x))`` (mpmath)."""
        raise NotImplementedError

    def _block(self, cs):
        """``(value, error)`` of ``E prod_{a in e} (-Psi(beta c_a . x_e))`` for the rows' vectors ``cs``."""
        raise NotImplementedError

    def _weight(self, shape, rows, through):
        slots = [[] for _ in range(shape.rows)]
        t = 0
        for a, n in enumerate(shape.diag):
            for _ in range(n):
                slots[a].append((t, True))
                t += 1
        for (a, b), m in shape.pairs:
            for _ in range(m):
                slots[a].append((t, False))
                slots[b].append((t, False))
                t += 1
        options = [list(row_options(s).items()) for s in slots]
        total, size, err = mpmath.mpf(0), mpmath.mpf(0), mpmath.mpf(0)
        for choice in product(*options):
            term, e = mpmath.mpf(1), mpmath.mpf(0)
            for c, w in choice:
                v, ev = self._row(c, w)
                term, e = term * v, abs(term) * ev + e * (abs(v) + ev)
            for block in shape.blocks:
                if not term and not e:
                    break
                v, ev = self._block(tuple(choice[a][0] for a in block))
                term, e = term * v, abs(term) * ev + e * (abs(v) + ev)
            total += term
            size += abs(term)
            err += e
        scale = mpmath.mpf(4) ** shape.k
        return total * (-1) ** shape.k / scale, (err + size * mpmath.mpf(10) ** (-self.dps + 5)) / scale
