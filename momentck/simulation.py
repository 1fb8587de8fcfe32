"""Monte Carlo ground truth: finite-size trace moments of ``M = Y Y^T / m``.

One replicate samples the finite-size laws of MATH.md §1 — W (n×d, dense or
scipy.sparse CSR), X (d×m), ``Y = f(W X)`` (n×m) — and returns
``(1/n) tr M^j`` for ``j = 1..k``.  :func:`simulate` averages replicates and
reports standard errors.

Cost and memory
---------------
* Y is built block by block of samples (columns of Y); only one block of X and
  of ``W X`` exists at a time.  Sparse W multiplies through scipy.sparse.
* The trace powers use the cheapest exact route, on the smaller Gram matrix
  ``G`` (``Y Y^T``, n×n, when ``n <= m``, else ``Y^T Y``, m×m; both have the same
  nonzero eigenvalues): BLAS ``syrk`` forms G; ``tr M = tr G / m`` and
  ``tr M^2 = ||G||_F^2 / m^2``; for ``j >= 3`` (or when eigenvalues are asked
  for) one symmetric eigendecomposition (eigenvalues only) of G.
* When ``n <= m``, G is accumulated over column chunks of Y (streaming):
  ``G = sum_c Y_c Y_c^T``, one ``syrk`` per chunk of ``_gram_width(n, m)``
  samples, so Y never exists whole and memory stays near G (n×n) plus W when it
  is dense, instead of n×m.  The chunk width depends on (n, m) only, never on
  ``chunk``, the machine or the number of workers; when it covers all m samples
  (``m <= max(2048, 2^22 / n)``) there is a single ``syrk``, as before streaming.
  When ``n > m`` Y (n×m, smaller than n×n) is built whole.
* :func:`memory_estimate` gives the peak memory of one replicate, and
  :func:`simulate` refuses, with the figure in GiB, a run that would not fit
  in the available memory instead of swapping.

Precision
---------
``dtype="float32"`` samples exactly the float64 draws (rounded to float32) and
runs W X, f, syrk and the eigenvalues in single precision (traces are summed
in float64): about half the memory.  Measured relative error of the moments
against float64 at the same seed and replicate (OpenBLAS; n = 500, 1000, 2000,
3000; k = 4; seven models: sparse, gaussian, stable(alpha=1.5 and 0.8) weights,
tanh, sin, erf and polynomial activations, phi from 1/2 to 2):

* m_1, m_2 with continuous laws: 2e-9 to 3e-8 (stable(alpha=0.8): 3e-6);
* m_3, m_4 (float32 eigenvalues): 1e-7 to 2e-6;
* sparse rademacher weights with rademacher inputs: 1e-6 to 3e-6 for every j
  (Y takes few distinct values, so syrk's float32 rounding errors add up
  instead of averaging out);
* worst case: 9.5e-6 (stable(alpha=0.8), sin, m_4, n = 2000).

Monte Carlo standard errors are 1e-4 relative and more, so float32 is safe
for moments; use float64 for individual eigenvalues near 0.

Reproducibility
---------------
Replicate ``i`` uses its own stream ``np.random.SeedSequence(seed).spawn(reps)[i]``,
so results depend neither on the order nor on how replicates are spread over
processes (:func:`simulate_replicate` is the unit of work to map), nor on the
block size ``chunk``: X is drawn sample by sample (column by column) in the
same order whatever the blocking.  At the rounding level BLAS results depend on
its thread count, so :func:`simulate_replicate` runs BLAS with one thread
(``blas_threads=1``), wherever it runs (:mod:`momentck.parallel`: in this
process, on local worker processes, on Dask workers): results are bit-identical
however replicates are spread.  The one exception is a run of a single
replicate with ``min(n, m) >= 4000`` on this machine, which lets BLAS use every
core and agrees with one thread to rounding (relative differences up to about
1e-13).
"""

import functools
import math
import sys
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
from scipy.linalg.blas import ddot, dgemm, dsyrk, sgemm, ssyrk

