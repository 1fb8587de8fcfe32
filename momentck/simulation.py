"""Monte Carlo ground truth: finite-size trace moments of ``M = Y Y^T / m``.

One replicate samples the finite-size laws of MATH.md §1 — W (n×d, dense or
scipy.sparse CSR), X (d×m), ``Y = f(W X)`` (n×m) — and returns
``(1/n) tr M^j`` for ``j = 1..k``.  :func:`simulate` averages replicates and
reports standard errors.

Cost and memory
---------------
* Y is built block by block of samples (columns of Y); only one block of X and
  of ``W X`` exists at a time, so memory stays near the size of Y (plus W when
  it is dense).  Sparse W multiplies through scipy.sparse.
* The trace powers use the cheapest exact route, on the smaller Gram matrix
  ``G`` (``Y Y^T``, n×n, when ``n <= m``, else ``Y^T Y``, m×m; both have the same
  nonzero eigenvalues): one BLAS ``syrk`` forms G; ``tr M = tr G / m`` and
  ``tr M^2 = ||G||_F^2 / m^2``; for ``j >= 3`` (or when eigenvalues are asked
  for) one symmetric eigendecomposition (eigenvalues only) of G.

Reproducibility
---------------
Replicate ``i`` uses its own stream ``np.random.SeedSequence(seed).spawn(reps)[i]``,
so results depend neither on the order nor on how replicates are spread over
processes (:func:`simulate_replicate` is the unit of work to map), nor on the
block size ``chunk``: X is drawn sample by sample (column by column) in the
same order whatever the blocking.
"""

import math
import sys
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
from scipy.linalg.blas import ddot, dgemm, dsyrk

from .activations import Named
from .errors import MomentckError
from .laws import MomentInputs, Sparse
from .model import Model

__all__ = ["SimulationResult", "simulate", "simulate_replicate", "sizes_for"]

#: elements per block of X (and of W X): 2^22 doubles = 32 MiB
_BLOCK_ELEMENTS = 1 << 22


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
            "model": dict(self.model),
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

def _check_int(value, what, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise MomentckError(f"{what} must be an integer >= {minimum}, got {value!r}")
    return int(value)


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


def _build_yt(model, n, d, m, rng, chunk):
    """Sample W and X and return ``Z = Y^T`` (m×n, C order, so Y = Z.T is Fortran order)."""
    act = model.activation
    w = model.weights.sample(n, d, rng)
    sparse = not isinstance(w, np.ndarray)
    wt = w.T                       # d×n: CSC for sparse, a Fortran view for dense
    if chunk is None:
        chunk = max(1, _BLOCK_ELEMENTS // max(n, d))
    z = np.empty((m, n))
    for s in range(0, m, chunk):
        e = min(m, s + chunk)
        # Row j of xt is the j-th column of X: drawing xt row by row keeps the stream
        # independent of the block size.
        xt = model.inputs.sample((e - s, d), rng)
        block = z[s:e]
        if sparse:
            block[...] = (w @ xt.T).T   # (n×d sparse) @ (d×c) -> n×c; W X touches nnz(W) entries
        else:
            # block.T (n×c, Fortran order) <- W X_block, written in place by BLAS
            out = dgemm(1.0, wt, xt.T, beta=0.0, c=block.T, trans_a=1, overwrite_c=1)
            if not np.shares_memory(out, block):     # pragma: no cover - block.T is Fortran order
                block[...] = out.T
        _apply_activation(act, block)
    return z


def _gram(z):
    """The smaller Gram matrix of ``Y = z.T`` (lower triangle, Fortran order, upper part 0)."""
    m, n = z.shape
    y = z.T                        # n×m, Fortran-contiguous: no copy for BLAS
    return dsyrk(1.0, y, trans=0 if n <= m else 1, lower=1)


def simulate_replicate(model, n, k, seed_seq, eigenvalues=False, chunk=None):
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

    Returns
    -------
    traces : ndarray, shape (k,)
    eigs : ndarray, shape (n,), or None

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
    if not isinstance(seed_seq, np.random.SeedSequence):
        raise MomentckError(f"seed_seq must be a numpy SeedSequence, got {seed_seq!r}")
    rng = np.random.default_rng(seed_seq)

    z = _build_yt(model, n, d, m, rng, chunk)
    g = _gram(z)
    del z
    size = g.shape[0]              # min(n, m)
    diag = np.diagonal(g).copy()
    flat = g.ravel(order="K")      # a view; the upper triangle is zero
    traces = np.empty(k)
    traces[0] = diag.sum() / m / n
    if k >= 2:
        # scipy's BLAS throughout (syrk, gemm, dot, LAPACK): mixing in numpy's own BLAS
        # leaves its idle threads spinning against scipy's and costs ~40% at n = 2000.
        frob2 = 2.0 * ddot(flat, flat) - float(np.dot(diag, diag))
        traces[1] = frob2 / m ** 2 / n
    eigs = None
    if k >= 3 or eigenvalues:
        lam = scipy.linalg.eigvalsh(g, lower=True, overwrite_a=True, check_finite=False)
        lam /= m
        for j in range(3, k + 1):
            traces[j - 1] = float(np.sum(lam ** j)) / n
        if eigenvalues:
            eigs = lam if size == n else np.concatenate((np.zeros(n - size), lam))
            eigs.sort()
    return traces, eigs


# ---------------------------------------------------------------------------
# Many replicates
# ---------------------------------------------------------------------------

def _show_progress(progress):
    if progress is None:
        try:
            return sys.stderr.isatty()
        except (AttributeError, ValueError):
            return False
    if not isinstance(progress, bool):
        raise MomentckError(f"progress must be True, False or None, got {progress!r}")
    return progress


def simulate(model, n, k, reps=1, seed=0, eigenvalues=False, progress=None, chunk=None):
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

    Returns
    -------
    SimulationResult

    Raises
    ------
    MomentckError
        For bad parameters: the message names the parameter and what is allowed.

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
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise MomentckError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    if chunk is not None:
        chunk = _check_int(chunk, "chunk", 1)
    if not isinstance(eigenvalues, bool):
        raise MomentckError(f"eigenvalues must be True or False, got {eigenvalues!r}")
    show = _show_progress(progress)

    streams = np.random.SeedSequence(seed).spawn(reps)
    per = np.empty((reps, k))
    eigs = [] if eigenvalues else None
    bar = None
    if show:
        from tqdm import tqdm
        bar = tqdm(total=reps, desc=f"simulate n={n}", unit="rep", file=sys.stderr, leave=False)
    try:
        for i, ss in enumerate(streams):
            per[i], ev = simulate_replicate(model, n, k, ss, eigenvalues=eigenvalues, chunk=chunk)
            if eigenvalues:
                ev.setflags(write=False)
                eigs.append(ev)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()

    moments = per.mean(axis=0)
    if reps > 1:
        stderr = per.std(axis=0, ddof=1) / math.sqrt(reps)
    else:
        stderr = np.full(k, np.nan)
    for a in (moments, stderr, per):
        a.setflags(write=False)
    return SimulationResult(moments=moments, stderr=stderr, per_replicate=per, n=n, d=d, m=m,
                            reps=reps, seed=seed, model=model.to_dict(), eigenvalues=eigs)
