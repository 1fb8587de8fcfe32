"""The Fourier method's expectation over the shared inputs of a block, normal and uniform inputs
(MATH.md §4, numeric: the Fourier method).

Given the inputs the rows are independent and ``w(S) = (-1/4)^P E_shared prod_a R_a``
(:mod:`.fourier`).  For a block of stable weights (``Psi(u) = |u|^alpha``) with D shared inputs
``x`` (one per off-diagonal factor through it), in the positive orthant (each R_a is odd in each
of its shared inputs and each shared input belongs to two rows), write ``x = rho u`` with u on the
facets ``{u_i = 1}`` of the unit cube (``dx = rho^(D-1) d rho dS(u)``):

* a row whose block form has only shared inputs is homogeneous: ``R_a(rho u) = rho^alpha R_a(u)``;
* a row with private inputs y at the block (the inputs of its other factors: a diagonal factor's
  own copy) is not, but only its block factor ``-E_y Psi(rho A + C_y . y)`` (``A = C_x . u``) depends
  on rho, so the radial integral moves inside its frequency integral.  With ``q = sum alpha`` of the
  homogeneous rows, normal inputs (one private direction, ``s = |C_y|``):

      int_0^inf rho^(D-1+q) e^(-rho^2 |u|^2/2) E_Z |rho A + s Z|^alpha d rho
          = |u|^-(D+q+alpha) s^alpha K 2F1(-alpha/2, (D+q)/2; 1/2; -A^2/(s^2 |u|^2)),
      K = 2^((D+q+alpha)/2 - 1) Gamma((alpha+1)/2) Gamma((D+q)/2) / sqrt(pi)

  (``E_Z|b + sZ|^alpha = s^alpha E|Z|^alpha 1F1(-alpha/2; 1/2; -b^2/2s^2)``, then the Laplace
  transform of 1F1); at ``s = 0`` it is ``|A|^alpha 2^((D+q+alpha)/2-1) Gamma((D+q+alpha)/2)``;
* with no private inputs the radial part is closed: normal ``2^((D+P')/2-1) Gamma((D+P')/2) |u|^-(D+P')``,
  ``P' = sum of the degrees``; uniform on ``[-h, h]^D`` (``h = sqrt 3``) ``h^(D+P')/(D+P')`` on the facets.

Blocks at k = 3: the two-row block with a diagonal factor at one row (D = 2, one row with a
private input; u on the edge ``(1, t)``, the edge ``(t, 1)`` being equal by symmetry, tanh–sinh in t) and the
triangle (D = 3, three rows with two shared inputs each and the same R by symmetry; the
integrand is symmetric in the three inputs, so one ordering cone ``u = (1, s, s q)`` in Duffy
coordinates, tanh–sinh in s and q, every row value ``R(1, v)`` batched through one
two-slot frequency rule cut at the kink ``xi_1 = v xi_2``).  Uniform inputs: the triangle as above;
the diagonal row's private input is uniform, so its radial block is ``omega^alpha B(A / omega)``
(:mod:`.uniform_private`), and the angle t moves inside its frequency integral (one t-integral
per simplex node against an interpolant of ``R(1, t)``), leaving a frequency rule with fixed cuts.

Examples
--------
With sin the measures are atoms, and the triangle matches conditioning on the weights:

>>> from momentck import Model
>>> from momentck.numeric.fourier import FourierWeights
>>> from momentck.numeric.stable_sin import StableSinWeights
>>> from momentck.shapes import enumerate_shapes
>>> model = Model("stable(alpha=3/2)", "normal", "sin")
>>> triangle = enumerate_shapes(3)[-1]
>>> (a, _), (b, _) = FourierWeights(model)(triangle), StableSinWeights(model)(triangle)
>>> bool(abs(a - b) < 1e-13)
True
"""

from itertools import product
from math import gamma, pi, sqrt

import numpy as np
from scipy import special

from ..errors import NotCovered
from ..laws import Normal
from .base import memoized
from .frequency_rules import simplex_rule
from .quadrature import tanh_sinh
from .uniform_private import GradedChebyshev, RadialBlock, graded_pieces

__all__ = ["SharedInputs", "sign_options"]

