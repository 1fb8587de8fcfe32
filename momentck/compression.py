"""Free Poisson compression: from kernel moments h_j to spectral moments m_k.

Conditionally on W, the columns of Y are i.i.d. with covariance K, so the
empirical spectral law of ``M = Y Y^T / m`` is the Marchenko–Pastur (Silverstein)
law with population law ``H = lim ESD(K)`` and ratio ``gamma = n/m``
(MATH.md §2).  In moments, with NC(k) the non-crossing partitions of {1..k},

    m_k = sum_{pi in NC(k)} gamma^{|pi| - 1} prod_{V in pi} h_{|V|}.

The same sum with all ``h_j = 1`` and ``gamma`` replaced by ``lambda`` gives the
Marchenko–Pastur moments, ``MP_k(lambda) = sum_{pi in NC(k)} lambda^{k - |pi|}``
(Narayana polynomials); MATH.md §5 uses them for the Gaussian case.

References
----------
G. Kreweras, "Sur les partitions non croisées d'un cycle", Discrete Math. 1 (1972).
A. Nica, R. Speicher, *Lectures on the Combinatorics of Free Probability*, CUP 2006.
"""

from collections import Counter
from itertools import combinations
from math import factorial

import sympy

from .errors import MomentckError
from .validation import check_k as _check_k

__all__ = ["noncrossing_partitions", "noncrossing_type_counts", "free_poisson_moments",
           "marchenko_pastur_moment"]


def noncrossing_partitions(k):
    """Generate the non-crossing partitions of ``{1, ..., k}``.

    Each partition is a tuple of blocks, each block an increasing tuple; blocks
    are ordered by their least element.  There are Catalan(k) of them.

    Examples
    --------
    >>> sorted(noncrossing_partitions(3))
    [((1,), (2,), (3,)), ((1,), (2, 3)), ((1, 2), (3,)), ((1, 2, 3),), ((1, 3), (2,))]
    >>> sum(1 for _ in noncrossing_partitions(6))
    132
    """
    _check_k(k)
    yield from (tuple(sorted(p)) for p in _nc(1, k))


def _nc(lo, hi):
    """Non-crossing partitions of the interval lo..hi (lists of tuples)."""
    if lo > hi:
        yield []
        return
    # The block of lo is lo = i_0 < i_1 < ... < i_s; the gaps between are independent.
    rest = list(range(lo + 1, hi + 1))
    for size in range(len(rest) + 1):
        for others in combinations(rest, size):
            block = (lo,) + others
            bounds = list(block) + [hi + 1]
            yield from _gaps(block, bounds, 0)




def _gaps(block, bounds, i):
    if i == len(block):
        yield [block]
        return
    for inner in _nc(bounds[i] + 1, bounds[i + 1] - 1):
        for tail in _gaps(block, bounds, i + 1):
            yield inner + tail


def noncrossing_type_counts(k):
    """Count NC(k) by block type (Kreweras' formula).

    Returns
    -------
    dict
        ``{sizes: count}`` where ``sizes`` is the non-increasing tuple of block
        sizes; ``count = k! / ((k - b + 1)! prod_i m_i!)`` with ``b`` blocks and
        ``m_i`` blocks of size ``i``.

    Examples
    --------
    >>> noncrossing_type_counts(4)[(2, 1, 1)]
    6
    """
    _check_k(k)
    out = {}
    for sizes in _integer_partitions(k, k):
        mult = Counter(sizes)
        den = factorial(k - len(sizes) + 1)
        for v in mult.values():
            den *= factorial(v)
        out[sizes] = factorial(k) // den
    return out


def _integer_partitions(k, largest):
    if k == 0:
        yield ()
        return
    for first in range(min(k, largest), 0, -1):
        for tail in _integer_partitions(k - first, first):
            yield (first,) + tail


def free_poisson_moments(h, gamma):
    """Spectral moments m_1..m_k of the free Poisson compression of kernel moments h.

    Parameters
    ----------
    h : sequence
        ``[h_1, ..., h_k]`` (sympy expressions, numbers or mpmath numbers).
    gamma : number or expression
        ``n/m``.

    Returns
    -------
    list
        ``[m_1, ..., m_k]``, of the same kind as the inputs (exact stays exact).

    Examples
    --------
    >>> h1, h2, h3, g = sympy.symbols("h1 h2 h3 gamma")
    >>> free_poisson_moments([h1, h2, h3], g)[2]
    gamma**2*h1**3 + 3*gamma*h1*h2 + h3
    """
    h = list(h)
    if not h:
        raise MomentckError("free_poisson_moments needs at least h_1")
    out = []
    for k in range(1, len(h) + 1):
        total = 0
        for sizes, count in noncrossing_type_counts(k).items():
            term = count * gamma ** (len(sizes) - 1)
            for s in sizes:
                term = term * h[s - 1]
            total = total + term
        out.append(sympy.expand(total) if isinstance(total, sympy.Basic) else total)
    return out


def marchenko_pastur_moment(k, lam):
    """k-th moment of the Marchenko–Pastur law of mean 1 and ratio ``lam``.

    ``MP_k(lam) = sum_{pi in NC(k)} lam^{k - |pi|}``; MP_0 = 1.

    Examples
    --------
    >>> lam = sympy.Symbol("lam")
    >>> marchenko_pastur_moment(3, lam)
    lam**2 + 3*lam + 1
    """
    if k == 0:
        return sympy.Integer(1)
    _check_k(k)
    total = 0
    for sizes, count in noncrossing_type_counts(k).items():
        total = total + count * lam ** (k - len(sizes))
    return sympy.expand(total) if isinstance(total, sympy.Basic) else total
