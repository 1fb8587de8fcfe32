"""Gaussian factors of an activation on integer variances (MATH.md §4, numeric).

For sparse rademacher entries and normal inputs, given W the pre-activations are
jointly normal: row a has variance ``s_a`` (its degree, an integer) and two
clique-mates share one input with weight ±1.  The oddness of f pulls the sign out,
so every factor is one of

    diag(s)   = E f(sqrt(s) Z)^2,
    off(s, t) = E f(X + R_s) f(X + R_t),     X ~ N(0, 1), R_s ~ N(0, s - 1), R_t ~ N(0, t - 1)

(independent).  Writing ``g_s(x) = E f(x + R_s)`` (``g_1 = f``),
``off(s, t) = E g_s(X) g_t(X)``.  All of these are integrals over the real line of
f on one uniform grid against Gaussian densities, computed with the trapezoid rule,
which converges exponentially for integrands analytic in a strip: the step is set
by the distance of f's nearest complex singularity (its Taylor radius; pi/(2 beta)
for tanh(beta x), 1/beta for atan(beta x)) and by the scale 1/beta.  Float64; the error estimate is the
change between the step h and h/2.
"""

import numpy as np

__all__ = ["GaussianFactorTables"]

_SQRT2PI = np.sqrt(2 * np.pi)


class GaussianFactorTables:
    """``diag[s]`` and ``off[s, t]`` for ``1 <= s, t <= smax`` (index 0 unused), with errors.

    Parameters
    ----------
    f : Activation
        Bounded odd activation (evaluated in float64).
    smax : int
        Largest variance needed.
    """

    def __init__(self, f, smax):
        radius = float(f.radius) if f.radius.is_finite else np.inf
        # f(beta x) varies on the scale 1/beta; a pole at distance r limits the step to ~2 pi r/40
        h = min(0.25, 0.25 / float(f.scale), 2 * np.pi * radius / 40.0)
        (d1, o1), (d2, o2) = self._tables(f, smax, h), self._tables(f, smax, h / 2)
        self.diag, self.off = d2, o2
        self.diag_error = np.abs(d2 - d1) + 1e-15 * np.abs(d2)
        self.off_error = np.abs(o2 - o1) + 1e-15 * np.abs(o2)

    @staticmethod
    def _tables(f, smax, h):
        X = 12.0  # outer range: the standard normal density is below 1e-31 beyond it
        sig = np.sqrt(np.arange(smax + 1, dtype=float))
        reach = X + 12.0 * sig[-1]
        u = np.arange(-np.ceil(reach / h), np.ceil(reach / h) + 1) * h
        F = f(u)
        diag = np.zeros(smax + 1)
        for s in range(1, smax + 1):
            diag[s] = h * np.sum(np.exp(-u * u / (2 * s)) / (_SQRT2PI * sig[s]) * F * F)
        x = u[np.abs(u) <= X]
        g = np.empty((smax + 1, len(x)))
        g[1] = f(x)
        for s in range(2, smax + 1):
            sd = sig[s - 1]
            kernel = np.exp(-((u[None, :] - x[:, None]) / sd) ** 2 / 2) / (_SQRT2PI * sd)
            g[s] = h * kernel @ F
        w = h * np.exp(-x * x / 2) / _SQRT2PI
        off = np.zeros((smax + 1, smax + 1))
        off[1:, 1:] = (g[1:] * w) @ g[1:].T
        return diag, off
