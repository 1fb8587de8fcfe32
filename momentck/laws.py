"""Probability laws of the model: light-tailed inputs and heavy-tailed weights.

Conventions follow MATH.md §1.  *Input laws* (the entries of X) are symmetric with
unit variance and are described by their even moments ``mu_p = E[x^p]``.  *Weight
laws* (the entries of W) are described by their finite-size sampler and by the
**row limit**: the entries of one row of W form, as d -> infinity, a Poisson point
process with symmetric intensity ``nu`` (the Lévy measure), whose moments
``gamma_p = \\int x^p nu(dx)`` (the *Lévy moments*) feed the exact engine.

==================  =================================  ============================
spec                finite-size entries                Lévy moments gamma_p
==================  =================================  ============================
``gaussian``        N(0, 1/d)                          gamma_2 = 1, others 0
``sparse(c, A)``    Bernoulli(c/d) * A                 c E[A^p]
``stable(alpha)``   w / d^(1/alpha), E e^{itw}=e^-|t|^a  infinite
==================  =================================  ============================

All laws share one interface, in the spirit of ``scipy.stats``: ``sample``,
``moment`` / ``levy_moment`` (exact sympy numbers, ``sympy.oo`` where infinite),
``describe()``, ``spec`` (a string that :func:`weight_law` / :func:`input_law`
parse back to an equal object) and a readable ``repr``.
"""

import math
import warnings

import numpy as np
import sympy

from .errors import MomentckError, SpecError
from .specs import exact_number, parse_spec, positive_number, quote
from .validation import check_int

__all__ = [
    "InputLaw", "Normal", "Rademacher", "Uniform", "MomentInputs",
    "WeightLaw", "Gaussian", "Sparse", "Stable",
    "input_law", "weight_law", "chambers_mallows_stuck", "chambers_mallows_stuck_log",
]


def _fmt(q):
    """Short spec form of an exact number: ``2``, ``1/3``, ``0.5`` stays ``1/2``."""
    return str(q).replace(" ", "")


def _check_rng(rng):
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, (int, np.integer)):
        return np.random.default_rng(int(rng))
    if not isinstance(rng, np.random.Generator):
        raise MomentckError(f"rng must be a numpy Generator or an integer seed, got {rng!r}")
    return rng


# ---------------------------------------------------------------------------
# Input laws
# ---------------------------------------------------------------------------

class InputLaw:
    """A symmetric, unit-variance, light-tailed law for the entries of X.

    Subclasses define :meth:`moment` (exact even moments) and :meth:`sample`.
    """

    name = "input"
    #: finite support as exact ``(value, probability)`` pairs, or None
    atoms = None

    def moment(self, p):
        """Exact moment ``E[x^p]`` (0 for odd ``p``) as a sympy number."""
        p = _check_order(p)
        if p % 2:
            return sympy.Integer(0)
        return self._even_moment(p)

    def moments(self, pmax):
        """List ``[E x^0, E x^1, ..., E x^pmax]`` of exact moments."""
        return [self.moment(p) for p in range(_check_order(pmax) + 1)]

    def sample(self, size, rng=None):
        """Draw i.i.d. entries with the given ``size`` from a numpy Generator."""
        return self._sample(size, _check_rng(rng))

    @property
    def spec(self):
        return self.name

    def describe(self):
        """A dict of the law's name, spec and first even moments."""
        return {"law": self.name, "spec": self.spec,
                "moments": {p: self.moment(p) for p in (2, 4, 6)}}

    def __repr__(self):
        return f"input_law({self.spec!r})"

    def __eq__(self, other):
        return type(other) is type(self) and other.spec == self.spec

    def __hash__(self):
        return hash((type(self).__name__, self.spec))


def _check_order(p):
    return check_int(p, "moment order", 0)


class Normal(InputLaw):
    """Standard normal inputs: ``mu_p = (p-1)!!``."""

    name = "normal"

    def _even_moment(self, p):
        return sympy.factorial2(p - 1) if p else sympy.Integer(1)

    def _sample(self, size, rng):
        return rng.standard_normal(size)


