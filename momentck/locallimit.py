"""Monte Carlo on the local limit: unbiased estimates of the kernel moments h_k.

The local limit of the row–column graph of a sparse W is a two-type Poisson
tree (MATH.md §3): a row has Poisson(c) columns with weights drawn from the
entry law, and a column has Poisson(c/psi) *other* rows.  The kernel moment is

    h_k = E[(K^k)_{rho rho}],      K_ab = E_x[f(h_a) f(h_b) | W],

where K_ab vanishes unless a = b or a and b share a column.  A closed walk of
length k from the root stays within floor(k/2) column hops, so this module
samples the tree to that depth and, for every step t, an independent copy
x^{(t)} of the inputs on all sampled columns.  With
``Y_t[a] = f(h_a^{(t)})`` and the mask A of pairs that share a column (or are
equal), the product

    prod_{t=1..k} (A * Y_t Y_t^T)   at (rho, rho)

has expectation (K^k)_{rho rho}: the copies are independent, so the expectation
factorises over steps.  Each step averages ``copies`` independent input copies,
``(A * Y_t Y_t^T) / copies``, an unbiased estimate of K with far smaller variance
than a single copy (for polynomial activations a single copy gives extremely
skewed estimates).  The estimate has no finite-n bias and does not use the
walk enumeration, so it checks the exact engine independently, for any
activation (tanh included) and any input law.

Only sparse weights have a finite local tree; Gaussian and stable weights have
infinitely many small entries per row and are refused.
"""

import math

import numpy as np

from ._blas import blas_threads
from .errors import MomentckError, NotCovered
from .laws import Sparse
from .model import Model
from .validation import check_int

__all__ = ["LocalLimitResult", "local_limit_moments"]


class LocalLimitResult:
    """Estimates of h_1..h_k with standard errors.

    Attributes
    ----------
    kernel : ndarray
        Mean over sampled trees of the estimator of h_j, j = 1..k.
    stderr : ndarray
        Standard errors (standard deviation / sqrt(samples)).
    samples : int
    seed : int
    rows : float
        Mean number of rows in a sampled tree.
    """

    def __init__(self, kernel, stderr, samples, seed, rows):
        self.kernel, self.stderr, self.samples, self.seed, self.rows = kernel, stderr, samples, seed, rows

    def __repr__(self):
        return (f"LocalLimitResult(kernel={self.kernel.tolist()}, stderr={self.stderr.tolist()}, "
                f"samples={self.samples})")


def _sample_tree(model, depth, rng):
    """Rows (each a list of (column, weight)) of the Poisson block tree to ``depth`` hops."""
    c = float(model.weights.c)
    per_col = c / float(model.psi)
    entries = model.weights.entries
    rows = [[]]
    frontier = [(0, None)]            # (row, column it was reached through)
    ncols = 0
    for level in range(depth + 1):
        nxt = []
        for r, via in frontier:
            if via is not None:
                rows[r].append((via[0], via[1]))
            deg = rng.poisson(c)
            ws = entries.sample(deg, rng)
            for w in ws:
                col = ncols
                ncols += 1
                rows[r].append((col, w))
                if level < depth:
                    for _ in range(rng.poisson(per_col)):
                        rows.append([])
                        nxt.append((len(rows) - 1, (col, entries.sample(1, rng)[0])))
        frontier = nxt
    return rows, ncols


def local_limit_moments(model, k, samples=2000, seed=0, copies=256):
    """Unbiased Monte Carlo estimates of h_1..h_k on the local limit of a sparse model.

    Parameters
    ----------
    model : Model
        Sparse weights with numeric c; any input law that can be sampled; any activation.
    k : int
        Largest order.
    samples : int
        Number of independent trees (each with its own input copies).
    seed : int
        Seed of ``numpy.random.default_rng``.
    copies : int
        Independent input copies averaged in each step.

    Returns
    -------
    LocalLimitResult

    Examples
    --------
    >>> m = Model("sparse(c=2, entries=rademacher)", "rademacher", "tanh")
    >>> r = local_limit_moments(m, 2, samples=4000, seed=1)
    >>> bool(abs(r.kernel[0] - 0.4969146756) < 4 * r.stderr[0])
    True
    """
    if not isinstance(model, Model):
        raise MomentckError(f"expected a momentck Model, got {model!r}")
    if not isinstance(model.weights, Sparse):
        raise NotCovered(
            f"the local-limit sampler needs sparse weights (a finite Poisson tree); got {model.weights.spec}")
    if model.free_symbols:
        raise MomentckError("the local-limit sampler needs numeric parameters")
    for what, v, lo in (("k", k, 1), ("samples", samples, 2), ("seed", seed, 0), ("copies", copies, 1)):
        check_int(v, what, lo)
    rng = np.random.default_rng(seed)
    est = np.empty((samples, k))
    with blas_threads(1):        # many small products: BLAS threads would only spin-wait
        sizes = _sample_estimates(model, k, samples, rng, copies, est)
    mean = est.mean(axis=0)
    se = est.std(axis=0, ddof=1) / math.sqrt(samples)
    return LocalLimitResult(mean, se, samples, seed, sizes / samples)


def _sample_estimates(model, k, samples, rng, copies, est):
    """Fill ``est[s, t]`` with tree ``s``'s estimate of ``h_{t+1}``; return the total number of rows."""
    f, inputs = model.activation, model.inputs
    depth = k // 2
    sizes = 0
    for s in range(samples):
        rows, ncols = _sample_tree(model, depth, rng)
        r = len(rows)
        sizes += r
        # incidence matrix (rows x columns) and the mask of pairs sharing a column
        B = np.zeros((r, ncols))
        for a, ents in enumerate(rows):
            for col, w in ents:
                B[a, col] = w
        mask = ((B != 0).astype(float) @ (B != 0).T.astype(float)) > 0
        np.fill_diagonal(mask, True)
        v = np.zeros(r)
        v[0] = 1.0
        for t in range(k):
            Y = f(B @ inputs.sample((ncols, copies), rng))   # independent copies for step t
            v = (mask * (Y @ Y.T)) @ v / copies              # e_rho^T prod_t (A * K_t), K_t symmetric
            est[s, t] = v[0]
    return sizes
