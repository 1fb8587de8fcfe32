"""The base class of numeric weight methods (MATH.md §4, numeric).

A *weight method* evaluates ``w(S)`` for the models it covers, to ``digits``
significant digits with an upper bound of the absolute error.  Every method is one
subclass of :class:`WeightMethod` declaring

* which models it covers: the predicates :attr:`~WeightMethod.weights`,
  :attr:`~WeightMethod.inputs` and :attr:`~WeightMethod.activation`, each a
  ``(description, test)`` pair read by :meth:`~WeightMethod.applies`;
* its largest walk length (:meth:`~WeightMethod.max_k`), its cost
  (:attr:`~WeightMethod.cost`, seconds per shape of m_1..m_4: the wall time of
  ``benchmarks/bench_coverage.py --k 4`` over its 19 shapes, on 2 shared cores; the
  registry prefers the cheapest method that applies) and its accuracy
  (:attr:`~WeightMethod.accuracy`);
* ``_weight(shape, rows, through)``, called only for shapes whose incidence
  counts pass :meth:`~WeightMethod.vanishes` (the parity condition shared by all
  methods: an odd number of off-diagonal factors through an incidence gives an odd
  integrand in its weight, hence 0);
* optionally :meth:`~WeightMethod.affinity`, naming the costly intermediate result a
  shape shares with others, so that the engine weighs those shapes on one worker.

The registry (:mod:`momentck.numeric`) holds the methods.
"""

from collections import Counter
from functools import wraps

import mpmath
import sympy

from ..errors import NotCovered
from ..validation import check_int

__all__ = ["WeightMethod", "incidence_counts", "memoized", "activation_bound", "poisson_probabilities",
           "law_is", "entries_are", "named", "any_of"]


def incidence_counts(shape):
    """Per row ``(blocks, diagonal factors, off-diagonal factors)``; per incidence the factor count.

    Examples
    --------
    >>> from momentck.shapes import enumerate_shapes
    >>> s = next(s for s in enumerate_shapes(2) if s.rows == 2)
    >>> incidence_counts(s)
    ([(1, 0, 2), (1, 0, 2)], Counter({(0, 0): 2, (1, 0): 2}))
    """
    block_of = shape.pair_blocks
    through = Counter()
    off = Counter()
    for (a, b), m in shape.pairs:
        j = block_of[(a, b)]
        through[(a, j)] += m
        through[(b, j)] += m
        off[a] += m
        off[b] += m
    deg = Counter(a for block in shape.blocks for a in block)
    rows = [(deg[a], shape.diag[a], off[a]) for a in range(shape.rows)]
    return rows, through


def memoized(method):
    """Cache a method's results on its instance (an lru_cache on methods would keep every
    instance alive for the life of the process)."""
    @wraps(method)
    def wrapper(self, *args):
        memo = self.__dict__.setdefault("_memo", {})
        key = (method.__name__, args)
        if key not in memo:
            memo[key] = method(self, *args)
        return memo[key]
    return wrapper


def activation_bound(f, m, dps):
    """An upper bound of ``|f|`` on ``[-m, m]`` (bounded activations: their supremum)."""
    if f.bounded:
        return mpmath.pi / 2 if f.name == "atan" else mpmath.mpf(1)
    b = mpmath.mpf(sympy.N(f.scale, dps)) * m
    return mpmath.fsum(abs(mpmath.mpf(sympy.N(a, dps))) * b ** p for p, a in f.taylor(f.degree).items())


def poisson_probabilities(c, eps):
    """``(probabilities, tail)``: Poisson(c) probabilities up to a degree whose tail is below ``eps``."""
    p, probs, tail = mpmath.exp(-c), [], mpmath.mpf(1)
    while True:
        probs.append(p)
        tail -= p
        if tail < eps and len(probs) > c:
            return probs, max(tail, mpmath.mpf(0))
        p = p * c / len(probs)


# -- coverage predicates: (description, test) ------------------------------------------------
def law_is(cls, text):
    """The predicate "the law is a ``cls``"."""
    return text, lambda law: isinstance(law, cls)


def entries_are(cls, text):
    """The predicate "sparse weights whose entries are ``cls``"."""
    from ..laws import Sparse
    return text, lambda law: isinstance(law, Sparse) and isinstance(law.entries, cls)


def named(*names):
    """The predicate "the activation is one of ``names``"."""
    return " or ".join(names), lambda f: getattr(f, "name", None) in names


def any_of(*predicates):
    """The union of predicates."""
    return " or ".join(t for t, _ in predicates), lambda x: any(p(x) for _, p in predicates)


BOUNDED = ("bounded", lambda f: f.bounded)
ANY = ("any", lambda _: True)


class WeightMethod:
    """Numeric weights of one model at ``digits`` significant digits.

    Call with a :class:`~momentck.shapes.Shape`; returns ``(value, error)`` as
    mpmath numbers, ``error`` an upper estimate of the absolute error.

    Parameters
    ----------
    model : Model
        A model the method :meth:`applies` to.
    digits : int
        Significant digits, 5 to 1000; the work runs at ``digits + 10``.
    """

    #: short name shown by ``momentck methods``
    name = None
    #: coverage predicates ``(description, test)``
    weights = inputs = activation = ANY
    #: accuracy, in words
    accuracy = "working precision"
    #: seconds per shape of m_1..m_4 (bench_coverage, 2 shared cores; the registry prefers the cheapest)
    cost = 0.01

    @classmethod
    def applies(cls, model):
        """``(True, "")`` when the method covers ``model``, else ``(False, reason)``."""
        for part, (text, test) in (("weights", cls.weights), ("inputs", cls.inputs),
                                   ("activation", cls.activation)):
            if not test(getattr(model, part)):
                return False, f"{cls.name} needs {part} {text}"
        return True, ""

    @classmethod
    def max_k(cls, model):
        """The longest walk covered, or None when unlimited."""
        return None

    @classmethod
    def covers(cls):
        """The models covered, in words."""
        return f"{cls.weights[0]} weights with {cls.inputs[0]} inputs and {cls.activation[0]} activations"

    def __init__(self, model, digits=15):
        ok, why = self.applies(model)
        if not ok:
            raise NotCovered(why)
        digits = check_int(digits, "digits", 5, 1000)
        self.model, self.digits, self.dps = model, digits, digits + 10
        with mpmath.workdps(self.dps):
            self.eps = mpmath.mpf(10) ** (-(digits + 5))
            self._setup()

    def _setup(self):
        """Precompute what every shape needs (runs at the working precision)."""

    @staticmethod
    def vanishes(through):
        """Whether the weight is 0 by parity: some incidence has an odd factor count."""
        return any(n % 2 for n in through.values())

    def weight(self, shape):
        """``(value, error)`` of ``w(shape)`` as mpmath numbers."""
        rows, through = incidence_counts(shape)
        if self.vanishes(through):
            return mpmath.mpf(0), mpmath.mpf(0)
        with mpmath.workdps(self.dps):
            return self._weight(shape, rows, through)

    __call__ = weight

    def affinity(self, shape):
        """A key naming the costly intermediate result ``shape`` needs and shares with other shapes (a
        memoised row, a table), or None: the engine weighs the shapes of one key in one worker, so that it is
        computed once.  The default, None, leaves the shapes free."""
        return None

    def _weight(self, shape, rows, through):
        raise NotImplementedError
