"""Weights of alpha-stable models with f = erf(beta x) and normal inputs (MATH.md §4, numeric).

Given W, the pre-activations of one factor are jointly Gaussian, and with
``b = 2 beta^2`` (MATH.md §4)

    K(a, b) = (2/pi) arcsin( b w_a w_b / sqrt((1 + b s_a)(1 + b s_b)) ),
    K(a, a) = (2/pi) arcsin( b s_a / (1 + b s_a) ),

where ``s_a = sum_e w_{a,e}^2 + S_a`` is the squared norm of row a (its incidence
weights in the shape plus the rest ``S_a``, positive (alpha/2)-stable with
``E exp(-t S) = exp(-C_alpha t^(alpha/2))``).

**Change of variables.**  For a row in ``B`` blocks put ``u_e = sqrt(b) w_e / sqrt(1 + b s_a)``
(one per incidence) and ``q = 1/(1 + b S_a)``.  Then every off-diagonal factor is
``(2/pi) arcsin(u_{a,e} u_{b,e})`` and every diagonal one is
``(2/pi) arcsin(1 - (1 - U_a) q_a)``, ``U_a = sum_e u_{a,e}^2``, and because the Lévy
measure ``nu(dw) = c_alpha |w|^(-1-alpha) dw`` is scale invariant, the row's measure
factorises (restricted to positive weights, the integrand being even in each):

    (2 c_alpha)^B b^(B alpha/2) (1 - U)^(B alpha/2 - 1) prod_e u_e^(-1-alpha) du_e
      x  q^(B alpha/2) P(dq).

So the rows interact only through ``arcsin(u u')`` and the rest ``S_a`` only through a
one-dimensional law.  That law is integrated with Kanter's representation
``S = C_alpha^(2/alpha) (A(phi)/E)^((1-a)/a)``, ``a = alpha/2``, ``phi ~ U(0, pi)``,
``E ~ Exp(1)`` (in log-scale for alpha < 1, where S spreads over hundreds of decades);
the ``u`` integrals with tanh–sinh rules adapted to the endpoint powers (which tend to
-1 as alpha -> 2); the whole weight is a tensor contraction (``numpy.einsum``) over
the rows' nodes, like a graph homomorphism sum.  Everything is float64: the error
estimate is the difference between two resolutions (measured 1e-13 to 1e-10 relative
for alpha in [0.1, 1.99] and beta in [0.1, 10]).  Rows in more than two blocks (walks
longer than 5) are not implemented.

References
----------
M. Kanter, "Stable densities under change of scale and total variation inequalities",
Ann. Probab. 3 (1975) 697–707 (the representation of positive stable laws).
"""

from math import log

import mpmath
import numpy as np
import sympy
from scipy.special import expit

from ..errors import NotCovered
from ..laws import Normal, Stable
from .base import WeightMethod, law_is, named
from .quadrature import tanh_sinh

__all__ = ["StableErfWeights"]


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


def _diagonal_factor(z):
    """``(2/pi) arcsin(1 - z)`` as ``1 - (4/pi) arcsin(sqrt(z/2))``, accurate for small z."""
    return 1 - 4 / np.pi * np.arcsin(np.sqrt(z / 2))


def _significant(w, rel=1e-18):
    """Mask of the nodes to keep: the dropped ones carry at most ``rel`` of the total weight.

    Every factor of the integrand is at most 1 in absolute value, so dropping them
    changes a weight by at most ``rel`` times the product of the rows' masses.
    """
    order = np.argsort(w)
    dropped = np.cumsum(w[order]) <= rel * w.sum()
    keep = np.ones(w.shape, bool)
    keep[order[dropped]] = False
    return keep


