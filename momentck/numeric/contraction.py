"""Sums of products of non-negative factors over row degrees, in extended precision.

A weight of :mod:`momentck.numeric.sparse_tables` is ``sum_D prod_a u_a[D_a]
prod_(a,b) K_ab[D_a, D_b]``: one index per row (its Poisson rest degree), one
vector per row and one matrix per pair of rows.  :func:`contract` sums it by
eliminating one index at a time (fewest neighbours first; rows and blocks form a
tree, so the intermediate tensors have as many indices as the largest block has
rows, less one) with ``numpy.einsum`` in ``numpy.longdouble``.

Error bound.  Every factor is non-negative, so no sum cancels: with unit
roundoff ``u``, a sum of ``n`` terms and a product of ``n`` factors each carry a
relative error of at most ``gamma_n = n u / (1 - n u)`` whatever the order
(Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1 and §4.2), and
relative errors of non-negative terms add along each term's path.  A term of the
result passes through at most ``r`` eliminations (sums of ``N`` terms each), its
``F`` factors and at most ``r`` intermediate tensors are multiplied together
once and each factor enters rounded (one ``u``), so the result has relative error
at most ``gamma_M`` with ``M = r (N + 1) + 2 F``: :func:`rounding_bound`.  With
``N = 30`` Poisson degrees, ``r = 11`` rows and ``F = 30`` factors that is ``2.2e-17`` in x86 extended
precision (``u = 2^-64``), enough for 15 digits; in float64 (``u = 2^-53``) it
would be ``4.4e-14``.  Where ``longdouble`` is plain double (some platforms)
:func:`extended_digits` says so and callers keep mpmath.
"""

import mpmath
import numpy as np

__all__ = ["contract", "rounding_bound", "extended_digits", "to_mpf", "EXTENDED"]

#: the extended-precision float type of the contraction
EXTENDED = np.longdouble
_U = float(np.finfo(EXTENDED).epsneg)           # unit roundoff 2^-64 (x86) or 2^-53 (plain double)
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def rounding_bound(rows, size, factors):
    """``gamma_M``, ``M = rows * (size + 1) + 2 * factors``: the relative rounding error of
    :func:`contract`.

    >>> rounding_bound(11, 30, 30) < 2.2e-17 if extended_digits() > 16 else True
    True
    """
    m = rows * (size + 1) + 2 * factors
    return m * _U / (1 - m * _U)


def extended_digits():
    """Decimal digits of the extended type (18 with x86 extended precision, 15 with plain double)."""
    return int(np.finfo(EXTENDED).precision)


def contract(vectors, matrices):
    """``sum_D prod_a vectors[a][D_a] prod_((a, b), K) K[D_a, D_b]`` of non-negative arrays.

    Parameters
    ----------
    vectors : list of 1-d arrays
        One per index (row), all of one length, dtype :data:`EXTENDED`.
    matrices : list of ((int, int), 2-d array)
        Pair factors ``K[D_a, D_b]``.

    Examples
    --------
    >>> v = [np.array([1, 2], dtype=EXTENDED), np.array([3, 4], dtype=EXTENDED)]
    >>> K = np.array([[1, 0], [0, 1]], dtype=EXTENDED)
    >>> float(contract(v, [((0, 1), K)]))      # 1*3 + 2*4
    11.0
    """
    tensors = [((a,), v) for a, v in enumerate(vectors)] + [((a, b), K) for (a, b), K in matrices]
    remaining = set(range(len(vectors)))
    while remaining:
        v = min(remaining, key=lambda x: (len(_neighbours(tensors, x)), x))
        remaining.discard(v)
        touching = [t for t in tensors if v in t[0]]
        tensors = [t for t in tensors if v not in t[0]]
        out = tuple(sorted(set().union(*(idx for idx, _ in touching)) - {v}))
        spec = ",".join("".join(_LETTERS[i] for i in idx) for idx, _ in touching)
        arr = np.einsum(spec + "->" + "".join(_LETTERS[i] for i in out), *(t for _, t in touching))
        tensors.append((out, arr))
    total = EXTENDED(1)
    for _, t in tensors:                         # scalars, one per connected component
        total = total * t
    return total


def to_mpf(x):
    """An extended-precision number as an mpmath number, exactly (a sum of two float64).

    >>> to_mpf(EXTENDED(1) + EXTENDED(2) ** -60) == 1 + mpmath.mpf(2) ** -60 if extended_digits() > 16 else True
    True
    """
    hi = float(x)
    return mpmath.mpf(hi) + mpmath.mpf(float(x - EXTENDED(hi)))


def _neighbours(tensors, v):
    return set().union(*(idx for idx, _ in tensors if v in idx)) - {v}
