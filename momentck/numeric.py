"""Numeric weights w(S) to a chosen precision (MATH.md §4, numeric).

Two weight laws give weights that reduce to exactly summable or closed forms for
*any* odd activation; both are evaluated with mpmath at ``digits`` significant
digits, each with an error estimate.

**Sparse rademacher entries with rademacher inputs** (exact sums over Poisson row
degrees).  Every product ``W_aj x_j`` is a uniform sign, so given the rest degree
``D_a ~ Poisson(c)`` of row a:

* a diagonal factor is ``g(deg_a + D_a)``, ``g(m) = E f(S_m)^2`` with ``S_m`` a sum
  of m independent signs;
* an off-diagonal factor through block B is
  ``K_ab = w_a w_b u(deg_a - 1 + D_a) u(deg_b - 1 + D_b)``, ``u(m) = E f(1 + S_m)``,
  because f is odd and the shared input is a sign;

so the weight factorises: ``w(S) = prod_e c [p_e even] * prod_a E_D[g^{d_a} u^{o_a}]``,
with ``p_e`` the number of off-diagonal factors through incidence e, and
``d_a``, ``o_a`` the diagonal and off-diagonal factor counts at row a.  The Poisson
sums are truncated where the remaining terms are provably negligible.

**Sparse rademacher entries with normal inputs, f = sin or erf.**  Given W, the
pre-activations of one factor are jointly Gaussian with variances
``s_a = deg_a + D_a`` (row norms) and covariance ``w_a w_b = ±1``; the factor is
``w_a w_b F(s_a, s_b)`` with the closed forms of MATH.md §4
(``sin(beta x)``: ``F = exp(-beta^2 (s_a + s_b)/2) sinh(beta^2)``, diagonal
``(1 - exp(-2 beta^2 s))/2``; ``erf(beta x)``:
``F = (2/pi) arcsin(2 beta^2 / sqrt((1 + 2 beta^2 s_a)(1 + 2 beta^2 s_b)))``, diagonal
``(2/pi) arcsin(2 beta^2 s / (1 + 2 beta^2 s))``).  Rows are coupled through F, so
the weight is a sum over all rows' degrees, contracted along the shape with
``numpy.einsum`` (mpmath numbers in object arrays) and truncated where the
Poisson tail is below the requested precision.

**Gaussian weights** (the light-tailed limit, gamma_2 = 1, gamma_p = 0 for p >= 4).
Expanding each off-diagonal factor in Hermite (Mehler) form, only incidences
crossed by exactly two off-diagonal factors survive, each with the first Hermite
coefficient ``E f'(z)``; row norms concentrate at 1.  Hence
``w(S) = theta_1^{#diagonal} theta_2^{#off-diagonal}`` when every incidence has
exactly two off-diagonal factors through it, and 0 otherwise, with
``theta_1 = E f(z)^2`` and ``theta_2 = (E f'(z))^2`` by quadrature.  This is MATH.md
§5 term by term.

**Laws evaluated in their own modules**: alpha-stable weights with normal inputs
and ``sin`` (:mod:`momentck.stable_sin`) or ``erf`` (:mod:`momentck.stable_erf`), and
sparse normal entries with normal inputs and ``sin`` (:mod:`momentck.sinweights`).
Other combinations (stable weights with tanh or with non-normal inputs, sparse
normal entries with other activations, ...) need integrals not implemented here;
:func:`numeric_available` says which models are covered and
:func:`numeric_max_k` how far.
"""

from collections import Counter
from functools import wraps

import mpmath
import sympy

from .errors import MomentckError
from .laws import Gaussian, Normal, Rademacher, Sparse, Stable

__all__ = ["numeric_available", "numeric_max_k", "NumericWeights"]


def numeric_available(model):
    """``(True, "")`` when numeric weights exist for the model, else ``(False, reason)``."""
    w, x = model.weights, model.inputs
    if model.free_symbols:
        return False, "numeric weights need numeric parameters (no symbols)"
    if isinstance(w, Gaussian):
        return True, ""
    if isinstance(w, Sparse) and isinstance(w.entries, Rademacher) and isinstance(x, Rademacher):
        return True, ""
    f = model.activation
    if isinstance(w, Sparse) and isinstance(w.entries, Rademacher) and isinstance(x, Normal) and f.bounded:
        return True, ""
    if isinstance(w, Stable) and isinstance(x, Normal) and getattr(f, "name", None) in ("sin", "erf"):
        return True, ""
    if (isinstance(w, Sparse) and isinstance(w.entries, Normal) and isinstance(x, Normal)
            and getattr(f, "name", None) == "sin"):
        return True, ""
    return False, (f"numeric weights are implemented for gaussian weights, for sparse rademacher "
                   f"entries with rademacher inputs, with normal inputs for bounded activations, for sparse "
                   f"normal entries with normal inputs and sin, and for stable weights with normal "
                   f"inputs and sin (k <= 4) or erf (k <= 5); not for "
                   f"weights {w.spec} with inputs {x.spec} and activation {f.spec}")


