"""Limiting moments: from walk shapes and their weights to m_1..m_k.

The call path reads like MATH.md:

1. :func:`momentck.shapes.enumerate_shapes` lists the shapes S of closed walks
   of length j from the root row, with their walk counts ``N_j(S)`` (§3);
2. :func:`momentck.weights.shape_weight` evaluates each weight ``w(S)`` exactly
   from the Taylor coefficients ``a_p``, the Lévy moments ``gamma_p`` and the input
   moments ``mu_p`` (§4);
3. ``h_j = sum_S N_j(S) psi^{-(r(S) - 1)} w(S)`` (§3);
4. :func:`momentck.compression.free_poisson_moments` turns h into m (§2).

``kernel_moments`` stops after step 3, ``limiting_moments`` does all four and
``explain`` lays out step 3 term by term.
"""

import math
import sys
import time
from fractions import Fraction
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache, partial

import mpmath
import sympy

from . import cache as _cache
from .compression import free_poisson_moments
from .errors import ConvergenceError, MomentckError, NotCovered, TooMuchWork
from .model import Model
from .shapes import collector_paused, enumerate_shapes
from .numeric import configuration_fingerprint, select
from .distributed import check_scheduler
from .parallel import CHUNKS_PER_WORKER, TaskSpreader
from .shards import merge_shards, weigh_shard
from .validation import check_int, check_k as _check_k
from .weights import Coefficients, shape_weight

__all__ = ["MomentResult", "ExplainTable", "kernel_moments", "limiting_moments", "explain",
           "estimate_work", "shapes"]

#: number of shapes of closed walks of length k (k = 1..10), measured by enumeration
SHAPE_COUNTS = (1, 2, 4, 12, 33, 110, 362, 1284, 4616, 17194)
#: growth of the shape count per order beyond k = 10 (the ratio of the last two counts)
_SHAPE_GROWTH = SHAPE_COUNTS[-1] / SHAPE_COUNTS[-2]
#: seconds of exact algebra per shape of order 9 (degree-3 activation), and the growth of that time
#: per order: fitted to the sharded engine on an idle 2-core machine, m_1..m_10 in 11.5 s in one
#: process and m_1..m_12 in 362 s from a cold cache with default settings (benchmarks/bench_engine.py,
#: benchmarks/bench_parallel_engine.py, README)
_SECONDS_PER_SHAPE_9, _SECONDS_GROWTH = 0.00036, 1.5
#: exact symbolic route: above this estimated time (seconds, :func:`estimate_work`), ``force=True``
#: is required (m_1..m_10 run without it, m_1..m_11 need it)
SECONDS_LIMIT = 60.0
#: numeric route: above this number of shapes (summed over j <= k), ``force=True`` is required
SHAPE_LIMIT = 8000
#: above this value of (Taylor degree) x k, ``force=True`` is required
DEGREE_LIMIT = 48


@dataclass
class MomentResult:
    """Exact limiting moments of a model.

    Behaves like the list of its exact values (``result[0]`` is the first moment).

    Attributes
    ----------
    model : Model
    k : int
    kernel : list of sympy.Expr
        ``h_1..h_k`` (limiting moments of the kernel K).
    spectral : list of sympy.Expr
        ``m_1..m_k`` (limiting moments of M), or None for :func:`kernel_moments`.
    method : str
        ``"symbolic"`` (exact) or ``"numeric"`` (sympy Floats of ``digits`` digits).
    truncation : int or None
        Taylor order used for a non-polynomial activation (the result is then the
        moment of the truncated polynomial, not of f).
    notes : list of str
    digits : int or None
        Working precision of a numeric result.
    kernel_error, spectral_error : list of float or None
        Error estimates (upper bounds of the absolute error) of a numeric result.
    """

    model: Model
    k: int
    kernel: list
    spectral: list = None
    method: str = "symbolic"
    truncation: int = None
    notes: list = field(default_factory=list)
    digits: int = None
    kernel_error: list = None
    spectral_error: list = None

    @property
    def exact(self):
        """The exact values: m_1..m_k, or h_1..h_k for a kernel-moment result."""
        return self.kernel if self.spectral is None else self.spectral

    @property
    def is_numeric(self):
        return all(sympy.sympify(v).is_number for v in self.exact)

    def floats(self, which=None):
        """Float values (``which`` = ``"kernel"`` or ``"spectral"``); None if symbolic."""
        vals = {"kernel": self.kernel, "spectral": self.spectral}.get(which, self.exact)
        if vals is None or not all(sympy.sympify(v).is_number for v in vals):
            return None
        return [float(sympy.N(v, 20)) for v in vals]

    def __len__(self):
        return len(self.exact)

    def __getitem__(self, i):
        return self.exact[i]

    def __iter__(self):
        return iter(self.exact)

    def latex(self):
        """The results as a LaTeX ``align*`` environment."""
        name = "h" if self.spectral is None else "m"
        lines = [f"{name}_{{{j}}} &= {sympy.latex(v)}" for j, v in enumerate(self.exact, 1)]
        return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"

    def to_dict(self):
        """A JSON-able dict (floats where numeric, exact values as sympy strings)."""
        out = {"model": self.model.to_dict(), "k": self.k, "method": self.method,
               "truncation": self.truncation, "notes": list(self.notes), "digits": self.digits,
               "kernel_error": self.kernel_error,
               "kernel_moments": self.floats("kernel"),
               "exact_kernel": [str(v) for v in self.kernel]}
        if self.spectral is not None:
            out["moments"] = self.floats("spectral")
            out["exact"] = [str(v) for v in self.spectral]
            out["error"] = self.spectral_error
        return out

    def __repr__(self):
        name = "kernel" if self.spectral is None else "spectral"
        return f"MomentResult({name}={list(self.exact)!r}, method={self.method!r})"