class StableErfWeights(WeightMethod):
    """Weights of a model with stable(alpha) weights, normal inputs and erf(beta x).

    Float64 whatever ``digits`` asks; ``level`` (class attribute) sets the finer of the
    two resolutions compared.
    """

    name = "stable-erf"
    weights = law_is(Stable, "stable")
    inputs = law_is(Normal, "normal")
    activation = named("erf")
    accuracy = "float64 quadrature, 1e-13 to 1e-10 relative"
    cost = 0.8
    level = 4

    @classmethod
    def max_k(cls, model):
        """Rows in at most two blocks: walks up to 5."""
        return 5

    def _setup(self):
        model = self.model
        self.alpha = float(sympy.N(model.weights.alpha, 20))
        self.c = float(sympy.N(model.weights.c_alpha, 20))
        self.C = float(sympy.N(model.weights.C_alpha, 20))
        self.b = 2 * float(sympy.N(model.activation.scale, 20)) ** 2
        self._memo = {}

    # -- the law of q = 1/(1 + b S) ----------------------------------------------
    def q_rule(self, level):
        """Nodes ``q``, ``1 - q`` and probabilities of the law of q = 1/(1 + b S).

        Kanter: ``log S = l0 + kappa (log A(phi) - y)``, ``kappa = (1 - a)/a``,
        ``a = alpha/2``, ``phi ~ U(0, pi)``, ``e^y ~ Exp(1)`` (density ``exp(y - e^y)``).
        For ``kappa <= 1`` (alpha >= 1) q varies slowly in (phi, y): a tanh-sinh rule in
        phi times a trapezoid rule in y.  For ``kappa > 1`` it would vary on the scale
        1/kappa, so the rule is built for ``t = (log S - l0)/kappa`` instead, whose
        density ``p(t) = (1/pi) int_0^pi exp(y - e^y) dphi`` (``y = log A(phi) - t``) is
        smooth on the scale 1: a trapezoid rule in t with step shrunk by kappa.
        """
        key = ("q", level)
        if key not in self._memo:
            a = self.alpha / 2
            kappa = (1 - a) / a
            x, xc, logw = tanh_sinh(2.0 ** -level)
            phi = np.pi * x
            sin_phi = np.sin(np.pi * np.minimum(x, xc))
            logA = (np.log(np.sin(a * phi)) - np.log(sin_phi)) / (1 - a) \
                + np.log(np.sin((1 - a) * phi)) - np.log(np.sin(a * phi))
            l0 = log(self.b) + log(self.C) / a  # log(b S) = l0 + kappa t
            if kappa <= 1:
                hy = 2.0 ** -(level - 1)
                y = np.arange(-42.0, 6.7, hy)
                logwy = np.log(hy) + y - np.exp(y)
                logbS = (l0 + kappa * (logA[:, None] - y[None, :])).ravel()
                w = np.exp((logw[:, None] + logwy[None, :]).ravel())
            else:
                ht = 2.0 ** -(level - 1) / kappa
                t = np.arange(logA.min() - 6.7, logA.min() + 42.0 / (1 - a), ht)
                p, wphi = np.zeros(t.shape), np.exp(logw)
                with np.errstate(over="ignore"):
                    for i in range(0, len(t), 256):
                        y = logA[None, :] - t[i:i + 256, None]
                        p[i:i + 256] = np.exp(y - np.exp(y)) @ wphi
                w, logbS = p * ht, l0 + kappa * t
            keep = _significant(w)
            self._memo[key] = (expit(-logbS[keep]), expit(logbS[keep]), w[keep])
        return self._memo[key]

    # -- the incidence variables of a row in B blocks --------------------------------
    def u_rule(self, level, powers):
        """Nodes of a row with len(powers) blocks: (list of u_e arrays, 1 - U, weights).

        ``powers[e]`` is the number of off-diagonal factors through incidence e; the
        factor ``u_e^powers[e]`` is absorbed into the weights (the off-diagonal
        factors are then ``arcsin(u u')/(u u')``).  The endpoint powers are absorbed
        by :func:`jacobi_tanh_sinh`, so alpha close to 2 (powers close to -1) is safe.
        """
        key = ("u", level, powers)
        if key in self._memo:
            return self._memo[key]
        B, al = len(powers), self.alpha
        h = 2.0 ** -(level + 1 if B == 1 else level)  # one level finer where it is cheap
        const = B * log(2 * self.c) + B * al / 2 * log(self.b)
        if B == 1:
            (m,) = powers
            # weight u^(m-1-alpha) (1 - u)^(alpha/2-1) (1 + u)^(alpha/2-1); 1 - U = (1 - u)(1 + u)
            x, xc, lw = jacobi_tanh_sinh(m - 1 - al, al / 2 - 1, h)
            lw = const + lw + (al / 2 - 1) * np.log1p(x)
            w = np.exp(lw)
            keep = _significant(w)
            out = ([x[keep]], (xc * (1 + x))[keep], w[keep])
        elif B == 2:
            m1, m2 = powers
            # y_e = u_e^2 = T s, T (1 - s): dy1 dy2 = T dT ds, du_e = dy_e / (2 u_e)
            T, Tc, lT = jacobi_tanh_sinh((m1 + m2) / 2 - 1 - al, al - 1, h)
            s, sc, ls = jacobi_tanh_sinh(m1 / 2 - 1 - al / 2, m2 / 2 - 1 - al / 2, h)
            lw = const - 2 * log(2) + lT[:, None] + ls[None, :]
            w = np.exp(lw).ravel()
            keep = _significant(w)
            u1 = np.sqrt(T[:, None] * s[None, :]).ravel()[keep]
            u2 = np.sqrt(T[:, None] * sc[None, :]).ravel()[keep]
            out = ([u1, u2], np.broadcast_to(Tc[:, None], lw.shape).ravel()[keep], w[keep])
        else:
            raise NotCovered("stable weights with erf: rows in more than two blocks "
                                "(walks longer than 5) are not implemented")
        self._memo[key] = out
        return out

    def _diag(self, level, one_minus_U, d, tilt):
        """E_q[q^tilt D(1 - (1 - U) q)^d] at each node, D(z) = (2/pi) arcsin z."""
        q, _, w = self.q_rule(level + 1)
        wq = w * q ** tilt
        if d == 0:
            return np.full(one_minus_U.shape, wq.sum())
        values, inverse = np.unique(one_minus_U, return_inverse=True)
        out = np.empty(values.shape)
        for i in range(0, len(values), 16):
            out[i:i + 16] = _diagonal_factor(values[i:i + 16, None] * q[None, :]) ** d @ wq
        return out[inverse.ravel()]

    # -- a shape ------------------------------------------------------------------
    def _contract(self, shape, rows, through, level):
        if not shape.blocks:  # a single row: E D(S)^d, untilted
            return float(self._diag(level, np.ones(1), shape.diag[0], 0)[0])
        blocks_of = [[j for j, blk in enumerate(shape.blocks) if a in blk] for a in range(shape.rows)]
        nodes, operands, subs = {}, [], []
        letters = "abcdefghijklmnopqrstuvwxyz"
        for a in range(shape.rows):
            powers = tuple(through[(a, j)] for j in blocks_of[a])
            us, one_minus_U, w = self.u_rule(level, powers)
            nodes[a] = dict(zip(blocks_of[a], us))
            key = ("row", level, powers, shape.diag[a])
            if key not in self._memo:
                self._memo[key] = w * self._diag(level, one_minus_U, shape.diag[a],
                                                 self.alpha / 2 * len(powers))
            r = self._memo[key]
            operands.append(r)
            subs.append(letters[a])
        for (a, b), m in shape.pairs:
            j = shape.pair_blocks[(a, b)]
            z = np.multiply.outer(nodes[a][j], nodes[b][j])
            with np.errstate(invalid="ignore", divide="ignore"):
                asinc = np.where(z > 1e-8, np.arcsin(z) / np.where(z > 1e-8, z, 1), 1 + z * z / 6)
            operands.append((2 / np.pi * asinc) ** m)
            subs.append(letters[a] + letters[b])
        return float(np.einsum(",".join(subs) + "->", *operands, optimize=True))

    def _weight(self, shape, rows, through):
        """Weight and error estimate (the change between two resolutions) as mpmath numbers."""
        fine = self._contract(shape, rows, through, self.level)
        coarse = self._contract(shape, rows, through, self.level - 1)
        err = abs(fine - coarse) + 1e-13 * abs(fine)
        return mpmath.mpf(fine), mpmath.mpf(err)


