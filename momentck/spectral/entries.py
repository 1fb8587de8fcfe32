"""Entries of the kernel K on the block tree, as functions of the rows' local data (MATH.md §3, §7).

In the limit two clique-mates a, b share exactly one column, with incidence weights
``w_a, w_b``; everything else about a row that its K-entries need is its *norm*
``s = sum_j W_aj^2`` (for rademacher entries with rademacher inputs: its degree,
which is the same number).  With ``rho = w_a w_b``:

* ``diag(s) = K_aa = E f(h_a)^2``,
* ``off(s_a, s_b, rho) = K_ab = E f(h_a) f(h_b)``,
* ``slope(s)`` with ``d off / d rho (s_a, s_b, 0) = slope(s_a) slope(s_b)`` (used for the
  mean-field term of weak couplings, :mod:`momentck.spectral.cavity`).

Families (a registry keyed by inputs, activation and weight entries):

==========================  ================================================================
normal inputs, ``sin(bx)``  ``diag = (1 - e^{-2 b^2 s})/2``, ``off = e^{-b^2 (s_a+s_b)/2} sinh(b^2 rho)``
normal inputs, ``erf(bx)``  with ``B = 2 b^2``: ``diag = (2/pi) asin(Bs/(1+Bs))``,
                            ``off = (2/pi) asin(B rho / sqrt((1+B s_a)(1+B s_b)))``
normal inputs, rademacher   integer norms, ``rho = ±1``: ``diag[s]``, ``rho off[s_a, s_b]`` from
entries, bounded f          :class:`momentck.numeric.gaussfactors.GaussianFactorTables`
rademacher inputs and       ``diag = g(s) = E f(S_s)^2``, ``off = rho u(s_a-1) u(s_b-1)``,
entries, any f              ``u(m) = E f(1 + S_m)`` (S_m: sum of m signs), exact binomial sums
==========================  ================================================================

Every other model has no K-entries here: :func:`kernel_entries` says which are covered.
"""

import math

import numpy as np
from scipy.special import gammaln

from ..errors import MomentckError, NotCovered

__all__ = ["kernel_entries", "covered", "SinEntries", "ErfEntries", "TableEntries", "SignEntries"]


class SinEntries:
    """``f = sin(beta x)`` with normal inputs (any weights)."""

    integer_norms = False

    def __init__(self, beta):
        self.b = float(beta) ** 2

    def diag(self, s):
        return -0.5 * np.expm1(-2.0 * self.b * s)

    def off(self, sa, sb, rho):
        return np.exp(-0.5 * self.b * (sa + sb)) * np.sinh(self.b * rho)

    def slope(self, s):
        return math.sqrt(self.b) * np.exp(-0.5 * self.b * s)


class ErfEntries:
    """``f = erf(beta x)`` with normal inputs (any weights)."""

    integer_norms = False

    def __init__(self, beta):
        self.B = 2.0 * float(beta) ** 2

    def diag(self, s):
        return (2 / np.pi) * np.arcsin(self.B * s / (1.0 + self.B * s))

    def off(self, sa, sb, rho):
        return (2 / np.pi) * np.arcsin(self.B * rho / np.sqrt((1.0 + self.B * sa) * (1.0 + self.B * sb)))

    def slope(self, s):
        return np.sqrt(2 * self.B / np.pi / (1.0 + self.B * s))


class _IntegerTables:
    """Tables indexed by an integer norm, grown on demand."""

    integer_norms = True

    def __init__(self):
        self._size = 0
        self._grow(16)

    def _index(self, s):
        i = np.rint(np.asarray(s)).astype(np.int64)
        top = int(i.max()) if i.size else 0
        if top >= self._size:
            self._grow(max(top + 1, 2 * self._size))
        return i


class TableEntries(_IntegerTables):
    """Rademacher entries with normal inputs, any bounded activation (Gaussian factor tables)."""

    def __init__(self, f):
        self.f = f
        super().__init__()

    def _grow(self, size):
        from ..numeric.gaussfactors import GaussianFactorTables
        t = GaussianFactorTables(self.f, size - 1)
        self._diag, self._off, self._size = t.diag.copy(), t.off.copy(), size
        self._diag[0] = 0.0

    def diag(self, s):
        i = self._index(s)
        return self._diag[i]

    def off(self, sa, sb, rho):
        i, j = self._index(sa), self._index(sb)
        return np.sign(rho) * self._off[i, j]


class SignEntries(_IntegerTables):
    """Rademacher entries with rademacher inputs, any activation (exact binomial sums)."""

    def __init__(self, f):
        self.f = f
        super().__init__()

    def _grow(self, size):
        g, u = np.zeros(size), np.zeros(size)
        for m in range(size):
            k = np.arange(m + 1)
            p = np.exp(gammaln(m + 1) - gammaln(k + 1) - gammaln(m - k + 1) - m * math.log(2))
            g[m] = p @ self.f(m - 2.0 * k) ** 2
            u[m] = p @ self.f(1.0 + m - 2.0 * k)
        self._g, self._u, self._size = g, u, size

    def diag(self, s):
        i = self._index(s)
        return self._g[i]

    def off(self, sa, sb, rho):
        return rho * self.factor(sa) * self.factor(sb)

    def factor(self, s):
        """``u(s - 1)``: ``off = rho factor(s_a) factor(s_b)`` (rank one, Sherman–Morrison)."""
        i = np.maximum(self._index(s) - 1, 0)
        return self._u[i]


def _name(obj):
    return getattr(obj, "name", None)


def _entries_name(model):
    ent = getattr(model.weights, "entries", None)
    return _name(ent)


#: (description, predicate(model), builder(model)); first match wins
_REGISTRY = [
    ("normal inputs with sin(beta x) (sparse or stable weights)",
     lambda m: _name(m.inputs) == "normal" and _name(m.activation) == "sin",
     lambda m: SinEntries(m.activation.scale)),
    ("normal inputs with erf(beta x) (sparse or stable weights)",
     lambda m: _name(m.inputs) == "normal" and _name(m.activation) == "erf",
     lambda m: ErfEntries(m.activation.scale)),
    ("sparse rademacher entries, normal inputs, tanh or atan",
     lambda m: (_entries_name(m) == "rademacher" and _name(m.inputs) == "normal"
                and _name(m.activation) in ("tanh", "atan")),
     lambda m: TableEntries(m.activation)),
    ("sparse rademacher entries, rademacher inputs, any activation",
     lambda m: _entries_name(m) == "rademacher" and _name(m.inputs) == "rademacher",
     lambda m: SignEntries(m.activation)),
]


def covered():
    """Descriptions of the (weights, inputs, activation) families with K-entries."""
    return [d for d, _, _ in _REGISTRY]


def kernel_entries(model):
    """The K-entry functions of a (non-Gaussian) model, or a one-line :class:`MomentckError`.

    Examples
    --------
    >>> from momentck import Model
    >>> e = kernel_entries(Model("sparse(c=2, entries=rademacher)", "rademacher", "tanh"))
    >>> round(float(e.diag(1)), 12) == round(math.tanh(1) ** 2, 12)
    True
    """
    if model.free_symbols:
        raise MomentckError("the spectral law needs numeric parameters (no symbols)")
    for _, ok, build in _REGISTRY:
        if ok(model):
            return build(model)
    raise NotCovered(
        f"no K-entries for weights {model.weights.spec}, inputs {model.inputs.spec}, activation "
        f"{model.activation.spec}; covered: gaussian weights with any activation; "
        + "; ".join(covered()))