class Rademacher(InputLaw):
    """Uniform signs ±1: ``mu_p = 1`` for even ``p``."""

    name = "rademacher"
    atoms = ((sympy.Integer(-1), sympy.Rational(1, 2)), (sympy.Integer(1), sympy.Rational(1, 2)))

    def _even_moment(self, p):
        return sympy.Integer(1)

    def _sample(self, size, rng):
        return rng.integers(0, 2, size=size).astype(np.float64) * 2.0 - 1.0


class Uniform(InputLaw):
    """Uniform on ``[-sqrt 3, sqrt 3]``: ``mu_p = 3^(p/2) / (p+1)``."""

    name = "uniform"

    def _even_moment(self, p):
        return sympy.Integer(3) ** (p // 2) / (p + 1)

    def _sample(self, size, rng):
        return rng.uniform(-math.sqrt(3.0), math.sqrt(3.0), size=size)


class MomentInputs(InputLaw):
    """A user input law given by its even moments (no sampler).

    Parameters
    ----------
    moments : dict
        ``{p: E[x^p]}`` for even ``p >= 4``; ``mu_2 = 1`` is implied, and a given
        ``mu_2`` must equal 1.  Odd moments must be absent or zero (symmetry).
    """

    name = "moments"

    def __init__(self, moments):
        self._mu = {0: sympy.Integer(1), 2: sympy.Integer(1)}
        for p, v in dict(moments).items():
            p = _check_order(p)
            v = exact_number(v, f"input moment mu_{p}")
            if p % 2:
                if v != 0:
                    raise MomentckError(
                        f"input law must be symmetric: odd moment mu_{p} = {v} is not 0")
                continue
            if p == 2 and v != 1:
                raise MomentckError(f"input law must have unit variance, got mu_2 = {v}")
            self._mu[p] = v

    def _even_moment(self, p):
        if p not in self._mu:
            raise MomentckError(f"input moment mu_{p} was not given; given: {sorted(self._mu)}")
        return self._mu[p]

    def _sample(self, size, rng):
        raise MomentckError("an input law given by moments cannot be sampled")

    @property
    def spec(self):
        inner = ", ".join(f"mu{p}={_fmt(v)}" for p, v in sorted(self._mu.items()) if p >= 4)
        return f"moments({inner})"


_INPUTS = {"normal": Normal, "rademacher": Rademacher, "uniform": Uniform}


def input_law(spec):
    """Parse an input-law spec (``normal``, ``rademacher``, ``uniform``).

    ``moments(mu4=3, mu6=15)`` gives a :class:`MomentInputs` (exact engine only).
    An :class:`InputLaw` instance is returned unchanged.

    Examples
    --------
    >>> input_law("rademacher").moment(4)
    1
    >>> input_law(" uniform ").moment(4)
    9/5
    """
    if isinstance(spec, InputLaw):
        return spec
    name, pos, kw = parse_spec(spec, "inputs")
    if name == "moments":
        if pos:
            raise SpecError(f"inputs spec {quote(spec)}: moments(...) takes mu4=..., mu6=... keywords")
        mus = {}
        for key, val in kw.items():
            if not (key.startswith("mu") and key[2:].isdigit() and len(key) <= 6):
                raise SpecError(f"inputs spec {quote(spec)}: unknown keyword {quote(key)}; use mu4=, mu6=, ...")
            mus[int(key[2:])] = exact_number(val, f"inputs {key}")
        return MomentInputs(mus)
    if name not in _INPUTS:
        raise SpecError(f"unknown inputs {quote(name)}; allowed: normal, rademacher, uniform")
    if pos or kw:
        raise SpecError(f"inputs {quote(name)} takes no arguments, got {quote(spec)}")
    return _INPUTS[name]()


# ---------------------------------------------------------------------------
# Weight laws
# ---------------------------------------------------------------------------

def _check_dims(n, d):
    return check_int(n, "n", 1), check_int(d, "d", 1)


class WeightLaw:
    """Law of the entries of W together with its row limit (Lévy measure ``nu``)."""

    name = "weights"
    #: True when every Lévy moment gamma_p is finite (exact engine applies)
    finite_moments = True
    #: True when the entries of W are sparse (O(1) nonzeros per row)
    is_sparse = False

    def levy_moment(self, p):
        """Exact Lévy moment ``gamma_p = \\int x^p nu(dx)`` (``sympy.oo`` if infinite)."""
        p = _check_order(p)
        if p % 2:
            return sympy.Integer(0)
        return self._levy_moment(p)

    def sample(self, n, d, rng=None):
        """Finite-size n×d weight matrix (dense ndarray or scipy.sparse CSR)."""
        return self._sample(*_check_dims(n, d), _check_rng(rng))

    def describe(self):
        """A dict of the law's name, spec and first Lévy moments."""
        return {"law": self.name, "spec": self.spec,
                "levy_moments": {p: self.levy_moment(p) for p in (2, 4, 6)}}

    def __repr__(self):
        return f"weight_law({self.spec!r})"

    def __eq__(self, other):
        return type(other) is type(self) and other.spec == self.spec

    def __hash__(self):
        return hash((type(self).__name__, self.spec))

    @property
    def free_symbols(self):
        return set()


class Gaussian(WeightLaw):
    """W_ij ~ N(0, 1/d): the degenerate light-tailed limit, gamma_2 = 1 and gamma_p = 0 (p >= 4)."""

    name = "gaussian"

    @property
    def spec(self):
        return "gaussian"

    def _levy_moment(self, p):
        if p == 0:
            return sympy.oo
        return sympy.Integer(1 if p == 2 else 0)

    def _sample(self, n, d, rng):
        return rng.standard_normal((n, d)) / math.sqrt(d)


class Sparse(WeightLaw):
    """W_ij = B_ij A_ij with B_ij ~ Bernoulli(c/d) and A symmetric (rademacher or normal).

    Lévy measure ``nu = c Law(A)``, so ``gamma_p = c E[A^p]``.  ``c`` may be a sympy
    symbol for formulas (sampling then needs a number).
    """

    name = "sparse"
    is_sparse = True

    def __init__(self, c, entries="rademacher"):
        self.c = positive_number(c, "sparse weights: c (mean nonzeros per row)")
        ent = entries if isinstance(entries, InputLaw) else None
        if ent is None:
            if not isinstance(entries, str) or entries.strip().lower() not in ("rademacher", "normal"):
                raise SpecError(f"sparse weights: entries must be rademacher or normal, got {quote(entries)}")
            ent = _INPUTS[entries.strip().lower()]()
        if not isinstance(ent, (Rademacher, Normal)):
            raise SpecError(f"sparse weights: entries must be rademacher or normal, got {ent.spec!r}")
        self.entries = ent

    @property
    def spec(self):
        return f"sparse(c={_fmt(self.c)}, entries={self.entries.name})"

    @property
    def free_symbols(self):
        return set(self.c.free_symbols)

    def _levy_moment(self, p):
        return self.c * self.entries.moment(p)

    def _sample(self, n, d, rng):
        import scipy.sparse as sp
        if not self.c.is_number:
            raise MomentckError(f"cannot sample sparse weights with symbolic c = {self.c}")
        prob = float(self.c) / d
        if prob > 1:
            raise MomentckError(f"sparse weights: c = {self.c} exceeds d = {d}; use a larger n")
        # Each row has Binomial(d, c/d) nonzeros at distinct uniform columns.
        counts = rng.binomial(d, prob, size=n)
        total = int(counts.sum())
        rows = np.repeat(np.arange(n), counts)
        cols = rng.integers(0, d, size=total)
        # Columns must be distinct within a row: redraw the (rare) repeats.
        while total:
            order = np.lexsort((cols, rows))
            rows, cols = rows[order], cols[order]
            dup = np.flatnonzero((rows[1:] == rows[:-1]) & (cols[1:] == cols[:-1])) + 1
            if dup.size == 0:
                break
            cols[dup] = rng.integers(0, d, size=dup.size)
        vals = self.entries._sample(total, rng)
        indptr = np.concatenate(([0], np.cumsum(counts)))
        return sp.csr_matrix((vals, cols, indptr), shape=(n, d))

    def atoms(self):
        """Lévy measure as exact ``(point, mass)`` pairs when the entries are discrete."""
        if self.entries.atoms is None:
            return None
        return tuple((x, self.c * p) for x, p in self.entries.atoms)


def chambers_mallows_stuck(alpha, size, rng=None):
    """Symmetric alpha-stable samples with ``E exp(itw) = exp(-|t|^alpha)``.

    Vectorised Chambers–Mallows–Stuck method: with V ~ U(-pi/2, pi/2) and
    E ~ Exp(1) independent,
    ``w = sin(alpha V) / cos(V)^(1/alpha) * (cos((1 - alpha) V) / E)^((1 - alpha)/alpha)``.

    The formula is evaluated with ``tan``, ``log`` and ``exp`` only (numpy's
    vectorised float64 ``sin``/``cos`` are several times slower), in place and in
    cache-sized blocks: ``cos x = (1 + tan^2 x)^(-1/2)`` for ``|x| < pi/2`` and
    ``sin(alpha V) = 2 tau / (1 + tau^2)`` with ``tau = tan(alpha V / 2)``.  The
    draws (all V, then all E) and hence the samples do not depend on the blocking.

    References
    ----------
    J. M. Chambers, C. L. Mallows, B. W. Stuck, "A method for simulating stable
    random variables", JASA 71 (1976) 340–344.

    Examples
    --------
    >>> w = chambers_mallows_stuck(1.5, 4, np.random.default_rng(0))
    >>> rng = np.random.default_rng(0)
    >>> v = rng.uniform(-np.pi / 2, np.pi / 2, 4)
    >>> e = rng.standard_exponential(4)
    >>> bool(np.allclose(w, np.sin(1.5 * v) / np.cos(v) ** (1 / 1.5)
    ...                  * (np.cos(-0.5 * v) / e) ** (-0.5 / 1.5)))
    True
    """
    a = float(alpha)
    v, e = _cms_draws(a, size, _check_rng(rng))
    if a == 1.0:
        return np.tan(v, out=v)
    for vb, eb in _blocks(v, e):
        _cms_parts(a, vb, eb)
        np.exp(eb, out=eb)
        vb *= eb
    return v


def chambers_mallows_stuck_log(alpha, size, rng=None):
    """``(log|w|, w < 0)`` of the samples of :func:`chambers_mallows_stuck` (same draws).

    For small ``alpha``, ``|w|`` is about ``E^(-1/alpha)`` with E ~ Exp(1) and
    overflows float64 (at ``alpha = 0.01`` already for E < 8e-4); its logarithm
    never does.

    Examples
    --------
    >>> logw, neg = chambers_mallows_stuck_log(1.5, 4, np.random.default_rng(0))
    >>> w = chambers_mallows_stuck(1.5, 4, np.random.default_rng(0))
    >>> bool(np.allclose(np.where(neg, -1, 1) * np.exp(logw), w))
    True
    >>> bool(np.isfinite(chambers_mallows_stuck_log(0.001, 1000, np.random.default_rng(0))[0]).all())
    True
    """
    a = float(alpha)
    v, e = _cms_draws(a, size, _check_rng(rng))
    neg = np.signbit(v)                     # sin(a V) and tan V have the sign of V
    if a == 1.0:
        np.tan(v, out=v)
    with np.errstate(divide="ignore"):      # V = 0 exactly: log 0 = -inf, w = 0
        for vb, eb in _blocks(v, e if a != 1.0 else v):
            if a != 1.0:
                _cms_parts(a, vb, eb)
            np.abs(vb, out=vb)
            np.log(vb, out=vb)
            if a != 1.0:
                vb += eb
    return v, neg


def _cms_draws(a, size, rng):
    """All V ~ U(-pi/2, pi/2), then (alpha != 1) all E ~ Exp(1): the order fixes the samples."""
    v = rng.uniform(-math.pi / 2, math.pi / 2, size=size)
    return v, (rng.standard_exponential(size=size) if a != 1.0 else None)


def _blocks(v, e, block=1 << 14):
    """Matching cache-sized blocks of the flattened ``v`` and ``e``."""
    vf, ef = v.reshape(-1), e.reshape(-1)
    for i in range(0, vf.size, block):
        yield vf[i:i + block], ef[i:i + block]


def _cms_parts(a, v, e):
    """In place: ``v <- sin(a V)``, ``e <- log[(cos((1-a)V)/E)^((1-a)/a) / cos(V)^(1/a)]``."""
    t = np.multiply(v, 1.0 - a)
    np.tan(t, out=t)
    np.square(t, out=t)
    t += 1.0                               # 1 / cos^2((1-a)V)
    np.square(e, out=e)
    t *= e
    np.log(t, out=t)
    t *= a - 1.0                           # 2(1-a) log(cos((1-a)V) / E)
    np.tan(v, out=e)
    np.square(e, out=e)
    e += 1.0
    np.log(e, out=e)                       # -2 log cos V
    e += t
    e *= 0.5 / a                           # log of the positive factor
    v *= 0.5 * a
    np.tan(v, out=v)                       # tau = tan(a V / 2)
    np.square(v, out=t)
    t += 1.0
    v *= 2.0
    v /= t                                 # sin(a V)


class Stable(WeightLaw):
    """W_ij = w_ij / d^(1/alpha), w symmetric alpha-stable with ``E e^{itw} = e^{-|t|^alpha}``.

    Lévy measure ``nu(dx) = c_alpha |x|^(-1-alpha) dx`` with
    ``c_alpha = Gamma(1+alpha) sin(pi alpha/2) / pi``; all Lévy moments are infinite.
    A row's squared norm converges to a positive alpha/2-stable law with
    ``E exp(-tS) = exp(-C_alpha t^(alpha/2))``, ``C_alpha = c_alpha (2/alpha) Gamma(1 - alpha/2)``.
    """

    name = "stable"
    finite_moments = False

    def __init__(self, alpha):
        a = exact_number(alpha, "stable weights: alpha")
        if not a.is_number or not (0 < a < 2):
            raise MomentckError(f"stable weights: alpha must be in (0, 2), got {alpha}")
        self.alpha = a
        if a > sympy.Rational(19, 10):
            warnings.warn(
                f"stable(alpha={_fmt(a)}): convergence to the limit is very slow as alpha -> 2; "
                "finite-n Monte Carlo will be far from the limiting moments", stacklevel=2)

    @property
    def spec(self):
        return f"stable(alpha={_fmt(self.alpha)})"

    def _levy_moment(self, p):
        return sympy.oo

    @property
    def c_alpha(self):
        """Exact constant of the Lévy density ``c_alpha |x|^(-1-alpha)``."""
        a = self.alpha
        return sympy.gamma(1 + a) * sympy.sin(sympy.pi * a / 2) / sympy.pi

    @property
    def C_alpha(self):
        """Exact constant of the squared-norm Laplace transform ``exp(-C_alpha t^(alpha/2))``."""
        a = self.alpha
        return self.c_alpha * 2 / a * sympy.gamma(1 - a / 2)

    def levy_density(self, x):
        """Lévy density ``c_alpha |x|^(-1-alpha)`` at ``x != 0`` (float or mpmath)."""
        import mpmath
        return mpmath.mpf(sympy.N(self.c_alpha, 50)) * abs(x) ** (-1 - mpmath.mpf(sympy.N(self.alpha, 50)))

    def _log_sample(self, n, d, rng):
        """``(log|W|, W < 0)``: the entries in log form, finite for every alpha."""
        a = float(self.alpha)
        logw, neg = chambers_mallows_stuck_log(a, (n, d), rng)
        logw -= math.log(d) / a
        return logw, neg

    def _sample(self, n, d, rng):
        # exact where float64 can hold the entries; beyond it (alpha well below 0.1) +-inf
        w, neg = self._log_sample(n, d, rng)
        with np.errstate(over="ignore"):
            np.exp(w, out=w)
        np.negative(w, out=w, where=neg)
        return w

    def sample_scaled(self, n, d, rng=None):
        """The same draws as :meth:`sample` as ``W = diag(exp(s)) V``, representable for every alpha.

        Returns
        -------
        log_scale : ndarray, shape (n,)
            ``s_i = log max_j |W_ij|``, the log of each row's largest entry.
        v : ndarray, shape (n, d)
            ``V_ij = W_ij / max_j |W_ij|`` in ``[-1, 1]``; entries below about
            1e-308 of their row's largest are 0, as they are in any float64 sum
            with it.

        Notes
        -----
        A row's largest entry is about ``E^(-1/alpha)`` with E ~ Exp(1), so as
        alpha -> 0 rows are astronomically large or small: beyond float64 for
        ``alpha`` below about 0.1, while the ratios ``V`` stay representable.

        Examples
        --------
        >>> law = Stable("1/100")
        >>> s, v = law.sample_scaled(3, 50, np.random.default_rng(0))
        >>> bool(np.all(np.abs(v).max(axis=1) == 1)), bool(np.isfinite(s).all())
        (True, True)
        """
        w, neg = self._log_sample(*_check_dims(n, d), _check_rng(rng))
        top = w.max(axis=1)
        w -= top[:, None]
        np.exp(w, out=w)
        np.negative(w, out=w, where=neg)
        return top, w


def weight_law(spec):
    """Parse a weight-law spec.

    Grammar: ``gaussian`` | ``sparse(c=<number>, entries=rademacher|normal)`` |
    ``stable(alpha=<number>)``; a :class:`WeightLaw` instance is returned unchanged.

    Examples
    --------
    >>> w = weight_law("sparse(c = 2, entries = rademacher)")
    >>> w.levy_moment(4), w.spec
    (2, 'sparse(c=2, entries=rademacher)')
    >>> weight_law("stable(alpha=1.5)").spec
    'stable(alpha=3/2)'
    """
    if isinstance(spec, WeightLaw):
        return spec
    name, pos, kw = parse_spec(spec, "weights")
    if name == "gaussian":
        if pos or kw:
            raise SpecError(f"weights 'gaussian' takes no arguments, got {quote(spec)}")
        return Gaussian()
    if name == "sparse":
        args = dict(zip(("c", "entries"), pos))
        if len(pos) > 2:
            raise SpecError(f"weights spec {quote(spec)}: sparse takes c= and entries=")
        for key in kw:
            if key not in ("c", "entries") or key in args:
                raise SpecError(f"weights spec {quote(spec)}: unexpected argument {quote(key)}; "
                                "sparse takes c=<number>, entries=rademacher|normal")
        args.update(kw)
        if "c" not in args:
            raise SpecError(f"weights spec {quote(spec)}: sparse needs c=<number>")
        return Sparse(exact_number(args["c"], "sparse weights: c"), args.get("entries", "rademacher"))
    if name == "stable":
        if len(pos) + len(kw) != 1 or (kw and "alpha" not in kw):
            raise SpecError(f"weights spec {quote(spec)}: stable takes exactly alpha=<number> in (0, 2)")
        return Stable(exact_number(pos[0] if pos else kw["alpha"], "stable weights: alpha"))
    raise SpecError(f"unknown weights {quote(name)}; allowed: gaussian, sparse(c=..., entries=...), "
                    "stable(alpha=...)")
