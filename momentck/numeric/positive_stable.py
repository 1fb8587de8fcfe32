"""The law of a row's rest: the positive (alpha/2)-stable law of a squared row norm (MATH.md §4, numeric).

The weights of a row of ``W`` outside the incidences a shape names form a Poisson point process of
intensity ``nu(dw) = c_alpha |w|^(-1-alpha) dw``; their squared norm ``S`` is positive (alpha/2)-stable,
``E exp(-t S) = exp(-C_alpha t^(alpha/2))``.  Kanter's representation with ``a = alpha/2``,

    S = C_alpha^(1/a) (A(phi)/E)^kappa,    kappa = (1 - a)/a,
    A(phi) = (sin(a phi)/sin(phi))^(1/(1 - a)) sin((1 - a) phi)/sin(a phi),

``phi ~ U(0, pi)``, ``E ~ Exp(1)``, gives ``log S = log C_alpha / a + kappa t`` where ``t = log E^-1 + log A``
has the density

    p(t) = (1/pi) int_0^pi exp(y - e^y) d phi,    y = log A(phi) - t,

analytic in the strip ``|Im t| < pi/2`` (``e^y`` turns by ``Im t``), so the trapezoid rule in t converges
like ``exp(-pi^2/h)``; the phi integral is a tanh–sinh rule.  Its right tail (large S) is ``~e^(-a kappa t)``
(``P(S > s) ~ s^(-a)``), its left tail double-exponential.

References
----------
M. Kanter, "Stable densities under change of scale and total variation inequalities",
Ann. Probab. 3 (1975) 697–707.

Examples
--------
The rule integrates the Laplace transform:

>>> import numpy as np
>>> from math import gamma, pi, sin
>>> alpha = 1.5
>>> c = gamma(1 + alpha) * sin(pi * alpha / 2) / pi
>>> C = c * 2 / (alpha / 2) * gamma(1 - alpha / 2)
>>> logS, w = log_rule(alpha, C, 1 / 4)
>>> bool(abs(w @ np.exp(-2.0 * np.exp(logS)) - np.exp(-C * 2.0 ** (alpha / 2))) < 1e-12)
True
"""

from math import log

import numpy as np

from .quadrature import tanh_sinh

__all__ = ["log_rule", "kanter_log_a"]


def kanter_log_a(a, phi_step):
    """``(log A(phi), weights)`` at the nodes of a tanh–sinh rule in ``phi / pi`` on (0, 1) (weights sum to 1)."""
    x, xc, logw = tanh_sinh(phi_step)
    phi = np.pi * x
    sin_phi = np.sin(np.pi * np.minimum(x, xc))
    logA = (np.log(np.sin(a * phi)) - np.log(sin_phi)) / (1 - a) \
        + np.log(np.sin((1 - a) * phi)) - np.log(np.sin(a * phi))
    return logA, np.exp(logw)


def log_rule(alpha, C, t_step, phi_step=1 / 32, rel=1e-18):
    """``(log S, weights)``: the trapezoid rule in t of step ``t_step`` for the law of S above (``C`` =
    ``C_alpha``), its nodes carrying together less than ``rel`` of the mass dropped.

    The t range runs from ``min log A - 6.7`` (below it ``p < e^-800``) to ``min log A + 42/(1 - a)``
    (the tail beyond carries ``< e^-42``)."""
    a = alpha / 2
    kappa = (1 - a) / a
    logA, wphi = kanter_log_a(a, phi_step)
    t = np.arange(logA.min() - 6.7, logA.min() + 42.0 / (1 - a), t_step)
    p = np.zeros(t.shape)
    with np.errstate(over="ignore"):
        for i in range(0, len(t), 256):
            y = logA[None, :] - t[i:i + 256, None]
            p[i:i + 256] = np.exp(y - np.exp(y)) @ wphi
    w = p * t_step
    keep = significant(w, rel)
    return log(C) / a + kappa * t[keep], w[keep]


def significant(w, rel=1e-18):
    """Mask of the nodes to keep: the dropped ones carry at most ``rel`` of the total (positive) weight."""
    order = np.argsort(w)
    dropped = np.cumsum(w[order]) <= rel * w.sum()
    keep = np.ones(w.shape, bool)
    keep[order[dropped]] = False
    return keep
