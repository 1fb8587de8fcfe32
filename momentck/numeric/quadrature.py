"""Tanh–sinh quadrature nodes on (0, 1), shared by the numeric weight modules."""

from math import log

import numpy as np
from scipy.special import expit

__all__ = ["tanh_sinh", "jacobi_tanh_sinh"]


def tanh_sinh(h, T=6.2, dtype=np.float64):
    """Tanh–sinh rule on (0, 1) with step h on ``t in [-T, T]``.

    Returns nodes x, their complements 1 - x (accurate near 1) and log weights, in
    ``dtype`` (``numpy.longdouble`` for extended precision); nodes whose weight
    underflows are dropped.
    """
    n = int(round(2 * T / h)) + 1
    t = -dtype(T) + np.arange(n, dtype=dtype) * dtype(h)
    z = dtype(np.pi) * np.sinh(t)
    x, xc = expit(z), expit(-z)
    with np.errstate(divide="ignore"):
        logw = np.log(dtype(h) * dtype(np.pi) * np.cosh(t)) + np.log(x) + np.log(xc)
    keep = np.isfinite(logw) & (x > 0) & (xc > 0)
    return x[keep], xc[keep], logw[keep]


def jacobi_tanh_sinh(p, q, h):
    """Rule for ``int_0^1 x^p (1 - x)^q g(x) dx``, p, q > -1: nodes x, 1 - x, log weights.

    Each half of (0, 1) is integrated by tanh-sinh in v, with ``x = v^r/2`` on the
    left (likewise on the right).  For a power close to -1 (``p + 1 < 1/2``),
    ``r = 1/(p + 1)`` turns it into a constant density: its mass sits at scales no
    float reaches, and is then integrated exactly (nodes may underflow to 0 where g
    is smooth); otherwise r = 1.
    """
    v, vc, lv = tanh_sinh(h)
    logv = np.log(np.where(v < 0.5, v, 1.0)) + np.log1p(-np.where(v < 0.5, 0.0, vc))
    halves = []
    for e, other in ((p + 1, q), (q + 1, p)):
        # y = v^r / 2 is the distance to the endpoint; y^(e-1) dy = (r/2^e) v^(r e - 1) dv
        r = 1 / e if e < 0.5 else 1.0
        y = np.exp(r * logv - log(2))
        halves.append((y, lv + log(r) - e * log(2) + (r * e - 1) * logv + other * np.log1p(-y)))
    (yl, wl), (yr, wr) = halves
    return np.concatenate([yl, 1 - yr]), np.concatenate([1 - yl, yr]), np.concatenate([wl, wr])