from ._blas import blas_threads as _blas_threads
from .activations import Named
from .errors import MomentckError, WorkersLost
from .laws import Gaussian, MomentInputs, Rademacher, Sparse, Stable
from .model import Model
from .parallel import Memory as _Memory, run_replicates
from .resources import available_memory, gib as _gib
from .validation import check_int as _check_int
from .specs import quote

__all__ = ["SimulationResult", "available_memory", "memory_estimate", "simulate",
           "simulate_replicate", "sizes_for"]

#: elements per block of X (and of W X): 2^22 doubles = 32 MiB
_BLOCK_ELEMENTS = 1 << 22
#: least number of samples per syrk when G is accumulated over chunks of Y
_GRAM_MIN_WIDTH = 2048
#: memory of the interpreter and libraries (numpy, scipy, sympy) in a process
_OVERHEAD_BYTES = 200 << 20
_DTYPES = ("float64", "float32")
#: stable weights: the largest row scale used, times the activation's scale (see _stable_weights)
_ROW_SCALE_CAP = 1e30
#: stable weights with sin: the least alpha simulated (see _check_model)
STABLE_SIN_ALPHA_MIN = 0.5


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Monte Carlo estimates of ``E[(1/n) tr M^j]``, ``j = 1..k``.

    Attributes
    ----------
    moments : ndarray, shape (k,)
        Mean over replicates of ``(1/n) tr M^j``.
    stderr : ndarray, shape (k,)
        Standard deviation over replicates (ddof=1) divided by ``sqrt(reps)``;
        NaN when ``reps == 1``.
    per_replicate : ndarray, shape (reps, k)
        The value of ``(1/n) tr M^j`` in each replicate.
    n, d, m : int
        Matrix sizes: W is n×d, X is d×m, M is n×n.
    reps, seed : int
    model : dict
        The model's specs (``weights``, ``inputs``, ``activation``, ``phi``, ``psi``).
    eigenvalues : list of ndarray or None
        When requested: per replicate, the n eigenvalues of M in ascending order
        (when ``m < n``, the ``n - m`` zero eigenvalues are exact zeros).
    dtype : str
        ``"float64"`` or ``"float32"``: the precision of the matrices.
    """

    moments: np.ndarray
    stderr: np.ndarray
    per_replicate: np.ndarray
    n: int
    d: int
    m: int
    reps: int
    seed: int
    model: dict = field(default_factory=dict)
    eigenvalues: list = None
    dtype: str = "float64"

    @property
    def k(self):
        """Number of moments."""
        return len(self.moments)

    def to_dict(self, eigenvalues=False):
        """A JSON-serialisable dict (NaN standard errors become ``None``).

        Eigenvalues are included (as lists) only with ``eigenvalues=True``.
        """
        out = {
            "moments": [float(x) for x in self.moments],
            "stderr": [None if math.isnan(x) else float(x) for x in self.stderr],
            "per_replicate": [[float(x) for x in row] for row in self.per_replicate],
            "n": self.n, "d": self.d, "m": self.m, "k": self.k,
            "reps": self.reps, "seed": self.seed,
            "model": dict(self.model), "dtype": self.dtype,
        }
        if eigenvalues and self.eigenvalues is not None:
            out["eigenvalues"] = [[float(x) for x in ev] for ev in self.eigenvalues]
        return out

    def __repr__(self):
        mom = ", ".join(f"{x:.6g}" for x in self.moments)
        return (f"SimulationResult(moments=[{mom}], n={self.n}, d={self.d}, m={self.m}, "
                f"reps={self.reps}, seed={self.seed}, model={self.model})")


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

def _check_model(model):
    if not isinstance(model, Model):
        raise MomentckError(f"model must be a momentck.Model, got {model!r}")
    symbols = model.free_symbols
    if symbols:
        names = ", ".join(sorted(str(s) for s in symbols))
        raise MomentckError(
            f"cannot simulate a model with symbolic parameters ({names}) in {model!r}: "
            "give numbers for every parameter")
    if isinstance(model.inputs, MomentInputs):
        raise MomentckError(
            f"inputs {model.inputs.spec} are given by their moments only and cannot be sampled; "
            "simulate with inputs normal, rademacher or uniform")
    act = model.activation
    if isinstance(model.weights, Stable) and act.name == "sin" and model.weights.alpha < STABLE_SIN_ALPHA_MIN:
        raise MomentckError(
            f"weights {model.weights.spec} with sin: simulation needs alpha >= {STABLE_SIN_ALPHA_MIN}. "
            "A row of W has scale about E^(-1/alpha), E ~ Exp(1); sin does not saturate, and below "
            f"alpha = {STABLE_SIN_ALPHA_MIN} more than 1e-8 of the rows exceed 2^53, where float64 "
            "loses the phase of sin (tanh, erf and atan saturate and are simulated for every alpha)")
    return model


def sizes_for(model, n):
    """Validated matrix sizes ``(n, d, m)`` for a simulation of ``model`` at width ``n``.

    Besides :meth:`Model.sizes` (``d, m >= 2``), sparse weights need ``c <= d``.

    >>> sizes_for(Model("gaussian", "normal", "tanh", phi="1/2", psi=2), 100)
    (100, 200, 400)
    """
    n = _check_int(n, "n", 1)
    n, d, m = model.sizes(n)
    w = model.weights
    if isinstance(w, Sparse) and w.c.is_number and float(w.c) > d:
        raise MomentckError(
            f"n = {n} is too small for sparse weights with c = {w.c}: d = {d} columns, "
            f"need d >= c (increase n)")
    return n, d, m


# ---------------------------------------------------------------------------
# One replicate
# ---------------------------------------------------------------------------

def _check_dtype(dtype):
    """``"float64"`` or ``"float32"`` from a name or numpy dtype."""
    try:
        name = np.dtype(dtype).name if dtype is not None else None
    except TypeError:
        name = None
    if name not in _DTYPES or isinstance(dtype, bool):
        raise MomentckError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    return name


def _apply_activation(act, a):
    """``a <- f(a)`` in place where the activation is a numpy ufunc."""
    if isinstance(act, Named) and act.name in Named._numpy:
        b = float(act.scale)
        if b != 1.0:
            a *= b
        Named._numpy[act.name](a, out=a)
    elif isinstance(act, Named) and act.name == "erf":
        from scipy.special import erf
        b = float(act.scale)
        if b != 1.0:
            a *= b
        erf(a, out=a)
    else:
        a[...] = act(a)


def _default_chunk(n, d):
    return max(1, _BLOCK_ELEMENTS // max(n, d))


def _gram_width(n, m):
    """Samples per ``syrk`` when accumulating G: a function of ``(n, m)`` only.

    ``m`` (Y whole) when ``n > m``; else at least 2048 and about 2^22 / n, so the
    chunk of Y takes at most ``max(2^22, 2048 n)`` elements.
    """
    if n > m:
        return m
    return min(m, max(_GRAM_MIN_WIDTH, _BLOCK_ELEMENTS // n))


def _sample_weights(law, n, d, rng, dtype, act=None):
    """``law.sample(n, d, rng)`` in ``dtype`` (the same draws, rounded for float32).

    Gaussian weights are drawn row block by row block straight into the result:
    ``standard_normal`` fills its output in order, so the draws are those of
    :meth:`Gaussian._sample` without its two n×d float64 temporaries.
    """
    if type(law) is Gaussian:
        w = np.empty((n, d), dtype=dtype)
        scale = math.sqrt(d)
        rows = max(1, _BLOCK_ELEMENTS // d)
        for s in range(0, n, rows):
            e = min(n, s + rows)
            block = rng.standard_normal((e - s, d))
            block /= scale
            w[s:e] = block
            del block          # before the next draw
        return w
    if type(law) is Stable:
        return _stable_weights(law, n, d, rng, dtype, act)
    w = law.sample(n, d, rng)
    if dtype != "float64":
        w = w.astype(dtype)
    return w


def _stable_weights(law, n, d, rng, dtype, act):
    """Stable W as ``diag(min(exp(s), cap)) V`` (:meth:`Stable.sample_scaled`): finite for every alpha.

    A row's scale ``exp(s_i)`` is about ``E^(-1/alpha)``: beyond float64 for small
    alpha, and ``W X`` would hold inf - inf = NaN.  Rows are scaled to at most
    ``cap = 1e30 / min(beta, 1)`` (``beta`` the activation's scale).  This is exact
    in float64 for the saturating activations: for ``beta exp(s_i) >= 1e30``,
    ``f(beta exp(s_i) z) = f(1e30 z) = +-sup f`` (tanh and erf reach +-1 at 19 and 6,
    atan is within 1e-16 of pi/2 beyond 1e16) unless ``|z| < 1e-14``, and ``z``, the
    row's dominant entry of X plus much smaller terms, is that small with probability
    about 1e-14.  sin, which does not saturate, is limited to alpha >= 1/2, where rows
    beyond 2^53 have probability below 1e-8 (:func:`_check_model`).  ``W X`` stays
    below 1e30 d max|X| / beta: finite in float32 too for beta >= 0.03.
    """
    log_scale, w = law.sample_scaled(n, d, rng)
    beta = float(act.scale) if isinstance(act, Named) else 1.0
    cap = math.log(_ROW_SCALE_CAP / min(beta, 1.0))
    w *= np.exp(np.minimum(log_scale, cap))[:, None]
    return w if dtype == "float64" else w.astype(dtype)


def _gram_streamed(model, n, d, m, rng, chunk, dtype):
    """The smaller Gram matrix of Y (lower triangle, Fortran order, upper part 0).

    ``n <= m``: ``G = Y Y^T`` accumulated over chunks of :func:`_gram_width`
    samples (columns of Y); ``n > m``: ``G = Y^T Y`` from the whole of Y.
    """
    act = model.activation
    single = dtype == "float32"
    gemm, syrk = (sgemm, ssyrk) if single else (dgemm, dsyrk)
    w = _sample_weights(model.weights, n, d, rng, dtype, act)
    sparse = not isinstance(w, np.ndarray)
    if chunk is None:
        chunk = _default_chunk(n, d)
    width = _gram_width(n, m)
    # z holds Y_c^T (samples × n, C order), so Y_c = z.T is Fortran order for BLAS.
    z = np.empty((width, n), dtype=dtype)
    g = None
    for s0 in range(0, m, width):
        e0 = min(m, s0 + width)
        buf = z[:e0 - s0]
        for s in range(s0, e0, chunk):
            e = min(e0, s + chunk)
            # Row j of xt is the j-th column of X: drawing xt row by row keeps the stream
            # independent of the block size.
            xt = model.inputs.sample((e - s, d), rng)
            if single:
                xt = xt.astype(np.float32)
            block = buf[s - s0:e - s0]
            if sparse:
                block[...] = (w @ xt.T).T   # (n×d sparse) @ (d×c) -> n×c; W X touches nnz(W) entries
            else:
                # block.T (n×c, Fortran order) <- W X_block, written in place by BLAS
                out = gemm(1.0, w.T, xt.T, beta=0.0, c=block.T, trans_a=1, overwrite_c=1)
                if not np.shares_memory(out, block):     # pragma: no cover - block.T is Fortran order
                    block[...] = out.T
                del out
            del xt             # before the next draw
            _apply_activation(act, block)
        if e0 == m:
            del w                  # last chunk: W is no longer needed
        y = buf.T                  # n×c, Fortran-contiguous: no copy for BLAS
        if n > m:
            g = syrk(1.0, y, trans=1, lower=1)
        elif g is None:
            g = syrk(1.0, y, trans=0, lower=1)
        else:
            out = syrk(1.0, y, beta=1.0, c=g, trans=0, lower=1, overwrite_c=1)
            if not np.shares_memory(out, g):             # pragma: no cover - g is Fortran order
                g[...] = out
    return g


def _sum_squares64(g):
    """``sum(g**2)`` of a float32 Fortran array, accumulated in float64 by column blocks."""
    cols = max(1, _BLOCK_ELEMENTS // max(1, g.shape[0]))
    total = 0.0
    for s in range(0, g.shape[1], cols):
        block = np.asarray(g[:, s:s + cols], dtype=np.float64, order="F").ravel(order="K")
        total += float(ddot(block, block))
    return total


def simulate_replicate(model, n, k, seed_seq, eigenvalues=False, chunk=None, dtype="float64",
                       blas_threads=1):
    """One Monte Carlo replicate: ``[(1/n) tr M^j for j = 1..k]``.

    Parameters
    ----------
    model : Model
    n, k : int
        Width (``d`` and ``m`` follow from the model's ratios) and number of moments.
    seed_seq : numpy.random.SeedSequence
        This replicate's stream, e.g. ``np.random.SeedSequence(seed).spawn(reps)[i]``.
    eigenvalues : bool
        Also return the n eigenvalues of M (ascending).
    chunk : int, optional
        Samples (columns of Y) built per block; the result does not depend on it.
    dtype : {"float64", "float32"}
        Precision of W, X, Y and G (the draws are the same; see the module notes).
    blas_threads : int
        BLAS threads for this replicate: 1 (default) gives the same bits wherever
        it runs; more changes the result at the rounding level.

    Returns
    -------
    traces : ndarray, shape (k,)
    eigs : ndarray, shape (n,), or None
        float64 in either precision.

    Examples
    --------
    >>> model = Model("sparse(c=2, entries=rademacher)", "rademacher", "tanh")
    >>> ss = np.random.SeedSequence(1).spawn(2)[1]
    >>> t, _ = simulate_replicate(model, 200, 3, ss)
    >>> bool(np.all(t == simulate(model, 200, 3, reps=2, seed=1).per_replicate[1]))
    True
    """
    model = _check_model(model)
    n, d, m = sizes_for(model, n)
    k = _check_int(k, "k", 1)
    if chunk is not None:
        chunk = _check_int(chunk, "chunk", 1)
    dtype = _check_dtype(dtype)
    if not isinstance(seed_seq, np.random.SeedSequence):
        raise MomentckError(f"seed_seq must be a numpy SeedSequence, got {seed_seq!r}")
    threads = _check_int(blas_threads, "blas_threads", 1)
    with _blas_threads(threads):
        return _replicate(model, n, d, m, k, np.random.default_rng(seed_seq), eigenvalues, chunk, dtype)


def _replicate(model, n, d, m, k, rng, eigenvalues, chunk, dtype):
    """:func:`simulate_replicate` after its checks."""
    with np.errstate(over="ignore", invalid="ignore"):      # overflows are refused just below
        g = _gram_streamed(model, n, d, m, rng, chunk, dtype)
    single = dtype == "float32"
    size = g.shape[0]              # min(n, m)
    diag = np.diagonal(g).astype(np.float64)
    if not np.isfinite(diag).all():    # every entry of Y enters a diagonal entry of G
        raise MomentckError(
            f"Y = f(WX) has entries that are not finite in {dtype}: "
            + (f"the weights {model.weights.spec} overflow" if model.activation.bounded else
               f"{quote(model.activation.spec)} overflows; use smaller coefficients or scale"))
    traces = np.empty(k)
    traces[0] = diag.sum() / m / n
    if k >= 2:
        # scipy's BLAS throughout (syrk, gemm, dot, LAPACK): mixing in numpy's own BLAS
        # leaves its idle threads spinning against scipy's and costs ~40% at n = 2000.
        if single:
            sq = _sum_squares64(g)
        else:
            flat = g.ravel(order="K")      # a view; the upper triangle is zero
            sq = ddot(flat, flat)
        frob2 = 2.0 * sq - float(np.dot(diag, diag))
        traces[1] = frob2 / m ** 2 / n
    eigs = None
    if k >= 3 or eigenvalues:
        lam = scipy.linalg.eigvalsh(g, lower=True, overwrite_a=True, check_finite=False)
        del g
        if single:
            lam = lam.astype(np.float64)
        lam /= m
        with np.errstate(over="ignore", invalid="ignore"):
            for j in range(3, k + 1):
                traces[j - 1] = float(np.sum(lam ** j)) / n
        if eigenvalues:
            eigs = lam if size == n else np.concatenate((np.zeros(n - size), lam))
            eigs.sort()
    _check_finite(traces, dtype)
    return traces, eigs


def _check_finite(moments, dtype):
    """The final guard: no moment that is not a finite number leaves the simulator."""
    bad = np.flatnonzero(~np.isfinite(moments))
    if bad.size:
        raise MomentckError(
            f"(1/n) tr M^j overflows {dtype} for j >= {bad[0] + 1} (of k = {len(moments)}): "
            f"ask for at most k = {max(1, int(bad[0]))} moments at this size")


# ---------------------------------------------------------------------------
# Memory
# ---------------------------------------------------------------------------

def memory_estimate(model, n, dtype="float64", chunk=None):
    """Peak memory in bytes of one replicate of ``model`` at width ``n`` in one process.

    The largest of: sampling W; building Y chunk by chunk next to W and the
    Gram matrix G (``min(n, m)^2`` entries: usually the bulk); the eigenvalues of
    G.  Includes about 200 MiB for the interpreter and libraries.  Checked
    against the measured peak resident memory (benchmarks/bench_distributed.py).

    >>> model = Model("sparse(c=2, entries=rademacher)", "rademacher", "tanh")
    >>> round(memory_estimate(model, 20000) / 2**30, 2), round(memory_estimate(model, 20000, "float32") / 2**30, 2)
    (3.57, 1.92)
    """
    model = _check_model(model)
    n, d, m = sizes_for(model, n)
    dtype = _check_dtype(dtype)
    if chunk is not None:
        chunk = _check_int(chunk, "chunk", 1)
    size = np.dtype(dtype).itemsize
    single = dtype == "float32"
    s = min(n, m)
    width = _gram_width(n, m)
    c = min(width, chunk if chunk is not None else _default_chunk(n, d))
    law = model.weights
    if isinstance(law, Sparse):
        nnz = float(law.c) * n
        w_final = nnz * (size + 8) + 8 * (n + 1)
        w_sample = 96 * nnz + 32 * n          # counts, rows, cols, sort order, values, CSR
        if single:
            w_sample += w_final
    elif type(law) is Gaussian:
        w_final = n * d * size
        w_sample = w_final + 8 * max(1, _BLOCK_ELEMENTS // d) * d
    else:                                     # stable: all V, then all E (float64), signs (bool)
        w_final = n * d * size
        w_sample = 17 * n * d
    sparse = isinstance(law, Sparse)
    act = model.activation
    in_place = isinstance(act, Named) and (act.name in Named._numpy or act.name == "erf")
    # a block of X drawn in float64 (rademacher: 2 arrays), its float32 copy, scipy.sparse's
    # C-order copy of it
    draw = 16 if isinstance(model.inputs, Rademacher) else 8
    x_block = c * d * max(draw, 8 + (size if single else 0) + (size if sparse else 0))
    # W X of sparse W; a polynomial activation's float64 temporaries
    y_temps = c * n * ((size if sparse else 0) + (0 if in_place else 5 * 8))
    buffer = width * n * size
    gram = s * s * size
    if width < m:              # G accumulates next to W and the chunks of Y
        build = w_final + buffer + gram + x_block + y_temps
    else:                      # one syrk, after W and the blocks are gone
        build = max(w_final + buffer + x_block + y_temps, buffer + gram)
    eig = gram + 48 * s + (8 * _BLOCK_ELEMENTS if single else 0)   # LAPACK work; float64 blocks of G
    return int(max(w_sample, build, eig) + _OVERHEAD_BYTES)


def check_memory(model, n, dtype="float64", chunk=None, copies=1, available=None):
    """Raise :class:`MomentckError` when ``copies`` concurrent replicates would not fit.

    ``available`` defaults to :func:`available_memory`.  Returns the estimate
    of one replicate (bytes).
    """
    need = memory_estimate(model, n, dtype, chunk)
    avail = available_memory() if available is None else available
    if need * copies > avail:
        what = (f"one replicate at n = {n} ({dtype}) needs about {_gib(need):.2f} GiB" if copies == 1
                else f"{copies} concurrent replicates at n = {n} ({dtype}) need about "
                     f"{_gib(need * copies):.2f} GiB ({_gib(need):.2f} GiB each)")
        hints = []
        if copies > 1:
            hints.append(f"fewer workers (at most {int(avail // need)} fit)" if avail >= need
                         else "fewer workers")
        if dtype == "float64":
            f32 = _gib(memory_estimate(model, n, "float32", chunk))
            hints.append(f"float32 (dtype='float32', --dtype float32: about {f32:.2f} GiB"
                         + (" each)" if copies > 1 else ")"))
        hints.append("a smaller n")
        raise MomentckError(f"not enough memory: {what}, but only {_gib(avail):.2f} GiB is available; "
                            f"refusing to run rather than swap. Use {', or '.join(hints)}")
    return need


# ---------------------------------------------------------------------------
# Many replicates
# ---------------------------------------------------------------------------

#: memory kept per replicate besides its moments (its SeedSequence and bookkeeping), measured ~380 bytes
_PER_REPLICATE_BYTES = 512


def _check_results(n, k, reps, eigenvalues, available):
    """Bytes the results of a run keep in this process; refuse a run whose results do not fit."""
    need = reps * (_PER_REPLICATE_BYTES + 8 * k + (8 * n if eigenvalues else 0))
    if need > available // 2:
        raise MomentckError(
            f"not enough memory: the results of reps = {reps} replicates ({k} moments"
            + (f" and {n} eigenvalues" if eigenvalues else "") + f" each) need about {_gib(need):.2f} GiB, "
            f"more than half of the {_gib(available):.2f} GiB available; use fewer replicates"
            + (" or no eigenvalues" if eigenvalues else "") + " (several runs with other seeds add up)")
    return need


def _lost_message(exc, reps, finished, checkpoint, store):
    """One line: why the run stopped, what was kept and how to go on."""
    if store is not None:
        saved = len(store)
        return (f"{exc}: {saved} of {reps} replicates are saved in {checkpoint}; "
                "run the same command again to resume from them")
    return (f"{exc}: {finished} of {reps} replicates were finished but not saved; "
            "use checkpoint=FILE (--checkpoint FILE) to keep finished replicates and resume")


def _show_progress(progress):
    if progress is None:
        try:
            return sys.stderr.isatty()
        except (AttributeError, ValueError):
            return False
    if not isinstance(progress, bool):
        raise MomentckError(f"progress must be True, False or None, got {progress!r}")
    return progress


def simulate(model, n, k, reps=1, seed=0, eigenvalues=False, progress=None, chunk=None,
             dtype="float64", scheduler=None, workers=None, checkpoint=None):
    """Monte Carlo estimate of ``E[(1/n) tr M^j]``, ``j = 1..k``, at finite size.

    Parameters
    ----------
    model : Model
        Numeric parameters only, and an input law that can be sampled.
    n : int
        Width; ``d = round(psi n)``, ``m = round(psi n / phi)`` (:meth:`Model.sizes`).
    k : int
        Number of moments, ``k >= 1``.
    reps : int
        Independent replicates, ``reps >= 1``.
    seed : int
        Non-negative; replicate ``i`` uses ``SeedSequence(seed).spawn(reps)[i]``.
    eigenvalues : bool
        Keep each replicate's eigenvalues of M.
    progress : bool or None
        Progress bar over replicates (tqdm, on stderr); None: only when stderr is a terminal.
    chunk : int, optional
        Samples per block when building Y (memory/speed trade-off; results do not depend on it).
    dtype : {"float64", "float32"}
        Precision of the matrices: float32 about halves the memory; its moments agree
        with float64 at the same seed to 1e-5 relative or better (module notes).
    scheduler : None, "processes", str or distributed.Client
        None (default): replicates run on this machine, on up to one process per
        CPU (in this process when they are small), one BLAS thread each
        (:mod:`momentck.parallel`).  Otherwise they are mapped over Dask workers (:mod:`momentck.distributed`,
        ``pip install 'momentck[distributed]'``): ``"processes"`` starts a local
        cluster of ``workers`` processes; any other string is the address of a
        running Dask scheduler; a ``distributed.Client`` is used as it is.
        Results do not depend on the scheduler or the number of workers (one BLAS
        thread each), except for a lone replicate with ``min(n, m) >= 4000`` on
        this machine (all BLAS threads; equal to rounding).
    workers : int, optional
        With ``scheduler="processes"``: number of worker processes (default: the
        CPU count, fewer when memory would not hold them all).
    checkpoint : str or path, optional
        An ``.npz`` file: every finished replicate is saved to it at once
        (atomically), and a run started again with the same file skips the
        replicates already there, so an interrupted run loses at most the
        replicates in flight.  A file written for other parameters (model, n,
        k, reps, seed, dtype, eigenvalues) is refused.

    Returns
    -------
    SimulationResult

    Raises
    ------
    MomentckError
        For bad parameters: the message names the parameter and what is allowed;
        and, before any work, when one replicate (or the concurrent ones, or the
        results of all replicates) would not fit in the available memory (the
        message gives :func:`memory_estimate` in GiB).
    WorkersLost
        When worker processes keep dying; the message says how many replicates
        were saved (``checkpoint=``) and how to resume.

    Examples
    --------
    >>> model = Model("sparse(c=2, entries=rademacher)", "rademacher", "tanh", phi=1, psi=1)
    >>> res = simulate(model, 300, 2, reps=3, seed=1)
    >>> res.per_replicate.shape, (res.n, res.d, res.m)
    ((3, 2), (300, 300, 300))
    >>> bool(abs(res.moments[0] - 0.4969) < 5 * res.stderr[0])
    True
    """
    model = _check_model(model)
    n, d, m = sizes_for(model, n)
    k = _check_int(k, "k", 1)
    reps = _check_int(reps, "reps", 1)
    seed = _check_int(seed, "seed", 0)
    if chunk is not None:
        chunk = _check_int(chunk, "chunk", 1)
    if not isinstance(eigenvalues, bool):
        raise MomentckError(f"eigenvalues must be True or False, got {eigenvalues!r}")
    dtype = _check_dtype(dtype)
    if workers is not None:
        workers = _check_int(workers, "workers", 1)
        if scheduler != "processes":
            raise MomentckError(f"workers= goes with scheduler='processes', got scheduler={scheduler!r}")
    show = _show_progress(progress)
    total = available_memory()
    avail = total - _check_results(n, k, reps, eigenvalues, total)
    memory = _Memory(memory_estimate(model, n, dtype, chunk),
                     functools.partial(check_memory, model, n, dtype, chunk),
                     f"one replicate at n = {n} ({dtype})", ", dtype='float32'" if dtype == "float64" else "")

    streams = np.random.SeedSequence(seed).spawn(reps)
    per = np.empty((reps, k))
    found = [None] * reps if eigenvalues else None
    store = None
    if checkpoint is not None:
        from .checkpoint import Checkpoint
        params = {"model": model.to_dict(), "n": n, "k": k, "reps": reps, "seed": seed,
                  "dtype": dtype, "eigenvalues": eigenvalues}
        store = Checkpoint(checkpoint, params)
        for i, row, ev in store.items():
            per[i] = row
            if eigenvalues:
                found[i] = ev
    todo = [i for i in range(reps) if store is None or i not in store]

    finished = []

    def record(i, row, ev):
        finished.append(i)
        per[i] = row
        if eigenvalues:
            found[i] = ev
        if store is not None:
            store.record(i, row, ev)

    task = functools.partial(simulate_replicate, model, n, k, eigenvalues=eigenvalues, chunk=chunk,
                             dtype=dtype)
    try:
        run_replicates(task, streams, todo, record, memory=memory, available=avail, scheduler=scheduler,
                       workers=workers, sizes=(n, m), progress=show, desc=f"simulate n={n}")
    except WorkersLost as exc:
        raise WorkersLost(_lost_message(exc, reps, len(finished), checkpoint, store)) from exc

    eigs = None
    if eigenvalues:
        eigs = []
        for ev in found:
            ev.setflags(write=False)
            eigs.append(ev)
    moments = per.mean(axis=0)
    _check_finite(moments, dtype)
    if reps > 1:
        stderr = per.std(axis=0, ddof=1) / math.sqrt(reps)
    else:
        stderr = np.full(k, np.nan)
    for a in (moments, stderr, per):
        a.setflags(write=False)
    return SimulationResult(moments=moments, stderr=stderr, per_replicate=per, n=n, d=d, m=m,
                            reps=reps, seed=seed, model=model.to_dict(), eigenvalues=eigs,
                            dtype=dtype)
