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

import math
from collections import Counter
from itertools import product

import mpmath
import numpy as np

from ..laws import Rademacher, Uniform
from .base import WeightMethod, any_of, law_is, named

__all__ = ["SinInputs", "row_slots", "row_options", "sign_values", "normal_form", "relabel"]


def relabel(forms):
    """The forms with their coordinates renumbered 0, 1, ... in order of appearance: a cheap key under
    which equal structures met at different factor numbers meet again (before :func:`normal_form`).

    Examples
    --------
    >>> relabel([((4, 1), (7, -1)), ((7, 2),)])
    (((0, 1), (1, -1)), ((1, 2),))
    """
    ids = {}
    return tuple(tuple((ids.setdefault(t, len(ids)), c) for t, c in form) for form in forms)


def normal_form(forms, tags=None):
    """Integer forms (tuples of ``(coordinate, coefficient)``), each with a tag (default 0), as a tuple of
    ``(tag, coefficients)`` rows over the coordinates some form uses, with the symmetries of i.i.d.
    symmetric inputs divided out: each row's sign fixed (first nonzero positive), each column's sign fixed
    (first nonzero positive), columns sorted, rows sorted.  Not a canonical form (equal results may keep
    different keys), only a value-preserving one: every step is a symmetry of ``E F(c_1 . x, ..., c_r . x)``
    for F even in each argument.  Zero forms are dropped.

    Examples
    --------
    >>> normal_form([((3, -1), (5, 2)), ((5, 1),)]) == normal_form([((0, 2), (1, 1)), ((0, -1),)])
    True
    """
    coords = sorted({t for form in forms for t, c in form if c})
    position = {t: i for i, t in enumerate(coords)}
    tags_kept, rows = [], []
    for form, tag in zip(forms, (0,) * len(forms) if tags is None else tags):
        row = [0] * len(coords)
        for t, c in form:
            if t in position:
                row[position[t]] = c
        if any(row):
            tags_kept.append(tag)
            rows.append(tuple(row))
    for _ in range(2):
        rows = [_sign_fixed(r) for r in rows]
        cols = sorted(_sign_fixed(c) for c in zip(*rows))
        pairs = sorted(zip(tags_kept, zip(*cols)))
        tags_kept, rows = [tag for tag, _ in pairs], [r for _, r in pairs]
    return tuple(zip(tags_kept, rows))


def _sign_fixed(v):
    """The tuple ``v`` or ``-v``, whichever has its first nonzero entry positive."""
    for x in v:
        if x:
            return v if x > 0 else tuple([-y for y in v])
    return v


def sign_values(forms):
    """How often each tuple of values ``(c_1 . x, ..., c_r . x)`` of integer forms (tuples of
    ``(coordinate, coefficient)``) occurs over the sign vectors x of their coordinates with the first
    coordinate +1 (half of all: the global flip negates every value), and that count of vectors.

    Examples
    --------
    >>> sign_values([((0, 1), (1, 1)), ((0, 1), (1, -1))])
    (Counter({(2, 0): 1, (0, 2): 1}), 2)
    """
    coords = sorted({t for form in forms for t, _ in form})
    X = np.array([(1,) + s for s in product((1, -1), repeat=len(coords) - 1)], dtype=np.int64)
    C = np.array([[dict(form).get(t, 0) for t in coords] for form in forms], dtype=np.int64)
    return Counter(map(tuple, (X @ C.T).tolist())), len(X)


def row_slots(shape):
    """Per row, its slots ``(factor, diagonal?)``: the factors are numbered diagonal ones first (row by row),
    then the pairs' (each slot shared by the pair's two rows).

    Examples
    --------
    >>> from momentck.shapes import enumerate_shapes
    >>> shape = next(s for s in enumerate_shapes(3) if s.rows == 2)
    >>> shape.diag, shape.pairs
    ((0, 1), (((0, 1), 2),))
    >>> row_slots(shape)
    [[(1, False), (2, False)], [(0, True), (1, False), (2, False)]]
    """
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
    return slots


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
        options = [list(row_options(s).items()) for s in row_slots(shape)]
        messages = self._row_sum(shape.blocks, options, 0, None)
        total = mpmath.fsum(m[0] for m in messages)
        size, err = (math.fsum(m[i] for m in messages) * (1 + 1e-12) for i in (1, 2))  # float rounding
        scale = mpmath.mpf(4) ** shape.k
        return total * (-1) ** shape.k / scale, (err + size * mpmath.mpf(10) ** (-self.dps + 5)) / scale

    def _row_sum(self, blocks, options, a, parent):
        """Per option of row a: ``(value, sum |terms|, error)`` (the last two floats) of its row factor times
        the sums over the subtrees of the block tree that hang below it (every block of a but ``parent``).  The rows and
        blocks form a tree, so the option sum is taken block by block (sum-product): its cost is the sum
        over blocks of the product of their rows' option counts, not the product over all rows."""
        out = []
        below = [(j, block) for j, block in enumerate(blocks) if a in block and j != parent]
        subtrees = {(j, b): self._row_sum(blocks, options, b, j) for j, block in below for b in block if b != a}
        for i, (c, w) in enumerate(options[a]):
            v, e = self._row(c, w)
            msg = (v, float(abs(v)), float(e))
            for j, block in below:
                others = [b for b in block if b != a]
                value, size, error = mpmath.mpf(0), 0.0, 0.0
                for pick in product(*(range(len(options[b])) for b in others)):
                    chosen = {**dict(zip(others, pick)), a: i}
                    bv, be = self._block(tuple(options[b][chosen[b]][0] for b in block))
                    term = (bv, float(abs(bv)), float(be))
                    for b, o in zip(others, pick):
                        term = _times(term, subtrees[(j, b)][o])
                    value, size, error = value + term[0], size + term[1], error + term[2]
                msg = _times(msg, (value, size, error))
            out.append(msg)
        return out


def _times(x, y):
    """The product of two sums given as ``(value, sum |terms|, error)``: the error of a product of terms
    is at most ``|x| e_y + |y| e_x + e_x e_y``, summed over the terms of both."""
    return x[0] * y[0], x[1] * y[1], x[1] * y[2] + y[1] * x[2] + x[2] * y[2]
