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
``E ~ Exp(1)`` (in log-scale for alpha < 1, where S spreads over hundreds of decades).

**Message passing.**  In ``y_e = u_e^2``, with the powers ``u_e^(m_e)`` of the ``m_e``
off-diagonal factors through incidence e moved into the measure, a row's measure is the
Dirichlet density ``prod_e y_e^(p_e - 1) (1 - U)^(B alpha/2 - 1)``, ``p_e = (m_e - alpha)/2``,
of its incidences and its slack ``1 - U``.  The block tree is rooted at its largest block; a
row is integrated by stick breaking in the order (incidence of its parent block, child blocks,
slack), tanh–sinh rules adapted to each stick's endpoint powers (which tend to -1 as
alpha -> 2), and sends its parent block a *cloud*: one node per parent stick, weighted by
everything below.  A block sends its parent row a function of the parent's ``u`` (the dense
contraction of its other rows' clouds, ``numpy.einsum``), evaluated at the parent's nodes; a
two-row block by its Taylor series in ``u^2`` where ``u <= 1/2``.  The diagonal factors enter
through ``E_q[q^(B alpha/2) D(1 - s q)^d]``, analytic in ``sqrt(s)``, interpolated at
Chebyshev points.  Memory and time are those of one row's nodes (``n^B``, n ~ 200 per stick)
times its children's clouds, never a product over rows.

Everything is float64: the error estimate is the difference between two resolutions
(measured 1e-13 to 1e-10 relative for alpha in [0.1, 1.99] and beta in [0.1, 10] at k <= 5;
rows in three blocks run one level coarser, their estimates 1e-11 to 1e-8 relative, the
values themselves converged to 1e-15).  Rows in four blocks (walks longer than 7) are not
implemented (n^4 nodes).

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

from ..laws import Normal, Stable
from .base import WeightMethod, law_is, named
from .positive_stable import kanter_log_a, log_rule, significant
from .quadrature import jacobi_tanh_sinh

__all__ = ["StableErfWeights"]


def _diagonal_factor(z):
    """``(2/pi) arcsin(1 - z)`` as ``1 - (4/pi) arcsin(sqrt(z/2))``, accurate for small z."""
    return 1 - 4 / np.pi * np.arcsin(np.sqrt(z / 2))


#: Chebyshev nodes of the diagonal-factor tables (MATH.md §4: analytic in sqrt(s) on |s| < 2)
_CHEB = 40
#: entries per chunk of the parent-to-child matrices
_CHUNK = 2_000_000
#: pair-block messages at parent nodes u <= _SERIES_X by _SERIES_TERMS terms of their series
#: (relative error below 4^-30 (pi/2)^6 < 2e-17)
_SERIES_X, _SERIES_TERMS = 0.5, 30
#: level offset of a row's sticks by its number of blocks (cheap rows finer, three-block rows coarser)
_FINER = {1: 1, 2: 0, 3: -1}


def _asinc(z, m=1):
    """``((2/pi) arcsin(z)/z)^m`` for z in [0, 1], the off-diagonal factor with its power ``z^m``
    absorbed in the rows (``arcsin(z) = z`` in float64 below 1e-8, so z is only kept off 0)."""
    z = np.maximum(z, 1e-300)
    out = np.arcsin(z)
    out /= z
    out *= 2 / np.pi
    return out ** m if m > 1 else out


def _asinc_series(m, terms):
    """Taylor coefficients of ``((2/pi) arcsin(z)/z)^m`` in ``z^2``, the first ``terms``."""
    a = np.ones(terms)  # arcsin(z)/z = sum_k (2k)!/(4^k k!^2 (2k+1)) z^(2k)
    for k in range(1, terms):
        a[k] = a[k - 1] * (2 * k - 1) / (2 * k)
    a *= 2 / np.pi / (2 * np.arange(terms) + 1)
    return np.polynomial.polynomial.polypow(a, m, maxpower=terms - 1)[:terms]


def _pair_series(x, u, w, m):
    """``sum_i w_i ((2/pi) arcsin(x u_i)/(x u_i))^m`` at x <= _SERIES_X as a power series in x^2.

    Its coefficients are positive with sum 1 (the value at z = 1), so cutting it after
    _SERIES_TERMS terms errs by at most ``_SERIES_X^(2 terms) sum w`` against a value of at
    least ``(2/pi)^m sum w``.
    """
    c = _asinc_series(m, _SERIES_TERMS)
    moments = np.array([w @ u ** (2 * k) for k in range(_SERIES_TERMS)])
    return np.polynomial.polynomial.polyval(x * x, c * moments)