def _shape_count(k):
    """Shapes of order ``k``: :data:`SHAPE_COUNTS`, extrapolated geometrically beyond k = 10
    (a float, ``inf`` where it overflows)."""
    if k <= len(SHAPE_COUNTS):
        return SHAPE_COUNTS[k - 1]
    try:
        return SHAPE_COUNTS[-1] * _SHAPE_GROWTH ** (k - len(SHAPE_COUNTS))
    except OverflowError:
        return math.inf


def estimate_work(k, degree):
    """``(shapes, seconds)``: rough cost of exact moments up to order ``k``.

    ``shapes`` sums the shape counts over orders 1..k (:data:`SHAPE_COUNTS`,
    extrapolated beyond k = 10); ``seconds`` sums per-shape times fitted to the
    totals measured for a degree-3 activation on an idle 2-core machine (m_1..m_10 in
    11.5 s in one process, m_1..m_12 in 6 min with default settings), with a factor
    ``(degree / 3)^4`` for the degree.

    >>> estimate_work(10, 3)[0], round(estimate_work(10, 3)[1])
    (23618, 11)
    """
    counts = [_shape_count(j) for j in range(1, min(k, 400) + 1)] + [math.inf] * (k > 400)
    seconds = sum(c * _seconds_per_shape(j, degree) for j, c in enumerate(counts, 1))
    return sum(counts), seconds


def _seconds_per_shape(j, degree):
    """Fitted seconds of exact algebra per shape of order ``j`` (see :func:`estimate_work`)."""
    return _SECONDS_PER_SHAPE_9 * _SECONDS_GROWTH ** (j - 9) * (max(degree, 3) / 3) ** 4


def _describe_work(k, degree=None):
    """``"4616 walk shapes of order 9 (6424 for orders 1..9) and roughly 2 s"``."""
    shapes_total, seconds = estimate_work(k, degree or 3)
    text = f"{_count(_shape_count(k))} walk shapes of order {k}"
    if k > 1:
        text += f" ({_count(shapes_total)} for orders 1..{k})"
    if degree is not None:
        text += f" and roughly {_duration(seconds)} of exact algebra"
    return text


def _count(x):
    return f"{x}" if isinstance(x, int) else ("more than 1e300" if not x < 1e300 else f"about {x:.2g}")