#: (radial, simplex, angular) steps of the two levels; level 0 finer than the rows' own (1/8, 1/5), which
#: left estimates of 2e-8 (measured, erf with stable(7/10), the two-row block: estimate 3e-11, error 1e-12)
_LEVELS = ((1 / 10, 1 / 6, 1 / 5), (1 / 14, 1 / 8, 1 / 7))
#: the triangle's (radial, simplex, angular) steps (two-slot rows: cheap; atan, stable(3/2): estimate 1e-8 at
#: the steps above)
_TRIANGLE = ((1 / 12, 1 / 7, 1 / 6), (1 / 16, 1 / 10, 1 / 8))
#: (radial, simplex) steps of the lone rows' levels (cheap: one uncut cell)
_LONE = ((1 / 14, 1 / 8), (1 / 20, 1 / 12))
_BATCH = 2_000_000            # frequency nodes x row values per vectorised pass
#: the cuts of the diagonal row's rule (coordinates (omega, xi_1, xi_2)), uniform inputs: the kinks of the
#: three-input rest (omega = xi_1 + xi_2, |xi_1 - xi_2|), where the kink |A| = omega of the radial block
#: reaches t = 0 or t = 1 (omega = xi_1, xi_1 + xi_2, |xi_1 - xi_2|), and xi_1 = xi_2 (its kink A = 0 at omega -> 0)
_UNIFORM_CUTS = ((1, -1, 0), (1, -1, -1), (1, -1, 1), (1, 1, -1), (0, 1, -1))
_RGRADING = 24                # dyadic pieces of R(1, t) towards t = 0 (and t = 1 for atoms)


def sign_options(kinds, switched_off=False):
    """``(signs, weight)`` per choice of a row's exponentials: an off-diagonal end ``+-xi`` (weight
    +-1), a diagonal factor's ``+-omega`` merged into ``omega`` with weight -1 (its inputs are private,
    and the inputs symmetric and independent, so the integrand is even in it) and, with
    ``switched_off``, also its option ``c_t = 0`` (sign 0, weight 1); the global sign flip (which leaves
    the integrand unchanged: the rows' off-diagonal ends come in even numbers) is folded in."""
    diagonal = ((0.0, 1.0), (1.0, -1.0)) if switched_off else ((1.0, -1.0),)
    per = [((1.0, 1.0), (-1.0, -1.0)) if k == "o" else diagonal for k in kinds]
    out = []
    for choice in product(*per):
        signs = np.array([s for s, _ in choice])
        first = next((s for s, k in zip(signs, kinds) if k == "o"), 0.0)
        if first < 0:
            continue
        out.append((signs, float(np.prod([w for _, w in choice])) * (2 if first else 1)))
    return out


def _normal_radial_block(alpha, shift):
    """``(A, s) -> int_0^inf r^(shift-1) e^(-r^2/2) E_Z |r A + s Z|^alpha dr`` (vectorised), ``shift = D + q``."""
    K = 2 ** ((shift + alpha) / 2 - 1) * gamma((alpha + 1) / 2) * gamma(shift / 2) / sqrt(pi)
    K0 = 2 ** ((shift + alpha) / 2 - 1) * gamma((shift + alpha) / 2)

    def block(A, s):
        out = K0 * np.abs(A) ** alpha
        pos = s > 0
        out[pos] = s[pos] ** alpha * K * special.hyp2f1(-alpha / 2, shift / 2, 0.5, -(A[pos] / s[pos]) ** 2)
        return out

    return block