def numeric_max_k(model):
    """The longest walk the numeric weights of ``model`` cover, or None when unlimited.

    alpha-stable weights: k <= 4 with ``sin`` (blocks whose pairs have a vertex cover
    of at most two rows), k <= 5 with ``erf`` (rows in at most two blocks).
    """
    if isinstance(model.weights, Stable):
        return 4 if model.activation.name == "sin" else 5
    return None


def _memoized(method):
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


def _incidence_counts(shape):
    """Per row: (number of blocks, diagonal count, off-diagonal count); per incidence: factor count."""
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


class NumericWeights:
    """Numeric weights of one model at ``digits`` significant digits.

    Call with a :class:`~momentck.shapes.Shape`; returns ``(value, error)`` as
    mpmath numbers, ``error`` an upper estimate of the absolute error.
    """

    def __init__(self, model, digits=15):
        ok, why = numeric_available(model)
        if not ok:
            raise MomentckError(why)
        if isinstance(digits, bool) or not isinstance(digits, int) or not 5 <= digits <= 1000:
            raise MomentckError(f"digits must be an integer in [5, 1000], got {digits!r}")
        self.model, self.digits = model, digits
        self.dps = digits + 10
        with mpmath.workdps(self.dps):
            self.eps = mpmath.mpf(10) ** (-(digits + 5))
            if isinstance(model.weights, Gaussian):
                self._thetas()
            elif isinstance(model.weights, Stable) and model.activation.name == "sin":
                from .stable_sin import StableSinWeights
                self._law = StableSinWeights(model, self.dps)
            elif isinstance(model.weights, Stable):
                from .stable_erf import StableErfWeights
                self._law = StableErfWeights(model)
            elif isinstance(model.weights.entries, Normal):
                from .sinweights import SparseNormalSinWeights
                self._law = SparseNormalSinWeights(model, self.dps)
            else:
                self.c = mpmath.mpf(sympy.N(model.weights.c, self.dps))
                self._f = self._mp_activation()

    # -- Gaussian weights ------------------------------------------------------
    def _thetas(self):
        from .gaussian import gaussian_thetas
        t1, t2 = gaussian_thetas(self.model.activation, digits=self.dps)
        self.theta1 = mpmath.mpf(sympy.N(t1, self.dps))
        self.theta2 = mpmath.mpf(sympy.N(t2, self.dps))
        # quadrature in gaussian_thetas runs with digits + 10 guard digits
        self.theta_err = (abs(self.theta1) + abs(self.theta2)) * mpmath.mpf(10) ** (-self.digits - 5)

    def _gaussian(self, shape):
        rows, through = _incidence_counts(shape)
        if any(n != 2 for n in through.values()):
            return mpmath.mpf(0), mpmath.mpf(0)
        nd = sum(shape.diag)
        no = sum(m for _, m in shape.pairs)
        val = self.theta1 ** nd * self.theta2 ** no
        rel = (nd + no) * self.theta_err / min(abs(self.theta1), abs(self.theta2))
        return val, abs(val) * rel

    # -- sparse rademacher x rademacher -----------------------------------------
    def _mp_activation(self):
        f = self.model.activation
        expr, x = f.expr(), sympy.Symbol("x")
        return sympy.lambdify(x, expr, modules="mpmath")

    @_memoized
    def _g(self, m):
        """E f(S_m)^2."""
        f, two = self._f, mpmath.mpf(2)
        return mpmath.fsum(mpmath.binomial(m, j) * f(mpmath.mpf(2 * j - m)) ** 2 for j in range(m + 1)) / two ** m

    @_memoized
    def _u(self, m):
        """E f(1 + S_m)."""
        f, two = self._f, mpmath.mpf(2)
        return mpmath.fsum(mpmath.binomial(m, j) * f(mpmath.mpf(1 + 2 * j - m)) for j in range(m + 1)) / two ** m

    def _bound(self, m):
        """An upper bound of |f| on [-m, m] (bounded activations: their supremum)."""
        f = self.model.activation
        if f.bounded:
            return mpmath.pi / 2 if f.name == "atan" else mpmath.mpf(1)
        b = mpmath.mpf(sympy.N(f.scale, self.dps)) * m
        return mpmath.fsum(abs(mpmath.mpf(sympy.N(a, self.dps))) * b ** p for p, a in f.taylor(f.degree).items())

    @_memoized
    def _row(self, deg, d, o):
        """E_D[g(deg + D)^d u(deg - 1 + D)^o], D ~ Poisson(c), with a tail bound."""
        c = self.c
        total, D = mpmath.mpf(0), 0
        p = mpmath.exp(-c)
        while True:
            term = p * self._g(deg + D) ** d * (self._u(deg - 1 + D) ** o if o else 1)
            total += term
            # bound of the whole tail beyond D: terms bounded by p_D * B(D)^(2d+o), ratio < 1/2
            nxt = D + 1
            bnd = lambda n: self._bound(deg + n + 1) ** (2 * d + o)  # noqa: E731
            ratio = c / (nxt + 1) * bnd(nxt + 1) / bnd(nxt) if bnd(nxt) else 0
            tail_term = p * c / nxt * bnd(nxt)
            if ratio < 0.5 and tail_term * 2 < self.eps * max(abs(total), self.eps):
                return total, tail_term * 2
            p = p * c / nxt
            D = nxt
            if D > 100000:  # pragma: no cover
                raise MomentckError("Poisson sum did not converge")

    # -- sparse rademacher entries, normal inputs -----------------------------------
    def _factor_forms(self, smax):
        """``(diag, off, error)``: the factors as functions of the rows' variances.

        Closed forms in mpmath for sin and erf (``error`` 0; rounded to float64, with
        ``error`` 1e-16, when at most 12 digits are asked: the contraction is then far
        faster); float64 trapezoid tables (:mod:`momentck.gaussfactors`) for other
        bounded activations, ``error`` the largest error estimate of an entry.
        """
        f = self.model.activation
        b2 = mpmath.mpf(sympy.N(f.scale, self.dps)) ** 2
        if f.name in ("sin", "erf"):
            if f.name == "sin":
                diag = lambda s: (1 - mpmath.exp(-2 * b2 * s)) / 2  # noqa: E731
                off = lambda s, t: mpmath.exp(-b2 * (s + t) / 2) * mpmath.sinh(b2)  # noqa: E731
            else:
                diag = lambda s: 2 / mpmath.pi * mpmath.asin(2 * b2 * s / (1 + 2 * b2 * s))  # noqa: E731
                off = lambda s, t: 2 / mpmath.pi * mpmath.asin(  # noqa: E731
                    2 * b2 / mpmath.sqrt((1 + 2 * b2 * s) * (1 + 2 * b2 * t)))
            if self.digits > 12:
                return diag, off, 0
            return (lambda s: float(diag(s))), (lambda s, t: float(off(s, t))), 1e-16
        t = self._gaussian_tables(smax)
        return (lambda s: t.diag[s]), (lambda s, u: t.off[s, u]), max(t.diag_error.max(), t.off_error.max())

    @_memoized
    def _gaussian_tables(self, smax):
        from .gaussfactors import GaussianFactorTables
        return GaussianFactorTables(self.model.activation, smax)

    def _poisson_table(self):
        """Poisson(c) probabilities up to a degree whose tail is below the precision."""
        if not hasattr(self, "_pois"):
            c, p, probs, tail = self.c, mpmath.exp(-self.c), [], mpmath.mpf(1)
            while True:
                probs.append(p)
                tail -= p
                if tail < self.eps * mpmath.mpf(10) ** -3 and len(probs) > c:
                    break
                p = p * c / len(probs)
            self._pois, self._pois_tail = probs, max(tail, mpmath.mpf(0))
        return self._pois, self._pois_tail

    def _sparse_normal(self, shape):
        import numpy as np
        rows, through = _incidence_counts(shape)
        if any(n % 2 for n in through.values()):
            return mpmath.mpf(0), mpmath.mpf(0)
        probs, tail = self._poisson_table()
        N = len(probs)
        diag, off, table_err = self._factor_forms(max(deg for deg, _, _ in rows) + N)
        dtype = object if table_err == 0 else float
        letters = "abcdefghijklmnopqrstuvwxyz"
        if shape.rows > len(letters):  # pragma: no cover
            raise MomentckError("too many rows for the numeric contraction")
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
        # every factor is at most B = sup f^2 in absolute value: the neglected degrees carry at
        # most r * tail of the (probability) mass, and an error e in each of the k factors
        # moves a product by at most k e B^(k-1)
        B = self._bound(0) ** 2
        k = shape.k
        err = self.c ** len(through) * (shape.rows * tail * B ** k + k * mpmath.mpf(table_err) * B ** (k - 1))
        err += abs(val) * (self.eps if table_err == 0 else mpmath.mpf(1e-14))
        return val, err

    def _sparse(self, shape):
        rows, through = _incidence_counts(shape)
        if any(n % 2 for n in through.values()):
            return mpmath.mpf(0), mpmath.mpf(0)
        val = self.c ** len(through)
        rel = mpmath.mpf(0)
        for deg, d, o in rows:
            r, e = self._row(deg, d, o)
            val *= r
            rel += e / abs(r) if r else 0
        return val, abs(val) * (rel + self.eps)

    def __call__(self, shape):
        with mpmath.workdps(self.dps):
            if isinstance(self.model.weights, Gaussian):
                return self._gaussian(shape)
            if isinstance(self.model.weights, Stable) or isinstance(self.model.weights.entries, Normal):
                return self._law(shape, *_incidence_counts(shape))
            if isinstance(self.model.inputs, Normal):
                return self._sparse_normal(shape)
            return self._sparse(shape)