def _duration(seconds):
    for unit, size in (("years", 3.15e7), ("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return "more than 1e6 years" if seconds > 3.15e13 else f"{seconds / size:.2g} {unit}"
    return f"{seconds:.2g} s"


def _model(model):
    if not isinstance(model, Model):
        raise MomentckError(f"expected a momentck Model, got {model!r}")
    return model


def shapes(k, cache=True):
    """Shapes of closed walks of length ``k`` (cached on disk)."""
    _check_k(k)
    if cache:
        got = _cache.load("shapes", [k], lambda payload: _cache.decode_shapes(payload, k))
        if got is not None:
            return got
    out = enumerate_shapes(k)
    if cache:
        _cache.store("shapes", [k], _cache.encode_shapes(out))
    return out


@dataclass(frozen=True)
class Request:
    """One request for moments: what :func:`kernel_moments`, :func:`limiting_moments` and
    :func:`explain` take, checked up front (see :func:`kernel_moments` for the fields)."""

    model: Model
    k: int
    method: str = "auto"
    truncation: int = None
    force: bool = False
    progress: bool = None
    cache: bool = True
    digits: int = 15
    scheduler: object = None
    workers: int = None

    def __post_init__(self):
        _model(self.model)
        _check_k(self.k)
        check_int(self.digits, "digits", 5, 1000)   # on every route: the symbolic one ignores it
        if self.workers is not None:
            check_int(self.workers, "workers", 1, 10 ** 6)
        check_scheduler(self.scheduler)


@dataclass
class _Plan:
    """A checked request: ``method`` (symbolic or numeric), the Taylor ``degree`` (symbolic),
    ``notes``, and for numeric weights the registry's weight method (``weigher``) and the
    working precision."""

    request: Request
    method: str
    degree: int = None
    notes: list = field(default_factory=list)
    weigher: object = None
    spread: TaskSpreader = None
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    ready: dict = field(default_factory=dict)

    @property
    def numeric(self):
        return self.method == "numeric"

    @contextmanager
    def running(self):
        """The mpmath working precision of numeric weights and the :class:`TaskSpreader` that
        maps weights over shapes (its worker processes or Dask client close on exit)."""
        with ExitStack() as stack:
            if self.numeric:
                stack.enter_context(mpmath.workdps(self.request.digits + 10))
            self.spread = stack.enter_context(TaskSpreader(self.request.scheduler, self.request.workers))
            yield self

    def psi(self):
        psi = self.request.model.psi
        return mpmath.mpf(sympy.N(psi, self.request.digits + 10)) if self.numeric else psi


def _plan(req):
    """Check the request and choose the method (asking the numeric registry once)."""
    model, k, method, truncation = req.model, req.k, req.method, req.truncation
    if method not in ("auto", "symbolic", "numeric"):
        raise MomentckError(f"method must be 'auto', 'symbolic' or 'numeric', got {method!r}")
    f = model.activation
    weigher, numeric_why = select(model, k)
    exact_ok = model.weights.finite_moments and f.is_polynomial
    if method == "auto":
        if exact_ok or truncation is not None:
            method = "symbolic"
        elif weigher is not None:
            method = "numeric"
        else:
            reason = (f"weights {model.weights.spec} have infinite Lévy moments"
                      if not model.weights.finite_moments else f"activation {f.spec} is not a polynomial")
            # a Taylor truncation needs finite Lévy moments: advise it only where it can run
            advice = ("" if not model.weights.finite_moments else
                      " (a Taylor truncation, truncation=7 / --truncation 7, gives the moments "
                      "of a polynomial instead)")
            raise NotCovered(f"no method applies: {reason}, so exact symbolic weights do not exist"
                             f"{advice}; and {numeric_why} (Monte Carlo estimates of any order: "
                             f"momentck simulate, or momentck.simulate)")
    if method == "numeric":
        if weigher is None:
            raise NotCovered(numeric_why)
        if truncation is not None:
            raise MomentckError("truncation applies to method='symbolic' only")
        shapes_total, _ = estimate_work(k, 3)
        if not req.force and shapes_total > SHAPE_LIMIT:
            raise TooMuchWork(f"k = {k} needs {_describe_work(k)}; "
                              "pass force=True (CLI: --force) to run it anyway")
        return _Plan(req, method, weigher=weigher(model, req.digits))
    return _Plan(req, method, *_symbolic_degree(req))


def _symbolic_degree(req):
    """``(Taylor degree, notes)`` of an exact symbolic request, after its checks."""
    model, k, truncation = req.model, req.k, req.truncation
    f, notes = model.activation, []
    if not model.weights.finite_moments:
        raise MomentckError(
            f"weights {model.weights.spec} have infinite Lévy moments: exact symbolic weights do not "
            "exist (numeric weights are needed)")
    if f.is_polynomial:
        if truncation is not None:
            raise MomentckError(f"truncation applies to non-polynomial activations; {f.spec} is a polynomial")
        degree = f.degree
    else:
        if truncation is None:
            raise MomentckError(
                f"activation {f.spec} is not a polynomial: exact weights need an explicit Taylor "
                "truncation order, e.g. truncation=7 (the result is then the moment of the truncated "
                "series, not of f)")
        if isinstance(truncation, bool) or not isinstance(truncation, int) or truncation < 3:
            raise MomentckError(f"truncation must be an odd integer >= 3, got {truncation!r}")
        degree = truncation if truncation % 2 else truncation - 1
        notes.append(f"activation {f.spec} replaced by its Taylor polynomial of degree {degree}: "
                     "the values are moments of that polynomial, not of f")
        if f.radius != sympy.oo:
            notes.append(f"the Taylor series of {f.spec} has finite radius of convergence "
                         f"{f.radius}; truncations do not converge to its moments as the order grows")
    _, seconds = estimate_work(k, degree)
    if not req.force and (seconds > SECONDS_LIMIT or degree * k > DEGREE_LIMIT):
        raise TooMuchWork(
            f"k = {k} with a degree-{degree} activation needs {_describe_work(k, degree)} "
            "(more with symbolic parameters); pass force=True (CLI: --force) to run it anyway")
    return degree, notes


def _show_progress(progress):
    return sys.stderr.isatty() if progress is None else bool(progress)


@lru_cache(maxsize=4)
def _coefficients(model, degree, j):
    """The exact numbers of weights of order ``j`` (one per process and order, shared by shapes)."""
    f = model.activation
    return Coefficients(f.taylor(degree), model.weights.levy_moment, model.inputs.moment,
                        max_order=2 * degree * j)


def _exact_chunk(model, degree, j, chunk):
    """Exact weights of a chunk of shapes of order j, as plain data that crosses processes:
    :func:`momentck.cache.encode_values` rows, or sympy values where the ring has no such form."""
    co = _coefficients(model, degree, j)
    raw = [shape_weight(s, co) for s in chunk]
    rows = _cache.encode_values(raw, co)
    return [co.to_sympy(w) for w in raw] if rows is None else rows


def _weights(plan, j):
    """``[(shape, exact weight)]`` for walks of length j; cached by the laws and activation.

    Orders weighed in shards (:func:`_shard`) are taken from the plan; otherwise the weights
    are mapped over the shapes by the plan's :class:`TaskSpreader` (in this process, or
    spread over processes or Dask workers when the estimated work pays for it)."""
    req, degree = plan.request, plan.degree
    model, cache = req.model, req.cache
    co = _coefficients(model, degree, j)
    if j in plan.ready:
        shp, rows = plan.ready.pop(j)
        return list(zip(shp, _cache.decode_values(rows, co)))
    key = _weights_key(model, degree, j)
    shp = shapes(j, cache=cache)
    if cache:
        got = _cache.load("weights", key, lambda payload: _cache.decode_weights(payload, shp, co))
        if got is not None:
            return list(zip(shp, got))
    portable = _cache.encode_values([], co) is not None
    seconds = len(shp) * _seconds_per_shape(j, degree) if portable else 0   # other rings stay here
    out = plan.spread.map(partial(_exact_chunk, model, degree, j), shp, seconds=seconds,
                          progress=_show_progress(req.progress), desc=f"weights, k={j}", unit="shape")
    if not portable:
        return list(zip(shp, out))
    if cache:
        _cache.store("weights", key, _cache.weights_payload(shp, out, co))
    return list(zip(shp, _cache.decode_values(out, co)))


def _weights_key(model, degree, j):
    return [model.weights.spec, model.inputs.spec, model.activation.spec, degree, j,
            sorted(sympy.srepr(s) for s in model.free_symbols)]


def _shard(plan, orders):
    """Enumerate and weigh the shapes of ``orders`` on the workers, in shards
    (:mod:`momentck.shards`): the exact symbolic route with a cold shape cache, when the
    estimated work pays for spreading it.  Each order gets shards in proportion to its
    estimated work (:data:`~momentck.parallel.CHUNKS_PER_WORKER` per worker for the costliest,
    one for the cheap ones), the costliest first, so that this process is left with merging
    alone.  The results wait in ``plan.ready``; the shapes and weights are stored in the cache
    here."""
    req, degree = plan.request, plan.degree
    if plan.numeric:
        return
    model = req.model
    cost = {j: _shape_count(j) * _seconds_per_shape(j, degree) for j in sorted(orders, reverse=True)
            if not (req.cache and _cache.has("shapes", [j]))
            and _cache.encode_values([], _coefficients(model, degree, j)) is not None}
    n = plan.spread.width(sum(cost.values()), len(cost) * CHUNKS_PER_WORKER) if cost else 0
    if not n:
        return
    top = max(cost.values())
    parts = {j: max(1, min(CHUNKS_PER_WORKER * n, math.ceil(CHUNKS_PER_WORKER * n * c / top)))
             for j, c in cost.items()}
    tasks = [partial(weigh_shard, partial(_exact_chunk, model, degree, j), j, parts[j], part)
             for j in cost for part in range(parts[j])]
    total = sum(_shape_count(j) for j in cost)          # extrapolated beyond k = 10
    out = plan.spread.run(tasks, n, progress=_show_progress(req.progress), unit="shape",
                          desc=f"shapes and weights, k={max(cost)}..{min(cost)}",
                          total=round(total) if math.isfinite(total) else None, size=lambda r: r[0])
    for j in cost:
        shp, rows = merge_shards(out[:parts[j]])
        out = out[parts[j]:]
        if req.cache:
            _cache.store("shapes", [j], _cache.encode_shapes(shp))
            co = _coefficients(model, degree, j)
            _cache.store("weights", _weights_key(model, degree, j), _cache.weights_payload(shp, rows, co))
        plan.ready[j] = shp, rows


def _multiplicity(shape, psi, powers):
    """``N_k(S) psi^{-(r(S)-1)}``, the factor of w(S) in h_k (MATH.md §3); the powers of psi are
    kept in ``powers`` by r(S) (thousands of shapes share a handful of row counts)."""
    power = powers.get(shape.rows)
    if power is None:
        power = powers[shape.rows] = psi ** (1 - shape.rows)
    return shape.walks * power


#: the weight method of the running numeric request in this process, by token: worker processes
#: keep theirs across chunks, so its memoised tables serve every chunk they weigh
_WEIGHER = {}


def _numeric_chunk(token, weigher, chunk):
    """``[(w(S), error)]`` of a chunk of shapes, by the weight method of request ``token``."""
    if token not in _WEIGHER:
        _WEIGHER.clear()
        _WEIGHER[token] = weigher
    return [_WEIGHER[token](s) for s in chunk]


def _numeric_weights(plan, shp, desc, done):
    """Weigh the shapes ``shp`` by the plan's weight method, handing each finished chunk's ``(w(S), error)`` to
    ``done(positions, results)`` (:meth:`TaskSpreader.map`); its arithmetic failures (e.g. a determinant that
    vanishes at the working precision) become a one-line :class:`MomentckError`."""
    req = plan.request
    seconds = len(shp) * getattr(plan.weigher, "cost", 0.0)
    try:
        plan.spread.map(partial(_numeric_chunk, plan.token, plan.weigher), shp, seconds=seconds,
                        progress=_show_progress(req.progress), desc=desc, unit="shape", done=done,
                        together=plan.weigher.affinity)
    except MomentckError:
        raise
    except (ArithmeticError, ValueError) as exc:
        raise ConvergenceError(
            f"numeric weights of {req.model!r} failed at {req.digits} digits ({type(exc).__name__}"
            f"{': ' + str(exc) if str(exc) else ''}); extreme parameters such as a very large "
            "activation scale are beyond this method") from exc
    finally:
        _WEIGHER.clear()


#: seconds between rewrites of an order's cache entry while its numeric weights are computed
_SAVE_SECONDS = 10.0


def _cached_numeric_weights(plan, j):
    """:func:`_numeric_weights` of the shapes of order j, through the on-disk cache: the key holds the
    laws, the activation, the weight method, the digits, the package's code fingerprint and the numeric
    modules' run-time configuration, so only numbers this very code and configuration computed for this
    model are read back (exactly, as binary floats).  The entry is rewritten as chunks of shapes finish
    (at most every :data:`_SAVE_SECONDS`), so an interrupted order resumes with the shapes it lacks."""
    req = plan.request
    shp = shapes(j, cache=req.cache)
    model = req.model
    key = [model.weights.spec, model.inputs.spec, model.activation.spec, plan.weigher.name, req.digits, j,
           _cache.code_fingerprint(), configuration_fingerprint()]
    known = {}
    if req.cache:
        known = _cache.load("numeric", key, lambda payload: _cache.decode_numbers(payload, shp)) or {}
    todo = [i for i in range(len(shp)) if i not in known]
    saved = [time.monotonic()]

    def keep(positions, results):
        known.update((todo[p], r) for p, r in zip(positions, results))
        if req.cache and time.monotonic() - saved[0] > _SAVE_SECONDS:   # cheap methods: not an fsync a shape
            _cache.store("numeric", key, _cache.encode_numbers(shp, known))
            saved[0] = time.monotonic()

    if todo:
        _numeric_weights(plan, [shp[i] for i in todo], f"numeric weights, k={j}", done=keep)
        if req.cache:
            _cache.store("numeric", key, _cache.encode_numbers(shp, known))
    return [(s, *known[i]) for i, s in enumerate(shp)]


def _terms(plan, j, itemise=True):
    """The one loop over shapes: ``[(shape, w(S), error, contribution, contribution error)]`` of
    ``h_j = sum_S N_j(S) psi^-(r(S)-1) w(S)`` (errors None for exact weights; exact contributions
    None unless ``itemise``), in the order of the shapes whoever computed the weights.  Numeric
    weights come from the plan's weight method, shared across j so its tables are reused; call
    inside ``plan.running()``."""
    req = plan.request
    psi = plan.psi()
    if plan.numeric:
        weighed = _cached_numeric_weights(plan, j)
    else:
        weighed = [(s, w, None) for s, w in _weights(plan, j)]
        if not itemise:
            return [(s, w, None, None, None) for s, w, _ in weighed]
    out, powers = [], {}
    for s, w, e in weighed:
        mult = _multiplicity(s, psi, powers)
        out.append((s, w, e, mult * w, None if e is None else mult * e))
    return out


def _total(plan, terms):
    """``(h_j, error bound or None)`` from :func:`_terms`."""
    if not plan.numeric:
        return _exact_sum(plan.psi(), [(t[0], t[1]) for t in terms]), None
    return sum((t[3] for t in terms), mpmath.mpf(0)), sum((t[4] for t in terms), mpmath.mpf(0))


def _exact_sum(psi, weighed):
    """``sum_S N(S) psi^-(r(S)-1) w(S)`` over ``[(shape, exact weight)]``: in Python fractions
    where psi and every weight are rational numbers (the same value as sympy's sum, and some ten
    times faster over thousands of shapes), else with sympy (formulas)."""
    if psi.is_Rational and all(w.is_Rational for _, w in weighed):
        psi, total, powers = Fraction(int(psi.p), int(psi.q)), Fraction(0), {}
        for s, w in weighed:
            total += _multiplicity(s, psi, powers) * Fraction(int(w.p), int(w.q))
        return sympy.Rational(total.numerator, total.denominator)
    powers = {}
    return sympy.expand(sum((_multiplicity(s, psi, powers) * w for s, w in weighed), sympy.Integer(0)))


def _kernel(req):
    """``(plan, h, errors or None)`` for h_1..h_k."""
    plan = _plan(req)
    h, err = [], []
    with plan.running():
        _shard(plan, range(1, req.k + 1))
        for j in range(1, req.k + 1):
            with collector_paused():     # tens of thousands of acyclic terms per order
                total, bound = _total(plan, _terms(plan, j, itemise=plan.numeric))
            h.append(total)
            err.append(None if bound is None else bound + abs(total) * mpmath.mpf(10) ** (-req.digits - 5))
    if not plan.numeric:
        return plan, h, None
    worst = max(e / abs(x) for x, e in zip(h, err) if x)
    if worst > mpmath.mpf(10) ** -req.digits:
        plan.notes.append(f"the error estimates (up to {float(worst):.1e} relative) exceed the "
                          f"requested {req.digits} digits: this model's weights use float64 quadrature")
    return plan, h, err


def _result(req, spectral):
    plan, h, err = _kernel(req)
    model, digits = req.model, req.digits
    if not plan.numeric:
        m = free_poisson_moments(h, model.gamma) if spectral else None
        trunc = None if model.activation.is_polynomial else plan.degree
        return MomentResult(model, req.k, h, m, plan.method, trunc, plan.notes)
    with mpmath.workdps(digits + 10):
        gamma = mpmath.mpf(sympy.N(model.gamma, digits + 10))
        m = m_err = None
        if spectral:
            # h_j >= 0 and gamma > 0: m is increasing in every h_j, so m(h + err) - m(h) bounds the error
            m = free_poisson_moments(h, gamma)
            m_err = [b - a for a, b in zip(m, free_poisson_moments([x + e for x, e in zip(h, err)], gamma))]
        fl = lambda xs: None if xs is None else [sympy.Float(x, digits) for x in xs]  # noqa: E731
        return MomentResult(model, req.k, fl(h), fl(m), plan.method, None, plan.notes, digits=digits,
                            kernel_error=[_float_bound(e) for e in err],
                            spectral_error=None if m_err is None else [_float_bound(e) for e in m_err])


def _float_bound(e):
    """An error bound as a float no smaller than it: rounded up where the conversion rounded down (a bound below
    float64's range, e.g. at ``sin(scale=1e-100)``, becomes the smallest subnormal, not 0)."""
    f = float(e)
    return math.nextafter(f, math.inf) if f < e else f


def kernel_moments(model, k, method="auto", truncation=None, force=False, progress=None, cache=True,
                   digits=15, scheduler=None, workers=None):
    """Exact limiting kernel moments ``h_j = lim E[(1/n) tr K^j]``, j = 1..k.

    Parameters
    ----------
    model : Model
        Weights with finite Lévy moments (``gaussian`` or ``sparse``); any
        parameter may be a sympy symbol, and the results are then formulas.
    k : int
    method : {"auto", "symbolic", "numeric"}
        ``auto``: symbolic whenever it gives the true moment (finite Lévy moments,
        polynomial activation), else numeric where implemented
        (the registry :mod:`momentck.numeric`; ``momentck methods`` lists it).
    truncation : int, optional
        Taylor order for a non-polynomial activation with ``method="symbolic"``
        (the result is then the moment of the Taylor polynomial, not of f).
    digits : int
        Significant digits of numeric weights (``method="numeric"``); results carry
        error estimates (``kernel_error``, ``spectral_error``).
    force : bool
        Run even when the estimated work is large (otherwise :class:`TooMuchWork`).
    progress : bool, optional
        Progress bar over shapes (default: when stderr is a terminal).
    cache : bool
        Use the on-disk cache of shapes and weights.
    scheduler, workers
        Where the shape weights are computed (they are independent): by default in
        this process, or on up to ``workers`` (default: the CPU count) local
        processes when the estimated work pays for starting them; with
        ``scheduler`` on Dask workers as for :func:`momentck.simulate`
        (``"processes"``: a local cluster of ``workers`` processes; an address; a
        ``distributed.Client``).  The results do not depend on it: exact ones are
        equal, numeric ones the same bits (:mod:`momentck.parallel`).

    Returns
    -------
    MomentResult

    Examples
    --------
    >>> m = Model("sparse(c=2, entries=rademacher)", "rademacher", "poly(1, -1/6)")
    >>> list(kernel_moments(m, 2, cache=False))
    [43/18, 43505/648]
    """
    return _result(Request(model, k, method, truncation, force, progress, cache, digits, scheduler, workers), False)


def limiting_moments(model, k, method="auto", truncation=None, force=False, progress=None, cache=True,
                     digits=15, scheduler=None, workers=None):
    """Exact limiting spectral moments ``m_j = lim E[(1/n) tr M^j]``, j = 1..k.

    Parameters are those of :func:`kernel_moments`; ``m`` follows from ``h`` by
    free Poisson compression with ratio ``gamma = phi/psi`` (MATH.md §2).

    Examples
    --------
    >>> m = Model("sparse(c=2, entries=rademacher)", "rademacher", "poly(1, -1/6)", phi=1, psi=1)
    >>> [str(x) for x in limiting_moments(m, 2, cache=False)]
    ['43/18', '47203/648']

    Parameters may be symbols; results are then formulas:

    >>> import sympy
    >>> from momentck import Sparse
    >>> c = sympy.Symbol("c", positive=True)
    >>> m = Model(Sparse(c, "rademacher"), "rademacher", "poly(1, -1/6)")
    >>> limiting_moments(m, 1, cache=False)[0]
    5*c**3/12 - 7*c**2/12 + 25*c/36
    """
    return _result(Request(model, k, method, truncation, force, progress, cache, digits, scheduler, workers), True)


@dataclass
class ExplainTable:
    """Term-by-term account of ``h_k = sum_S N_k(S) psi^{-(r(S)-1)} w(S)``.

    ``rows`` holds one dict per shape with keys ``key``, ``shape`` (text form),
    ``walks`` (N_k(S)), ``rows`` (r(S)), ``incidences``, ``weight`` and
    ``contribution``; ``total`` is h_k.  Numeric tables also carry each
    contribution's ``error`` bound and the total's (``error``); their values are
    shown to the digits the bounds support.
    """

    model: Model
    k: int
    rows: list
    total: object
    notes: list
    error: float = None

    def __str__(self):
        numeric = self.error is not None
        head = ("#", "shape", "N_k(S)", "r(S)", "weight w(S)", "contribution") + (("error",) if numeric else ())
        body = [(str(i), r["shape"], str(r["walks"]), str(r["rows"]), _short(r["weight"]),
                 _short(r["contribution"])) + ((f"{r['error']:.1g}",) if numeric else ())
                for i, r in enumerate(self.rows, 1)]
        widths = [max(len(x) for x in col) for col in zip(head, *body)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines = [f"h_{self.k} for {self.model!r}", fmt.format(*head),
                 fmt.format(*("-" * w for w in widths))]
        lines += [fmt.format(*r) for r in body]
        lines.append(f"total h_{self.k} = {_short(self.total)}"
                     + (f"  (error bound {self.error:.1g})" if numeric else ""))
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def latex(self):
        """The table as a LaTeX ``tabular``."""
        out = ["\\begin{tabular}{llrrll}", "\\# & shape & $N_k(S)$ & $r(S)$ & $w(S)$ & contribution \\\\",
               "\\hline"]
        for i, r in enumerate(self.rows, 1):
            out.append(f"{i} & \\texttt{{{r['shape']}}} & {r['walks']} & {r['rows']} & "
                       f"${sympy.latex(r['weight'])}$ & ${sympy.latex(r['contribution'])}$ \\\\")
        out.append("\\hline")
        out.append(f"\\multicolumn{{5}}{{l}}{{$h_{{{self.k}}}$}} & ${sympy.latex(self.total)}$ \\\\")
        out.append("\\end{tabular}")
        return "\n".join(out)

    def to_dicts(self):
        """Rows as JSON-able dicts (exact values as strings)."""
        return [{**r, "key": repr(r["key"]), "weight": str(r["weight"]),
                 "contribution": str(r["contribution"])} for r in self.rows]


def _short(v, width=60):
    text = str(v)
    if len(text) > width and sympy.sympify(v).is_number:
        text = f"{text[:20]}… ≈ {float(sympy.N(v, 17)):.10g}"
    return text


def explain(model, k, method="auto", truncation=None, force=False, progress=None, cache=True, digits=15,
            scheduler=None, workers=None):
    """Shape-by-shape table of the k-th kernel moment, for auditing.

    Parameters are those of :func:`kernel_moments`.  Numeric weights appear as
    sympy Floats of ``digits`` digits.

    Examples
    --------
    >>> m = Model("sparse(c=2, entries=rademacher)", "rademacher", "poly(1, -1/6)")
    >>> t = explain(m, 3, cache=False)
    >>> [(r["walks"], r["rows"]) for r in t.rows]
    [(1, 1), (1, 2), (2, 2), (1, 3)]
    >>> t.total == kernel_moments(m, 3, cache=False)[2]
    True
    """
    req = Request(model, k, method, truncation, force, progress, cache, digits, scheduler, workers)
    plan = _plan(req)
    with plan.running():
        _shard(plan, [k])
        terms = _terms(plan, k)
        total, bound = _total(plan, terms)
        rows = []
        for s, w, e, contrib, c_err in terms:
            row = {"key": s.key, "shape": s.text(), "walks": s.walks, "rows": s.rows,
                   "incidences": s.incidences, "weight": w, "contribution": contrib, "example": s.example}
            if plan.numeric:
                row.update(weight=supported_digits(w, e, digits),
                           contribution=supported_digits(contrib, c_err, digits), error=float(c_err))
            rows.append(row)
        if not plan.numeric:
            return ExplainTable(model, k, rows, total, plan.notes)
        return ExplainTable(model, k, rows, supported_digits(total, bound, digits), plan.notes, float(bound))


def supported_digits(value, error, digits):
    """``value`` as a sympy Float with the significant digits its error bound supports.

    At most ``digits``; at least one.  A zero value or error keeps ``digits``.
    """
    v = mpmath.mpf(value)
    n = digits
    if error and v:
        ratio = abs(v) / mpmath.mpf(error)          # 0 or NaN for an infinite or NaN bound: 1 digit
        n = max(1, min(digits, int(mpmath.floor(mpmath.log10(ratio))))) if ratio > 10 else 1
    return sympy.Float(v, n)