class SharedInputs:
    """Mixin of :class:`~momentck.numeric.fourier.FourierWeights`: single-block shapes at k = 3 with
    normal or uniform inputs and stable weights, by the facet coordinates above."""

    def _shared_block(self, shape, rows, scale, level):
        """``(value, size)`` of a single-block shape at k = 3 (two rows with a diagonal factor, or the
        triangle), the scale ``(-1/4)^P`` included."""
        if len(shape.blocks) != 1 or self.exponent.degree is None:
            raise NotCovered("the Fourier method with normal or uniform inputs: single blocks of stable "
                             "weights beyond k = 2")
        kinds = sorted(k for k, _ in rows)
        if kinds == [("d", "o", "o"), ("o", "o")]:
            v, s = self._plane(level) if isinstance(self.model.inputs, Normal) else self._uniform_plane(level)
        elif kinds == [("o", "o")] * 3:
            v, s = self._triangle(level)
        else:
            raise NotCovered("the Fourier method with normal or uniform inputs: only walks up to k = 3")
        return scale * v, abs(scale) * s

    # -- no block: one row of diagonal factors ------------------------------------------------------------
    @memoized
    def _lone_row(self, kinds, level):
        """``(R, int |integrand|)`` of a row without blocks, normal inputs: the rest ``E|Z|^alpha |c|^alpha``
        is smooth away from ``c = 0``, so the frequency rule needs no cuts."""
        if self.measure.atoms is not None:
            F, w = self._atom_rule(kinds)
        else:
            F, w = self._kinked_rule(kinds, [], *_LONE[level])
        total, size = 0.0, 0.0
        for signs, wt in sign_options(kinds, switched_off=True):
            term = wt * w * np.exp(-self.rest(self.exponent, F * signs))
            total += float(term.sum())
            size += float(np.abs(term).sum())
        return total, size

    # -- D = 2: a row (o, o) and a row (d, o, o) ----------------------------------------------------
    @memoized
    def _plane(self, level):
        """``E R_b(x) R_a(x)``: ``x = rho (1, t)``, ``dx = rho d rho dt`` (the edge ``(t, 1)`` gives the
        same, both rows being symmetric in their two off-diagonal ends), tanh–sinh in t."""
        x, xc, logw = tanh_sinh(_LEVELS[level][2], T=3.5)
        R, Rs = self._pair_row_values(x, *_LEVELS[level][:2])
        H, Hs = self._diagonal_row(x, R, Rs, level)
        w = np.exp(logw)
        c = 2 * 4 / (2 * pi)  # two edges, four quadrants, the standard normal density's constant
        return c * float(w @ (R * H)), c * float(w @ (Rs * Hs))

    def _diagonal_row(self, t, R, Rs, level):
        """``(H(t), int |integrand|)`` at each t: the row ``(d, o, o)`` at ``u = (1, t)``, the radial integral
        (weight ``rho^(1+alpha) e^(-rho^2/2)``, the other row's ``rho^alpha`` included) inside its block factor.
        The options without the diagonal frequency are ``sigma``'s mass times the row ``(o, o)`` (R); the
        others have a block factor smooth where ``omega > 0`` (:func:`_normal_radial_block`, ``s = omega``)
        and a smooth rest (normal inputs), so the rule is cut only along ``xi_1 = t xi_2``, through the point
        where the block factor's kink meets ``omega = 0`` (uncut, the two levels differ by 1e-4)."""
        a = self.exponent.degree
        shift = 2 + a
        block = _normal_radial_block(a, shift)
        m = self.measure
        mass = m.mass
        K0 = 2 ** ((shift + a) / 2 - 1) * gamma((shift + a) / 2)
        norm = np.sqrt(1 + t * t)
        H, Hs = mass * K0 * R * norm ** -(shift + a), mass * K0 * Rs * norm ** -(shift + a)
        options = sign_options(("d", "o", "o"))   # the diagonal frequency switched on
        rstep, step, _ = _LEVELS[level]
        for n, (tn, nn) in enumerate(zip(t, norm)):
            if m.atoms is not None:
                F, w = self._atom_rule(("d", "o", "o"))
            else:
                F, w = self._kinked_rule(("d", "o", "o"), [(0.0, 1.0, -tn)], rstep, step)
            # the rest is the same for every sign choice (normal inputs); nodes whose terms are below
            # 1e-22 of the row's scale (|block| is at most ~5 (sum xi)^alpha) are skipped before the hypergeometric
            wr = w * np.exp(-self.rest(self.exponent, F))
            bound = np.abs(wr) * F.sum(axis=1) ** a
            keep = bound > 1e-22 * bound.sum()
            F, wr = F[keep], wr[keep]
            for signs, wt in options:
                C = F * signs
                term = (wt * nn ** -shift) * wr * -block((C[:, 1] + C[:, 2] * tn) / nn, C[:, 0])
                H[n] += float(term.sum())
                Hs[n] += float(np.abs(term).sum())
        return H, Hs

    @memoized
    def _uniform_plane(self, level):
        """``E R_b(x) R_a(x)``, uniform inputs: ``x = rho (1, t)`` on the square (``rho <= h``; the edge ``(t, 1)``
        equal, four quadrants), ``R_b = rho^alpha R(1, t)``.  The options of row a without its diagonal
        frequency are sigma's mass times R; the others carry ``-E_y |rho A + omega y|^alpha``, whose radial
        integral is ``h^(2+2 alpha) omega^alpha B(A / omega)`` (:class:`.uniform_private.RadialBlock`).  The
        t-integral goes inside the frequency integral: ``K_eps(v) = int_0^1 R(1, t) Phi(v_0, v_1 + eps t v_2) dt``
        (``Phi(omega, A) = omega^alpha B(A / omega)``, homogeneous: one value per simplex node), cut where
        ``|A| = v_0``, with R from a graded Chebyshev interpolant; the frequency rule is then cut along fixed
        planes only (:data:`_UNIFORM_CUTS`)."""
        a = self.exponent.degree
        rstep, step, astep = _LEVELS[level]
        # R(1, t) ~ t^min(alpha, 1) at 0; kinked at t = 1 only for atoms (sin: one frequency per end)
        edges = graded_pieces(0.0, 1.0, toward_b=self.measure.atoms is not None, depth=_RGRADING)
        R = GradedChebyshev(edges, np.stack(self._pair_row_values(GradedChebyshev.points(edges), rstep, step), 1))
        x, xc, logw = tanh_sinh(astep, T=3.5)
        wx = np.exp(logw)
        mass_part = self.measure.mass / (2 + 2 * a) * (wx @ R(x) ** 2)
        kinds = ("d", "o", "o")
        if self.measure.atoms is not None:
            F, w = self._atom_rule(kinds)
            r, wr, v, wv = np.ones(1), w, F, np.ones(1)
        else:
            r, wr = self._radial_nodes(3, rstep)
            v, wv = simplex_rule(3, _UNIFORM_CUTS, step)
        block = RadialBlock(a)
        K = [self._t_integrals(block, R, v, eps, x, xc, wx) for eps in (1.0, -1.0)]
        diff, both = K[0][0] - K[1][0], K[0][1] + K[1][1]       # sum_eps wt_eps (-K_eps), wt_eps = -2 eps
        on = np.zeros(2)
        per = max(1, _BATCH // len(r))
        for lo in range(0, len(wv), per):
            F = (r[:, None, None] * v[None, lo:lo + per, :]).reshape(-1, 3)
            w = (wr[:, None] * wv[None, lo:lo + per] * r[:, None] ** a).reshape(-1)
            if self.measure.atoms is None:
                w = w * self._densities(kinds, F)
            w = w * np.exp(-self.rest(self.exponent, F))
            d, b = np.tile(diff[lo:lo + per], len(r)), np.tile(both[lo:lo + per], len(r))
            on += 2 * np.array([w @ d, np.abs(w) @ b])
        c = 2 * sqrt(3) ** (2 * a)          # 8 / (2h)^2 (quadrants, edges, density) times h^(2 + 2 alpha)
        return c * float(mass_part[0] + on[0]), c * float(mass_part[1] + on[1])

    @staticmethod
    def _t_integrals(block, R, v, eps, x, xc, wx):
        """``(K_eps(v), int |R| Phi dt)`` per node ``v = (omega, xi_1, xi_2)`` (R interpolates ``R(1, t)`` and its
        ``int |integrand|``): t by tanh–sinh on the pieces of ``[0, 1]`` between the points where
        ``|v_1 + eps t v_2| = v_0`` (empty pieces skipped)."""
        v0, v1, v2 = v[:, 0:1], v[:, 1:2], v[:, 2:3]
        with np.errstate(divide="ignore", invalid="ignore"):
            cuts = [(v0 - v1) / v2] if eps > 0 else [(v1 - v0) / v2, (v1 + v0) / v2]
        cuts = np.clip(np.nan_to_num(np.concatenate(cuts, axis=1)), 0.0, 1.0)
        pts = np.sort(np.concatenate([np.zeros_like(v0), cuts, np.ones_like(v0)], axis=1), axis=1)
        K, Ks = np.zeros(len(v)), np.zeros(len(v))
        per = max(1, _BATCH // (pts.shape[1] * len(x)))
        for lo in range(0, len(v), per):
            p = pts[lo:lo + per]
            node, piece = np.nonzero(p[:, 1:] > p[:, :-1])
            a, b = p[node, piece][:, None], p[node, piece + 1][:, None]
            t, wt = (a * xc + b * x).reshape(-1), ((b - a) * wx).reshape(-1)
            node = np.repeat(node, len(x))
            g = lo + node
            phi = block.scaled(v0[g, 0], v1[g, 0] + eps * t * v2[g, 0])
            values = R(t) * (wt * phi)[:, None]
            K[lo:lo + per] = np.bincount(node, values[:, 0], minlength=len(p))
            Ks[lo:lo + per] = np.bincount(node, values[:, 1], minlength=len(p))
        return K, Ks

    # -- D = 3: the triangle ---------------------------------------------------------------------------
    @memoized
    def _triangle(self, level):
        """``E R(x1, x2) R(x2, x3) R(x3, x1)``: one ordering cone ``x = rho (1, s, s q)`` of the octant
        (the integrand is symmetric), ``dS = s ds dq``."""
        a = self.exponent.degree
        P = 3 * a
        rstep, step, astep = _TRIANGLE[level]
        x, xc, logw = tanh_sinh(astep, T=3.5)
        w = np.exp(logw)
        S, Q = (g.reshape(-1) for g in np.meshgrid(x, x, indexing="ij"))
        W = np.outer(w, w).reshape(-1) * S
        values, index = np.unique(np.concatenate([x, S * Q]), return_inverse=True)
        R, Rs = self._pair_row_values(values, rstep, step)
        i1, i3 = index[np.repeat(np.arange(len(x)), len(x))], index[len(x):]
        i2 = index[np.tile(np.arange(len(x)), len(x))]
        g = R[i1] * S ** a * R[i2] * R[i3]          # R(1, s) R(s, s q) R(1, s q), R(s, s q) = s^alpha R(1, q)
        gs = Rs[i1] * S ** a * Rs[i2] * Rs[i3]
        if isinstance(self.model.inputs, Normal):
            norm2 = 1 + S * S + (S * Q) ** 2
            radial = 2 ** ((3 + P) / 2 - 1) * gamma((3 + P) / 2) * norm2 ** (-(3 + P) / 2) / (2 * pi) ** 1.5
        else:
            h = sqrt(3)
            radial = h ** (3 + P) / (3 + P) / (2 * h) ** 3
        c = 8 * 6  # octants, ordering cones
        return c * float(W @ (g * radial)), c * float(W @ (gs * radial))

    def _pair_row_values(self, v, rstep, step):
        """``(R(1, v), int |integrand|)`` of a row with two off-diagonal ends, at every ``v`` in ``[0, 1]``:
        one two-slot rule (cut at ``xi_1 = xi_2`` as the rows of :mod:`.fourier` are, and at the kink
        ``xi_1 = v xi_2``), batched over v."""
        if self.measure.atoms is not None:  # sin: one frequency per end
            xi = self.measure.atoms[0]
            rest = 2 * np.exp(-self.rest(self.exponent, np.array([[xi, xi]])))[0]
            plus, minus = self.exponent.psi(xi * (1 + v)), self.exponent.psi(xi * (1 - v))
            return rest * (minus - plus), rest * (minus + plus)
        r, wr = self._radial_nodes(2, rstep)
        x, xc, logw = tanh_sinh(step, T=3.0)
        wx = np.exp(logw)
        out, outs = np.zeros(len(v)), np.zeros(len(v))
        per = max(1, _BATCH // (len(r) * 3 * len(x)))
        for lo in range(0, len(v), per):
            vv = v[lo:lo + per]
            # cells of the first coordinate v_1 of the simplex: cut at 1/2 and at the kink v_1 = v/(1+v)
            pts = np.sort(np.stack([0 * vv, vv / (1 + vv), 0 * vv + 0.5, 0 * vv + 1], 1), axis=1)
            a, b = pts[:, :-1, None], pts[:, 1:, None]
            v1 = (a * xc + b * x).reshape(len(vv), -1)
            F1 = r[None, :, None] * v1[:, None, :]
            F2 = r[None, :, None] * (1 - v1)[:, None, :]
            wd = wr[None, :, None] * ((b - a) * wx).reshape(len(vv), 1, -1) \
                * self.measure.mu(F1) * self.measure.mu(F2)
            # the rest E Psi(c . x) does not depend on the signs of c (symmetric inputs), and is homogeneous
            # (Psi = |u|^alpha): r^alpha times its value on the simplex
            rest = self.rest(self.exponent, np.stack([v1.reshape(-1), (1 - v1).reshape(-1)], 1)).reshape(v1.shape)
            wd = wd * np.exp(-rest[:, None, :] * r[None, :, None] ** self.exponent.degree)
            plus = self.exponent.psi(F1 + F2 * vv[:, None, None])
            minus = self.exponent.psi(F1 - F2 * vv[:, None, None])
            out[lo:lo + per] = 2 * np.sum(wd * (minus - plus), axis=(1, 2))
            outs[lo:lo + per] = 2 * np.sum(np.abs(wd) * (minus + plus), axis=(1, 2))
        return out, outs