def _interpolate_in_sqrt(table, s):
    """The interpolant ``(nodes, values, weights)`` of :meth:`StableErfWeights.diag_table` at the
    points s (barycentric formula in ``2 sqrt(s) - 1``, by chunks)."""
    nodes, values, weights = table
    t = 2 * np.sqrt(np.asarray(s, float)) - 1
    out = np.empty(t.shape)
    for i in range(0, len(t), 65536):
        d = t[i:i + 65536, None] - nodes[None, :]
        exact = d == 0
        d[exact] = 1
        k = weights / d
        part = (k @ values) / k.sum(axis=1)
        hit = exact.any(axis=1)
        part[hit] = values[exact.argmax(axis=1)[hit]]
        out[i:i + 65536] = part
    return out


class StableErfWeights(WeightMethod):
    """Weights of a model with stable(alpha) weights, normal inputs and erf(beta x).

    Float64 whatever ``digits`` asks; ``level`` (class attribute) sets the finer of the
    two resolutions compared.
    """

    name = "stable-erf"
    weights = law_is(Stable, "stable")
    inputs = law_is(Normal, "normal")
    activation = named("erf")
    accuracy = "float64 quadrature, 1e-13 to 1e-10 relative (k >= 6: 1e-11 to 1e-8)"
    cost = 0.8
    level = 4

    @classmethod
    def max_k(cls, model):
        """Rows in at most three blocks: walks up to 7."""
        return 7

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
            if kappa <= 1:
                logA, wphi = kanter_log_a(a, 2.0 ** -level)
                l0 = log(self.b) + log(self.C) / a  # log(b S) = l0 + kappa t
                hy = 2.0 ** -(level - 1)
                y = np.arange(-42.0, 6.7, hy)
                wy = hy * np.exp(y - np.exp(y))
                logbS = (l0 + kappa * (logA[:, None] - y[None, :])).ravel()
                w = (wphi[:, None] * wy[None, :]).ravel()
                keep = significant(w)
            else:
                logS, w = log_rule(self.alpha, self.C, 2.0 ** -(level - 1) / kappa, 2.0 ** -level)
                logbS, keep = log(self.b) + logS, np.ones(len(w), bool)
            self._memo[key] = (expit(-logbS[keep]), expit(logbS[keep]), w[keep])
        return self._memo[key]

    # -- the diagonal factors of a row -------------------------------------------------
    def diag_table(self, level, d, tilt):
        """``g(s) = E_q[q^tilt D(1 - s q)^d]`` (D(z) = (2/pi) arcsin z) tabulated for s in [0, 1].

        ``D(1 - s q) = 1 - (4/pi) arcsin(r sqrt(q/2))``, ``r = sqrt(s)``, so g is analytic in r on
        ``|r| < sqrt(2)``, and its interpolant at _CHEB Chebyshev points in r on [0, 1] converges
        like ``(2 sqrt 2 - 1 + sqrt((2 sqrt 2 - 1)^2 - 1))^(-n) = 3.36^(-n)``.  Returns
        ``(nodes 2r - 1, values, barycentric weights)`` for :func:`_interpolate_in_sqrt` (the
        barycentric form keeps the rounding at 1e-16; a Chebyshev series accumulated 1e-14).
        """
        key = ("diag", level, d, tilt)
        if key not in self._memo:
            q, _, w = self.q_rule(level + 1)
            wq = w * q ** tilt
            theta = np.pi * (np.arange(_CHEB) + 0.5) / _CHEB
            r = (1 - np.cos(theta)) / 2
            # pairwise summation (numpy's reduce), not BLAS: its rounding would be interpolated too
            g = (_diagonal_factor(r[:, None] ** 2 * q[None, :]) ** d * wq).sum(axis=1)
            self._memo[key] = (2 * r - 1, g, (-1.0) ** np.arange(_CHEB) * np.sin(theta))
        return self._memo[key]

    # -- a shape: messages along the block tree ---------------------------------------
    def _row_cloud(self, tree, a, parent, level):
        """Row a seen from its parent block: nodes ``u_{a,parent}`` and the weights left after
        integrating every other variable of the row and the subtrees below it.

        The row's measure in ``y_e = u_e^2`` is Dirichlet: ``prod_e y_e^(p_e - 1) (1 - U)^(B alpha/2 - 1)``,
        ``p_e = (m_e - alpha)/2`` (the off-diagonal powers ``u_e^(m_e)`` absorbed), integrated by
        stick breaking with the parent's incidence first (so the cloud has one node per stick),
        then the child blocks, then the slack ``1 - U``.
        """
        shape, through, blocks_of = tree
        key = ("row", level, self._subtree_key(tree, a, parent))
        if key in self._memo:
            return self._memo[key]
        children = [j for j in blocks_of[a] if j != parent]
        B, al = len(blocks_of[a]), self.alpha
        exps = [(through[(a, j)] - al) / 2 for j in [parent] + children] + [B * al / 2]
        h = 2.0 ** -(level + _FINER.get(B, 0))
        v, vc, lw = jacobi_tanh_sinh(exps[0] - 1, sum(exps[1:]) - 1, h)
        w = np.exp(lw)
        keep = significant(w)
        x, rest, w = np.sqrt(v[keep]), vc[keep], w[keep]
        top = np.arange(len(x))
        for i, j in enumerate(children, 1):
            v, vc, lw = jacobi_tanh_sinh(exps[i] - 1, sum(exps[i + 1:]) - 1, h)
            sel = significant(np.exp(lw))
            v, vc, lw = v[sel], vc[sel], lw[sel]
            y = np.multiply.outer(rest, v).ravel()
            rest = np.multiply.outer(rest, vc).ravel()
            w = (w[:, None] * np.exp(lw)[None, :]).ravel()
            top = np.repeat(top, len(v))
            w = w * self._block_message(tree, j, a, np.sqrt(y), level)
            keep = significant(w)
            rest, w, top = rest[keep], w[keep], top[keep]
        w = w * _interpolate_in_sqrt(self.diag_table(level, shape.diag[a], B * al / 2), rest)
        const = B * log(self.c) + B * al / 2 * log(self.b)  # (2c)^B, and 2^-B from du = dy/(2u)
        out = (x, np.bincount(top, weights=w, minlength=len(x)) * np.exp(const))
        self._memo[key] = out
        return out

    def _subtree_key(self, tree, a, parent):
        """A key of row a's subtree below ``parent`` (labelled, so equal keys give equal clouds)."""
        shape, through, blocks_of = tree
        below = []
        for j in blocks_of[a]:
            if j == parent:
                continue
            others = [b for b in shape.blocks[j] if b != a]
            pairs = tuple(sorted((tuple(sorted((([a] + others).index(p), ([a] + others).index(q)))), m)
                                 for (p, q), m in shape.pairs if p in shape.blocks[j] and q in shape.blocks[j]))
            below.append((pairs, tuple(self._subtree_key(tree, b, j) for b in others)))
        return (shape.diag[a], through[(a, parent)], tuple(sorted(below)))

    def _block_message(self, tree, j, parent, X, level):
        """Block j with its subtrees integrated: a function of the parent's ``u`` at the points X
        (a number when ``parent`` is None, the root block)."""
        shape, _, _ = tree
        others = [b for b in shape.blocks[j] if b != parent]
        clouds = {b: self._row_cloud(tree, b, j, level) for b in others}
        letters = dict(zip(others, "abcdefghijklmnopqrstuvwxy"))
        subs, ops, to_parent = [], [], []
        for b in others:
            subs.append(letters[b])
            ops.append(clouds[b][1])
        for (p, q), m in shape.pairs:
            if p not in shape.blocks[j] or q not in shape.blocks[j]:
                continue
            if parent in (p, q):
                to_parent.append((q if p == parent else p, m))
                continue
            subs.append(letters[p] + letters[q])
            ops.append(_asinc(np.multiply.outer(clouds[p][0], clouds[q][0]), m))
        if parent is None:
            return float(np.einsum(",".join(subs) + "->", *ops, optimize=True))
        spec = ",".join(subs + ["z" + letters[b] for b, _ in to_parent]) + "->z"
        out = np.empty(len(X))
        todo = np.arange(len(X))
        if len(others) == 1:  # a pair block: its Taylor series in x^2 where that converges fast
            (b, m), = to_parent
            small = X <= _SERIES_X
            out[small] = _pair_series(X[small], *clouds[b], m)
            todo = np.flatnonzero(~small)
        size = max(1, _CHUNK // max(len(clouds[b][0]) for b, _ in to_parent))
        for i in range(0, len(todo), size):
            idx = todo[i:i + size]
            mats = [_asinc(np.multiply.outer(X[idx], clouds[b][0]), m) for b, m in to_parent]
            if len(others) == 1:  # one row below: a matrix-vector product
                out[idx] = mats[0] @ ops[0]
            else:
                out[idx] = np.einsum(spec, *ops, *mats, optimize=True)
        return out

    def _contract(self, shape, rows, through, level):
        if not shape.blocks:  # a single row: E D(S)^d, untilted
            return float(_interpolate_in_sqrt(self.diag_table(level, shape.diag[0], 0), np.ones(1))[0])
        blocks_of = [[j for j, blk in enumerate(shape.blocks) if a in blk] for a in range(shape.rows)]
        # the largest block as the root: it is contracted once, the smaller ones become messages
        root = max(range(len(shape.blocks)), key=lambda j: len(shape.blocks[j]))
        return self._block_message((shape, through, blocks_of), root, None, None, level)

    def _weight(self, shape, rows, through):
        """Weight and error estimate (the change between two resolutions) as mpmath numbers."""
        fine = self._contract(shape, rows, through, self.level)
        coarse = self._contract(shape, rows, through, self.level - 1)
        err = abs(fine - coarse) + 1e-13 * abs(fine)
        return mpmath.mpf(fine), mpmath.mpf(err)


