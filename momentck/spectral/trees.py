"""The Poisson block tree of a weight law (MATH.md §3): incidence weights and row norms.

A row's columns carry a Poisson process of incidence weights with intensity ``nu``;
a column's other rows carry one with intensity ``nu/psi``.  A :class:`Tree` samples
the incidences that are kept as edges and the part of a row's norm that is not:

* ``sparse(c, entries=A)``: ``nu = c Law(A)`` is finite, every incidence is an edge
  (``lam = c``), nothing is left over.
* ``stable(alpha)`` with a cut ``eps``: incidences with ``|w| > eps`` are edges
  (``lam = 2 c_alpha eps^{-alpha} / alpha`` of them per row on average, ``|w| = eps U^{-1/alpha}``);
  the rest is folded into the row norm, ``S_eps = sum_{|w| <= eps} w^2``, an infinitely
  divisible law with ``E e^{-t S_eps} = exp(-int_{|w|<=eps} (1 - e^{-t w^2}) nu(dw))``.  It is
  sampled by series: the Poisson points in ``(eps/20, eps]`` exactly, the rest by its mean
  ``2 c_alpha delta^{2-alpha}/(2-alpha)`` (``delta = eps/20``; its standard deviation
  ``sqrt(2 c_alpha delta^{4-alpha}/(4-alpha))`` is below 1% of ``m_eps`` for alpha <= 1.9).
  ``m_small = int_{|w|<=eps} w^2 nu(dw) = 2 c_alpha eps^{2-alpha}/(2-alpha)`` feeds the
  mean-field term of the dropped weak couplings.
"""


import numpy as np

from ..errors import MomentckError, NotCovered

__all__ = ["Tree", "SparseTree", "StableTree", "tree_for"]


class Tree:
    """Interface: ``lam``, ``m_small``, ``sample_w(size, rng)``, ``rest(size, rng)``."""

    lam = 0.0
    m_small = 0.0

    def rest(self, size, rng):
        return np.zeros(size)


class SparseTree(Tree):
    """Finite Lévy measure ``c Law(A)``: every incidence is an edge."""

    def __init__(self, law):
        self.lam = float(law.c)
        self._entries = law.entries

    def sample_w(self, size, rng):
        return self._entries.sample(size, rng)


class StableTree(Tree):
    """``alpha``-stable weights: edges above ``eps``, the rest in the row norms."""

    _TABLE = 1 << 16

    def __init__(self, law, eps, rng):
        a = float(law.alpha)
        self.alpha, self.eps = a, float(eps)
        self.c_alpha = float(law.c_alpha)
        self.lam = 2 * self.c_alpha * self.eps ** (-a) / a
        self.m_small = 2 * self.c_alpha * self.eps ** (2 - a) / (2 - a)
        self._table = self._rest_table(rng)

    def sample_w(self, size, rng):
        mag = self.eps * rng.random(size) ** (-1.0 / self.alpha)
        return np.where(rng.random(size) < 0.5, -mag, mag)

    def _rest_table(self, rng):
        a, eps, c = self.alpha, self.eps, self.c_alpha
        delta = eps / 20.0
        count = rng.poisson(2 * c * (delta ** -a - eps ** -a) / a, self._TABLE)
        u = rng.random(int(count.sum()))
        w2 = (delta ** -a - u * (delta ** -a - eps ** -a)) ** (-2.0 / a)
        owner = np.repeat(np.arange(self._TABLE), count)
        return np.bincount(owner, w2, self._TABLE) + 2 * c * delta ** (2 - a) / (2 - a)

    def rest(self, size, rng):
        return self._table[rng.integers(0, self._TABLE, size)]

    def small_square(self, size, rng):
        """``w^2`` with w drawn from ``w^2 nu(dw) / m_small`` on ``|w| <= eps``: ``|w| = eps U^{1/(2-alpha)}``."""
        return self.eps ** 2 * rng.random(size) ** (2.0 / (2.0 - self.alpha))


def tree_for(model, eps, rng):
    """The :class:`Tree` of a model's weight law (sparse or stable)."""
    name = getattr(model.weights, "name", None)
    if name == "sparse":
        return SparseTree(model.weights)
    if name == "stable":
        if not (isinstance(eps, (int, float)) and 0 < eps):
            raise MomentckError(f"stable weights: the cut eps must be a number > 0, got {eps!r}")
        return StableTree(model.weights, eps, rng)
    raise NotCovered(f"no block tree for weights {model.weights.spec}; allowed: sparse(...), stable(...)")
