"""Tanh–sinh quadrature nodes on (0, 1), shared by the numeric weight modules."""

import numpy as np
from scipy.special import expit

__all__ = ["tanh_sinh"]


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
