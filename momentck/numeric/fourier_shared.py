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

Blocks at k = 4 (normal inputs), so far:

* the two-row block with two diagonal factors at one row: a row's diagonal frequencies enter its rest
  and its block factor only through the norm ``s`` of those switched on (normal inputs), so j switched-on
  frequencies collapse into one slot with the density of ``s`` (j = 2:
  ``sigma_2(s) = 2 int_0^(pi/4) sigma(s cos phi) sigma(s sin phi) s dphi``, tabulated once), and the row is
  the k = 3 diagonal row's three-slot rule with that density, plus ``mass^(d-j)`` times the fewer-frequency
  terms;
* the 4-cycle (and any cycle of rows with two ends): ``R(b, c) = max^alpha R(1, min/max)`` with
  ``R(1, v)`` smooth for ``v > 0`` (densities), so a tensor tanh–sinh rule over a facet
  ``{u_1 = 1} x [0, 1]^(L-1)`` (the L facets equal by rotation) without cuts, every row value a pair of
  nodes: ``~n^2/2`` distinct ``R(1, v)`` from one batched two-slot rule (atoms: ordering cells, closed forms);
  uniform inputs too (homogeneous: the cube's facet pyramids, the radial factor above; the only k = 4 block
  with uniform inputs so far);
* the triangle with a diagonal factor, ``E R(p, r) R(q, r) H(p, q)``: polar ``(p, q) = s (cos theta, sin theta)``,
  then ``(s, r) = rho (cos psi, sin psi)``; the radial integral is H's 2F1 block (``m = 3 + 2 alpha``) at
  ``cos psi A``, so per theta the psi integral is one function of ``z = A^2/omega^2``, tabulated and read
  at every node of H's three-slot rule (the one of the two-row block, cut along ``xi_1 = tan theta xi_2``).

* two rows ``(d, o, o)`` at one block (each with its diagonal factor's private input at the block): given the
  frequencies a block factor is ``E_y|S . x + omega y|^alpha``, a Gaussian in the shared inputs x and the
  private y, so ``E_x`` of a product of two is a pair moment (:func:`normal_pair_moment`) and a row a sum over
  its frequency nodes (radial integral done per simplex node: every factor is homogeneous in the
  frequencies); ``R = mass R_oo + R_on`` and ``E R^2 = 2 mass E[R_oo R] - mass^2 E[R_oo^2] + E[R_on^2]``, the
  last a double sum over the three-slot rule's nodes;
* two blocks through a row with four ends: at each block the middle row's other two ends bring private
  inputs, and the blocks' inputs are independent, so given the middle row's frequencies the expectation is
  a product of two pair-moment sums over the two-slot rule of the outer rows, one four-slot rule (radial
  integral per node, 8 slot symmetries) outside.

Not yet: two rows with four factors between them (D = 4) and the three-row block with four shared inputs.

Uniform inputs at k = 4 (:mod:`.uniform_private` for the radial blocks): the cycles (above); the triangle with a
diagonal factor (:meth:`SharedInputs._uniform_diagonal_triangle`: the cube's facet pyramids, the private input's
radial block ``B_p``, ``p = 2 + 2 alpha``); for sin's atoms only (B_2 at ~1e8 nodes of a cut four-slot rule is too
slow with densities) two diagonal factors at a row of the two-row block and two blocks through a row with four
ends, both through ``B_2`` (two private uniform inputs).  Not yet: two rows (d, o, o) at a block, and (as for
normal inputs) the blocks with four shared inputs.

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

from itertools import permutations, product
from math import comb, gamma, pi, sqrt

import numpy as np
from scipy import interpolate, special

from ..errors import NotCovered
from ..laws import Normal
from .base import memoized
from .frequency_rules import simplex_rule, symmetric_domain
from .quadrature import tanh_sinh
from .uniform_private import GradedChebyshev, PairBlock, RadialBlock, graded_pieces

__all__ = ["SharedInputs", "sign_options"]

#: (radial, simplex, angular) steps of the two levels; level 0 finer than the rows' own (1/8, 1/5), which
#: left estimates of 2e-8 (measured, erf with stable(7/10), the two-row block: estimate 3e-11, error 1e-12)
_LEVELS = ((1 / 10, 1 / 6, 1 / 5), (1 / 14, 1 / 8, 1 / 7))
#: the triangle's (radial, simplex, angular) steps (two-slot rows: cheap; atan, stable(3/2): estimate 1e-8 at
#: the steps above)
_TRIANGLE = ((1 / 12, 1 / 7, 1 / 6), (1 / 16, 1 / 10, 1 / 8))
#: the cycles' (radial, simplex, angular) steps (the tensor rule over the facet is cheap: every row value is one of
#: ~n^2/2 pair values; erf, tanh, atan: steps (1/12, 1/7) left estimates of 1e-8, the angular step 1/6 vs 1/8 4e-13)
_CYCLE = ((1 / 16, 1 / 10, 1 / 6), (1 / 20, 1 / 13, 1 / 8))
#: (radial, simplex) steps of the lone rows' levels (cheap: one uncut cell)
_LONE = ((1 / 14, 1 / 8), (1 / 20, 1 / 12))
_BATCH = 2_000_000            # frequency nodes x row values per vectorised pass
#: the cuts of the diagonal row's rule (coordinates (omega, xi_1, xi_2)), uniform inputs: the kinks of the
#: three-input rest (omega = xi_1 + xi_2, |xi_1 - xi_2|), where the kink |A| = omega of the radial block
#: reaches t = 0 or t = 1 (omega = xi_1, xi_1 + xi_2, |xi_1 - xi_2|), and xi_1 = xi_2 (its kink A = 0 at omega -> 0)
_UNIFORM_CUTS = ((1, -1, 0), (1, -1, -1), (1, -1, 1), (1, 1, -1), (0, 1, -1))
#: the cuts of the row (d, d, o, o)'s four-slot rule (coordinates (omega_1, omega_2, xi_1, xi_2)), uniform inputs:
#: B_2's kinks |A| = omega_1 + omega_2, |omega_1 - omega_2| where they reach t = 0 (A = xi_1) or t = 1
#: (A = xi_1 +- xi_2), which include the four-input rest's kinks, and xi_1 = xi_2 (the kink A = 0 as omega -> 0)
_PAIR_UNIFORM_CUTS = ((1, 1, -1, 0), (1, -1, -1, 0), (1, -1, 1, 0), (1, 1, -1, -1), (1, -1, -1, -1), (1, -1, 1, 1),
                      (1, 1, -1, 1), (1, 1, 1, -1), (1, -1, -1, 1), (1, -1, 1, -1), (0, 0, 1, -1))
_RGRADING = 24                # dyadic pieces of R(1, t) towards t = 0 (and t = 1 for atoms)
#: (radial, simplex) steps of the rows of the two rows (d, o, o) at one block (three slots, radial integral done
#: per simplex node; every pair of nodes of the two rows is one Gaussian moment)
_PAIR = ((1 / 10, 1 / 8), (1 / 12, 1 / 10))
#: (four-slot radial, four-slot simplex, two-slot radial, two-slot simplex) steps of two blocks through a row
#: with four ends
_TWO_BLOCKS = ((1 / 8, 1 / 5, 1 / 10, 1 / 8), (1 / 10, 1 / 6, 1 / 14, 1 / 12))
#: the symmetries of a row with two ends at each of two blocks (slots (0, 1) at one, (2, 3) at the other)
_TWO_BLOCK_GROUP = ((0, 1, 2, 3), (1, 0, 2, 3), (0, 1, 3, 2), (1, 0, 3, 2), (2, 3, 0, 1), (3, 2, 0, 1),
                    (2, 3, 1, 0), (3, 2, 1, 0))


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


def _two_block_uniform_cuts():
    """The kinks of the uniform two-block rule (coordinates ``(xi_1, .., xi_4)``): at each block B_2's kinks
    ``|A| = xi_b +- xi_s`` (the other pair) where they reach t = 0 or 1 (``A = xi_1, xi_2, xi_1 +- xi_2``), and
    ``A = 0`` as the other pair vanishes (``xi_1 = xi_2``); the planes meeting the open orthant, up to sign."""
    out = set()
    for h, o in (((0, 1), (2, 3)), ((2, 3), (0, 1))):
        for A in ((1, 0), (0, 1), (1, 1), (1, -1)):
            for lev in ((1, 1), (1, -1), (-1, 1)):
                c = [0] * 4
                c[h[0]], c[h[1]], c[o[0]], c[o[1]] = A[0], A[1], -lev[0], -lev[1]
                if min(c) < 0 < max(c):
                    out.add(tuple(c) if next(x for x in c if x) > 0 else tuple(-x for x in c))
        c = [0] * 4
        c[h[0]], c[h[1]] = 1, -1
        out.add(tuple(c))
    return tuple(sorted(out))


def _spline_table(f, lo, hi, points=3000, zero_above=True):
    """``s -> f(s)`` for positive ``f`` on ``[lo, hi]`` (values of shape ``s.shape`` or ``s.shape + (k,)``):
    ``log f`` against ``log s``, a degree-7 spline on
    ``points`` equally spaced nodes; below ``lo`` the value at ``lo``, beyond ``hi`` zero (where f has
    decayed by e^-40 and more; values below 1e-300 are floored there) or, without ``zero_above``, the value
    at ``hi``."""
    logs = np.linspace(np.log(lo), np.log(hi), points)
    spline = interpolate.make_interp_spline(logs, np.log(np.maximum(f(np.exp(logs)), 1e-300)), k=7)

    def table(s):
        out = np.exp(spline(np.log(np.clip(s, lo, hi))))
        return np.where((s > hi).reshape(s.shape + (1,) * (out.ndim - s.ndim)), 0.0, out) if zero_above else out

    return table


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


def normal_pair_moment(alpha):
    """``rho -> E |Z_1|^alpha |Z_2|^alpha`` for standard normals of correlation rho:
    ``2^alpha Gamma((alpha+1)/2)^2 / pi * 2F1(-alpha/2, -alpha/2; 1/2; rho^2)`` (finite and continuous at
    ``rho^2 = 1``, where it is ``E|Z|^(2 alpha)``; ``(1 - rho^2)^(alpha + 1/2)`` is its least smooth part)."""
    c = 2 ** alpha * gamma((alpha + 1) / 2) ** 2 / pi

    def moment(rho):
        return c * special.hyp2f1(-alpha / 2, -alpha / 2, 0.5, np.minimum(rho * rho, 1.0))

    return moment


class SharedInputs:
    """Mixin of :class:`~momentck.numeric.fourier.FourierWeights`: single-block shapes at k = 3 with
    normal or uniform inputs and stable weights, by the facet coordinates above, and (normal inputs) the
    k = 4 blocks listed there."""

    def _shared_block(self, shape, rows, scale, level):
        """``(value, size)`` of a single-block shape: two rows with one or two diagonal factors at one
        of them, the triangle (with or without a diagonal factor), or a cycle of rows with two ends; the
        scale ``(-1/4)^P`` included."""
        kinds = sorted(k for k, _ in rows)
        normal = isinstance(self.model.inputs, Normal)
        if (len(shape.blocks) == 2 and self.exponent.degree is not None
                and kinds == [("o", "o"), ("o", "o"), ("o", "o", "o", "o")]):
            if normal:
                v, s = self._two_blocks(level)
            elif self.measure.atoms is not None:
                v, s = self._uniform_two_blocks(level)
            else:
                raise NotCovered("the Fourier method with uniform inputs: two blocks through a row with four ends "
                                 "(built for sin's atoms only: B_2 at every node of the four-slot rule is too slow)")
            return scale * v, abs(scale) * s
        if len(shape.blocks) != 1 or self.exponent.degree is None:
            raise NotCovered("the Fourier method with normal or uniform inputs: single blocks of stable "
                             "weights beyond k = 2")
        if kinds == [("d", "o", "o")] * 2 and normal:
            v, s = self._diagonal_pair(level)
        elif kinds == [("d", "o", "o"), ("o", "o")] and not isinstance(self.model.inputs, Normal):
            v, s = self._uniform_plane(level)
        elif len(kinds) == 2 and kinds[1] == ("o", "o") and kinds[0][-2:] == ("o", "o") and set(kinds[0][:-2]) == {"d"}:
            if not isinstance(self.model.inputs, Normal):
                if self.measure.atoms is None:
                    raise NotCovered("the Fourier method with uniform inputs: two diagonal factors at a shared "
                                     "block (built for sin's atoms only: B_2 at every node of the four-slot rule is "
                                     "too slow)")
                v, s = self._uniform_plane(level, len(kinds[0]) - 2)
            else:
                v, s = self._plane(len(kinds[0]) - 2, level)
        elif kinds == [("o", "o")] * 3:
            v, s = self._triangle(level)
        elif kinds == [("d", "o", "o"), ("o", "o"), ("o", "o")] and len(shape.blocks[0]) == 3:
            v, s = self._diagonal_triangle(level) if normal else self._uniform_diagonal_triangle(level)
        elif kinds == [("o", "o")] * len(kinds) and len(shape.blocks[0]) == len(kinds):
            v, s = self._cycle(len(kinds), level)   # rows of two ends in one block, D = rows: a cycle
        elif normal:
            raise NotCovered("the Fourier method with normal inputs: only walks up to k = 3 (at k = 4: "
                             "two diagonal factors at one row of a two-row block, two rows (d, o, o) at a block, the "
                             "4-cycle, the triangle with a diagonal factor, two blocks through a row with four ends)")
        else:
            raise NotCovered("the Fourier method with uniform inputs: only walks up to k = 3 (at k = 4: the lone "
                             "row, the 4-cycle, the triangle with a diagonal factor; for sin's atoms also two diagonal "
                             "factors at one row of a two-row block and two blocks through a row with four ends)")
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

    # -- D = 2: a row (o, o) and a row with d diagonal factors (d, ..., o, o) ------------------------------
    @memoized
    def _plane(self, d, level):
        """``E R_b(x) R_a(x)``: ``x = rho (1, t)``, ``dx = rho d rho dt`` (the edge ``(t, 1)`` gives the
        same, both rows being symmetric in their two off-diagonal ends), tanh–sinh in t; row a carries
        ``d`` diagonal factors."""
        x, xc, logw = tanh_sinh(_LEVELS[level][2], T=3.5)
        R, Rs = self._pair_row_values(x, *_LEVELS[level][:2])
        H, Hs = self._diagonal_row(x, R, Rs, level, d)
        w = np.exp(logw)
        c = 2 * 4 / (2 * pi)  # two edges, four quadrants, the standard normal density's constant
        return c * float(w @ (R * H)), c * float(w @ (Rs * Hs))

    def _diagonal_row(self, t, R, Rs, level, d=1):
        """``(H(t), int |integrand|)`` at each t: the row ``(d, ..., o, o)`` (``d`` diagonal factors) at
        ``u = (1, t)``, the radial integral (weight ``rho^(1+alpha) e^(-rho^2/2)``, the other row's ``rho^alpha``
        included) inside its block factor.  A diagonal frequency enters the rest and the block factor only
        through the norm ``s`` of the switched-on ones (normal inputs: ``E Psi(c . x) = E|Z|^alpha |c|^alpha``,
        the private direction ``|C_y| = s``), so the ``j`` switched-on frequencies collapse into one slot with
        the density of ``s`` (:meth:`_collapsed_sigma`); each subset of ``j`` carries ``mass^(d-j)`` and the sign
        ``(-1)^j``.  The options with none switched on are ``mass^d`` times the row ``(o, o)`` (R); the
        others are :meth:`_switched_on` (shared by the shapes with one and two diagonal factors)."""
        a = self.exponent.degree
        shift = 2 + a
        mass = self.measure.mass
        K0 = 2 ** ((shift + a) / 2 - 1) * gamma((shift + a) / 2)
        norm = np.sqrt(1 + t * t)
        H, Hs = mass ** d * K0 * R * norm ** -(shift + a), mass ** d * K0 * Rs * norm ** -(shift + a)
        for j in range(1, d + 1):
            coef = comb(d, j) * mass ** (d - j)
            Hj, Hjs = self._switched_on(j, level)
            H, Hs = H + (-1) ** j * coef * Hj, Hs + coef * Hjs
        return H, Hs

    @memoized
    def _switched_on(self, j, level):
        """``(H_j(t), int |integrand|)`` over the angular nodes t of ``level``: the part of a diagonal row
        ``(d, .., o, o)`` with j diagonal frequencies switched on (collapsed into their norm s), sign ``(-1)^j``
        left out.  Its block factor is smooth where ``s > 0`` (:func:`_normal_radial_block`) and the rest is
        smooth (normal inputs), so the rule is cut only along ``xi_1 = t xi_2``, through the point where the
        block factor's kink meets ``s = 0`` (uncut, the two levels differ by 1e-4)."""
        t = tanh_sinh(_LEVELS[level][2], T=3.5)[0]
        a = self.exponent.degree
        shift = 2 + a
        block = _normal_radial_block(a, shift)
        m = self.measure
        norm = np.sqrt(1 + t * t)
        H, Hs = np.zeros(len(t)), np.zeros(len(t))
        options = sign_options(("d", "o", "o"))   # the diagonal frequency switched on (its weight -1 undone below)
        rstep, step, _ = _LEVELS[level]
        sigma = None if j == 1 or m.atoms is not None else self._collapsed_sigma(j)
        for n, (tn, nn) in enumerate(zip(t, norm)):
            if m.atoms is not None:
                F, w = self._atom_rule(("d", "o", "o"))
                F[:, 0], w = F[:, 0] * sqrt(j), w * m.mass ** (j - 1)
                wr = w * np.exp(-self.rest(self.exponent, F))
            else:
                F, wr = self._diagonal_rule(tn, rstep, step, sigma)
            for signs, wt in options:
                C = F * signs
                term = (-wt * nn ** -shift) * wr * -block((C[:, 1] + C[:, 2] * tn) / nn, C[:, 0])
                H[n] += float(term.sum())
                Hs[n] += float(np.abs(term).sum())
        return H, Hs

    @memoized
    def _uniform_plane(self, level, d=1):
        """``E R_b(x) R_a(x)``, uniform inputs: ``x = rho (1, t)`` on the square (``rho <= h``; the edge ``(t, 1)``
        equal, four quadrants), ``R_b = rho^alpha R(1, t)``.  The options of row a without its diagonal
        frequency are sigma's mass times R; the others carry ``-E_y |rho A + omega y|^alpha``, whose radial
        integral is ``h^(2+2 alpha) omega^alpha B(A / omega)`` (:class:`.uniform_private.RadialBlock`).  The
        t-integral goes inside the frequency integral: ``K_eps(v) = int_0^1 R(1, t) Phi(v_0, v_1 + eps t v_2) dt``
        (``Phi(omega, A) = omega^alpha B(A / omega)``, homogeneous: one value per simplex node), cut where
        ``|A| = v_0``, with R from a graded Chebyshev interpolant; the frequency rule is then cut along fixed
        planes only (:data:`_UNIFORM_CUTS`).

        With ``d = 2`` diagonal factors at row a: ``E = c [mass^2 int R^2/(2+2 alpha) + 2 mass ON_1 + ON_2]``, ON_1 the
        part above with one frequency switched on and ON_2 (:meth:`_uniform_pair_on`) the part with both, whose
        private pair ``(omega_1 y_1, omega_2 y_2)`` makes the radial block ``omega_b^alpha B_2(A/omega_b, omega_s/omega_b)``
        (:class:`.uniform_private.PairBlock`)."""
        a = self.exponent.degree
        rstep, step, astep = _LEVELS[level]
        R = self._pair_row_interpolant(rstep, step)
        x, xc, logw = tanh_sinh(astep, T=3.5)
        wx = np.exp(logw)
        mass_part = self.measure.mass ** d / (2 + 2 * a) * (wx @ R(x) ** 2)
        kinds = ("d", "o", "o")
        if self.measure.atoms is not None:
            F, w = self._atom_rule(kinds)
            r, wr, v, wv = np.ones(1), w, F, np.ones(1)
        else:
            r, wr = self._radial_nodes(3, rstep)
            v, wv = simplex_rule(3, _UNIFORM_CUTS, step)
        block = RadialBlock(a)

        def phi(g, A):
            return block.scaled(v[g, 0], A)
        K = [self._t_integrals(phi, v[:, :1], R, v[:, 1:2], v[:, 2:3], eps, x, xc, wx) for eps in (1.0, -1.0)]
        diff, both = K[0][0] - K[1][0], K[0][1] + K[1][1]       # sum_eps wt_eps (-K_eps), wt_eps = -2 eps
        on = np.zeros(2)
        per = max(1, _BATCH // len(r))
        for lo in range(0, len(wv), per):
            F = (r[:, None, None] * v[None, lo:lo + per, :]).reshape(-1, 3)
            w = (wr[:, None] * wv[None, lo:lo + per] * r[:, None] ** a).reshape(-1)
            if self.measure.atoms is None:
                w = w * self._densities(kinds, F)
            w = w * np.exp(-self.rest(self.exponent, F))
            dk, bk = np.tile(diff[lo:lo + per], len(r)), np.tile(both[lo:lo + per], len(r))
            on += 2 * np.array([w @ dk, np.abs(w) @ bk])
        if d == 2:
            on2 = self._uniform_pair_on(R, level)
            on = 2 * self.measure.mass * on + on2
        elif d != 1:
            raise NotCovered("the Fourier method with uniform inputs: at most two diagonal factors at a block row")
        c = 2 * sqrt(3) ** (2 * a)          # 8 / (2h)^2 (quadrants, edges, density) times h^(2 + 2 alpha)
        return c * float(mass_part[0] + on[0]), c * float(mass_part[1] + on[1])

    def _pair_row_interpolant(self, rstep, step):
        """``R(1, t)`` and its ``int |integrand|`` on ``[0, 1]`` (:meth:`_pair_row_values`) as a graded Chebyshev
        interpolant: ``R ~ t^min(alpha, 1)`` at 0, kinked at ``t = 1`` only for atoms (sin: one frequency per end)."""
        edges = graded_pieces(0.0, 1.0, toward_b=self.measure.atoms is not None, depth=_RGRADING)
        return GradedChebyshev(edges, np.stack(self._pair_row_values(GradedChebyshev.points(edges), rstep, step), 1))

    def _uniform_pair_on(self, R, level):
        """``(ON_2, size)``: the part of a row ``(d, d, o, o)`` at a shared pair with both diagonal frequencies switched
        on (weight ``(-1)^2 2 eps`` and the incidence's -1), uniform inputs: its rest (four inputs) and its block factor
        ``K_eps(v) = int_0^1 R(1, t) omega_b^alpha B_2((v_1 + eps t v_2)/omega_b, omega_s/omega_b) dt`` are homogeneous in
        the frequencies, so one four-slot rule with its radial integral done per simplex node (:meth:`_reduced_rule`,
        over the half ``omega_1 >= omega_2``), cut along :data:`_PAIR_UNIFORM_CUTS`; t cut where
        ``|v_1 + eps t v_2| = omega_1 + omega_2`` or ``|omega_1 - omega_2|`` (B_2's kinks ``z = 1 +- w``)."""
        a = self.exponent.degree
        rstep, step, astep = _LEVELS[level]
        x, xc, logw = tanh_sinh(astep, T=3.5)
        wx = np.exp(logw)
        v, W = self._reduced_rule(("d", "d", "o", "o"), a, rstep, step, _PAIR_UNIFORM_CUTS, group=((0, 1, 2, 3),
                                                                                                      (1, 0, 2, 3)))
        block = PairBlock(a)
        levels = np.stack([v[:, 0] + v[:, 1], np.abs(v[:, 0] - v[:, 1])], 1)

        def phi(g, A):
            return block.scaled(v[g, 0], v[g, 1], A)
        K = [self._t_integrals(phi, levels, R, v[:, 2:3], v[:, 3:4], eps, x, xc, wx) for eps in (1.0, -1.0)]
        return np.array([-2 * float(W @ (K[0][0] - K[1][0])), 2 * float(np.abs(W) @ (K[0][1] + K[1][1]))])

    @staticmethod
    def _t_integrals(phi, levels, R, v1, v2, eps, x, xc, wx):
        """``(K_eps, int |R| Phi dt)`` per node, ``K_eps = int_0^1 R(1, t) phi(n, v_1 + eps t v_2) dt`` (R interpolates
        ``R(1, t)`` and its ``int |integrand|``; ``phi(n, A)`` the radial block at the nodes n): t by tanh–sinh on
        the pieces of ``[0, 1]`` between the points where ``|v_1 + eps t v_2|`` equals one of the node's ``levels``
        (columns; empty pieces skipped)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            cuts = [(levels - v1) / v2] if eps > 0 else [(v1 - levels) / v2, (v1 + levels) / v2]
        cuts = np.clip(np.nan_to_num(np.concatenate(cuts, axis=1)), 0.0, 1.0)
        pts = np.sort(np.concatenate([np.zeros_like(v1), cuts, np.ones_like(v1)], axis=1), axis=1)
        K, Ks = np.zeros(len(v1)), np.zeros(len(v1))
        per = max(1, _BATCH // (pts.shape[1] * len(x)))
        for lo in range(0, len(v1), per):
            p = pts[lo:lo + per]
            node, piece = np.nonzero(p[:, 1:] > p[:, :-1])
            a, b = p[node, piece][:, None], p[node, piece + 1][:, None]
            t, wt = (a * xc + b * x).reshape(-1), ((b - a) * wx).reshape(-1)
            node = np.repeat(node, len(x))
            g = lo + node
            values = R(t) * (wt * phi(g, v1[g, 0] + eps * t * v2[g, 0]))[:, None]
            K[lo:lo + per] = np.bincount(node, values[:, 0], minlength=len(p))
            Ks[lo:lo + per] = np.bincount(node, values[:, 1], minlength=len(p))
        return K, Ks

    @memoized
    def _collapsed_sigma(self, j):
        """The density of ``s = |omega|`` for ``j = 2`` independent diagonal frequencies ``omega ~ sigma``:
        ``sigma_2(s) = 2 int_0^(pi/4) sigma(s cos phi) sigma(s sin phi) s dphi`` (tanh–sinh in phi: atan's
        sigma is log-singular at 0), tabulated once as ``log sigma_2`` against ``log s`` and interpolated by
        a degree-7 spline (:func:`_spline_table`; checked against direct quadrature to 1e-12 relative)."""
        if j != 2:
            raise NotCovered("the Fourier method with normal inputs: at most two diagonal factors at a block row")
        m = self.measure
        x, xc, logw = tanh_sinh(1 / 16, T=4.0)
        phi, wphi = pi / 4 * x, pi / 4 * np.exp(logw)

        def direct(s):
            return 2 * s * ((m.sigma(np.outer(s, np.cos(phi))) * m.sigma(np.outer(s, np.sin(phi)))) @ wphi)

        return _spline_table(direct, m.beta * 1e-19, 2 * m.top)

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

    # -- D = L >= 4: a cycle of L rows (o, o) ----------------------------------------------------------------
    @memoized
    def _cycle(self, L, level):
        """``E prod_t R(x_t, x_(t+1))`` around a cycle of L rows with two off-diagonal ends each (one shared
        input per pair of neighbours), on the L facets ``{u_i = 1}`` (equal by rotation: ``u_1 = 1``), with
        ``R(b, c) = max^alpha R(1, min/max)``.  With densities ``R(1, v)`` is smooth for ``v > 0`` (its kink in
        the frequencies moves smoothly with v) and so is the integrand inside the facet: a tensor tanh–sinh
        rule over ``(u_2, .., u_L)`` in ``[0, 1]^(L-1)`` (the singularities at ``u_i = 0`` are tanh–sinh's), whose
        row values are pairs of nodes, so only ``~n^2/2`` distinct ``R(1, v)`` are needed (one batched two-slot
        rule).  With atoms (sin) ``R(1, v)`` is kinked at ``v = 1``: the facet is cut into the orderings of its
        coordinates, each in Duffy coordinates, the row values being closed forms.  The size returned
        (``int |integrand|`` for the roundoff allowance) is first order in the rows' own: their sizes times
        the other rows' values (the product of the sizes, as for the triangle, is 1e3 times larger for atan)."""
        a = self.exponent.degree
        P = L * a
        rstep, step, astep = _CYCLE[level]
        U, W = self._cycle_facet(L - 1, astep)
        ones = np.ones(len(W))
        chain = [ones] + list(U.T) + [ones]
        rows, sizes = self._pair_values(np.array(chain[:-1]), np.array(chain[1:]), rstep, step)
        g = np.prod(rows, axis=0)
        # first-order roundoff: each row value's (``_ROUNDOFF`` per unit of its size) times the other rows,
        # and the facet sum's own (per unit of |g|)
        gs = np.abs(g) + sum(sizes[t] * np.prod(np.abs(np.delete(rows, t, axis=0)), axis=0) for t in range(L))
        if isinstance(self.model.inputs, Normal):
            norm2 = 1 + np.sum(U * U, axis=1)
            radial = 2 ** ((L + P) / 2 - 1) * gamma((L + P) / 2) * norm2 ** (-(L + P) / 2) / (2 * pi) ** (L / 2)
        else:
            h = sqrt(3)
            radial = h ** (L + P) / (L + P) / (2 * h) ** L
        c = 2 ** L * L  # orthants, facets
        return c * float(W @ (g * radial)), c * float(W @ (gs * radial))

    def _pair_values(self, b, c, rstep, step):
        """``(R(b, c), int |integrand|)`` of the row (o, o) at arrays of positive inputs:
        ``max^alpha R(1, min/max)``, the distinct ratios batched through one two-slot rule."""
        hi = np.maximum(b, c)
        values, index = np.unique(np.minimum(b, c) / hi, return_inverse=True)
        R, Rs = self._pair_row_values(values, rstep, step)
        index = index.reshape(hi.shape)
        return hi ** self.exponent.degree * R[index], hi ** self.exponent.degree * Rs[index]

    # -- D = 3: the triangle with a diagonal factor --------------------------------------------------------
    @memoized
    def _diagonal_triangle(self, level):
        """``E R(p, r) R(q, r) H(p, q)``, H the row ``(d, o, o)`` (its private input at the block): with
        ``(p, q) = s (cos theta, sin theta)`` and ``(s, r) = rho (cos psi, sin psi)`` the rows (o, o) are
        ``rho^(2 alpha) P(theta, psi)`` and H's radial integral is closed (:func:`_normal_radial_block`,
        ``m = 3 + 2 alpha``, argument ``cos psi A``), so at each theta (tanh–sinh in ``t = tan theta`` on
        ``(0, 1]``, the other half equal by the swap p <-> q) the psi integral is one function of
        ``z = A^2/omega^2``, ``Phi(z) = int cos psi P 2F1(-alpha/2, m/2; 1/2; -z cos^2 psi) dpsi``, tabulated
        (:func:`_spline_table`), and H's three-slot rule (cut along ``xi_1 = t xi_2`` as the two-row block's)
        reads it at every node."""
        a = self.exponent.degree
        m = 3 + 2 * a
        rstep, step, astep = _LEVELS[level]
        mass = self.measure.mass
        K = 2 ** ((m + a) / 2 - 1) * gamma((a + 1) / 2) * gamma(m / 2) / sqrt(pi)
        K0 = 2 ** ((m + a) / 2 - 1) * gamma((m + a) / 2)
        t, _, logw = tanh_sinh(astep, T=3.5)
        wt = np.exp(logw) / (1 + t * t)                      # dtheta = dt / (1 + t^2)
        ct, st = 1 / np.sqrt(1 + t * t), t / np.sqrt(1 + t * t)
        cp, sp, wp = self._psi_rule(ct, st, astep)
        ones = np.ones(len(t))
        (Rp, Rps), (Rq, Rqs) = (self._pair_values(c[:, None] * cp, ones[:, None] * sp, rstep, step) for c in (ct, st))
        # sizes first order in the rows' own (their roundoff times the other rows' values: the products of
        # the sizes are 1e3 times larger for atan)
        P, Ps = Rp * Rq, Rps * np.abs(Rq) + np.abs(Rp) * Rqs
        RB, RBs = self._pair_values(ct, st, rstep, step)
        off = mass * K0 * RB * np.sum(P * cp ** (1 + a) * wp, axis=1)
        offs = mass * K0 * (RBs * np.sum(np.abs(P) * cp ** (1 + a) * wp, axis=1)
                            + np.abs(RB) * np.sum(Ps * cp ** (1 + a) * wp, axis=1))
        on, ons = np.zeros(len(t)), np.zeros(len(t))
        for n in range(len(t)):
            # Phi with P (P > 0: each R(1, v) < 0) and with P's sizes Ps, from one hypergeometric matrix
            c2, q = cp[n] ** 2, (wp[n] * cp[n])[:, None] * np.stack([P[n], Ps[n]], 1)
            phi = _spline_table(lambda z: special.hyp2f1(-a / 2, m / 2, 0.5, -np.outer(z, c2)) @ q, 1e-16, 1e30,
                                points=2000, zero_above=False)
            F, w = self._diagonal_rule(t[n], rstep, step)
            for signs, wo in sign_options(("d", "o", "o")):
                C = F * signs
                A, om = C[:, 1] * ct[n] + C[:, 2] * st[n], C[:, 0]
                coef, values = wo * w * -(om ** a) * K, phi(A * A / (om * om))
                on[n] += float(coef @ values[:, 0])
                ons[n] += float(np.abs(coef) @ (values[:, 0] + values[:, 1]))   # H's own and P's roundoff
        c = 2 * 8 / (2 * pi) ** 1.5  # two halves of theta, octants, the normal density's constant
        return c * float(wt @ (off + on)), c * float(wt @ (offs + ons))

    @memoized
    def _uniform_diagonal_triangle(self, level):
        """``E R(p, r) R(q, r) H(p, q)`` with uniform inputs, H the row ``(d, o, o)`` (its private input y at the block):
        ``mass`` times the triangle (:meth:`_triangle`) plus the options with the diagonal frequency on, whose block
        factor ``-E_y|rho A + omega y|^alpha`` has, over the cube's facet pyramids (``x = rho u``, ``rho <= h``,
        the rows (o, o) ``rho^(2 alpha)``), the radial integral ``h^(3+3 alpha) omega^alpha B_p(A/omega)``,
        ``p = 2 + 2 alpha`` (:class:`.uniform_private.RadialBlock`).  Facets ``u_p = 1`` (and ``u_q = 1``, equal by
        the swap of H's ends): ``A = xi_1 + eps b xi_2``, ``int_0^1 G(b) omega^alpha B_p(A/omega) db`` with
        ``G(b) = int_0^1 R(1, c) R(b, c) dc`` (interpolated), the t-integral of :meth:`_uniform_plane` per simplex
        node; facet ``u_r = 1``: ``(a, b) = a (1, t)`` (and the other ordering, equal), per t-node one function
        ``Psi_t(z) = int_0^1 a R(1, a) R(1, a t) B_p(a z) da`` (tabulated as B is) read at every node of H's
        three-slot rule, cut at ``|xi_1 +- t xi_2| = omega`` (Psi_t's kink), ``xi_1 = t xi_2`` and the rest's kinks.
        Octants 8, density ``(2h)^-3``: ``E = mass T + h^(3 alpha) (2 F_p + F_r)``."""
        a = self.exponent.degree
        mass = self.measure.mass
        rstep, step, astep = _LEVELS[level]
        R = self._pair_row_interpolant(rstep, step)
        x, xc, logw = tanh_sinh(astep, T=3.5)
        wx = np.exp(logw)
        block = RadialBlock(a, 2 + 2 * a)
        tri, tris = self._triangle(level)
        Fp = self._triangle_facet_p(R, level)
        # facet u_r = 1: the angle t outside, Psi_t tabulated per t
        ax, axc, alogw = tanh_sinh(astep, T=3.5)
        aw = np.exp(alogw)

        def psi_table(t):
            def psi(omega, A):
                # int_0^1 a R(1, a) R(1, a t) omega^alpha B_p(a A / omega) da, cut at the kink a = omega / A
                cut = np.clip(omega / np.maximum(A, 1e-300), 0.0, 1.0)[:, None]
                out = np.zeros((len(A), 2))
                for lo, hi in ((0 * cut, cut), (cut, 0 * cut + 1)):
                    aa, ww = lo * axc + hi * ax, (hi - lo) * aw
                    val = block.scaled(np.repeat(omega, len(ax)), (aa * A[:, None]).reshape(-1)).reshape(aa.shape)
                    rr = R(aa.reshape(-1)).reshape(*aa.shape, 2) * R((aa * t).reshape(-1)).reshape(*aa.shape, 2)
                    out += np.einsum("ij,ijk->ik", ww * aa * val, rr)
                return out
            return RadialBlock.of(a, psi).scaled
        Fr = 2 * self._angular_on(x, wx, psi_table, rstep, step)
        c = sqrt(3) ** (3 * a)
        return mass * tri + c * float(2 * Fp[0] + Fr[0]), mass * tris + c * float(2 * Fp[1] + Fr[1])

    def _triangle_facet_p(self, R, level, angular=False):
        """``F_p`` of :meth:`_uniform_diagonal_triangle` (value, size): ``G(b) = int_0^1 R(1, c) R(b, c) dc`` (c < b:
        ``b^alpha R(1, c/b)``, c > b: ``c^alpha R(1, b/c)``; tanh–sinh on both pieces, a graded interpolant), then the
        t-integral of :meth:`_uniform_plane` per simplex node (G for R, B_p for B), or with ``angular`` the angle
        outside (:meth:`_angular_on`: another organisation of the same integral, for the tests)."""
        a = self.exponent.degree
        rstep, step, astep = _LEVELS[level]
        x, xc, logw = tanh_sinh(astep, T=3.5)
        wx = np.exp(logw)
        block = RadialBlock(a, 2 + 2 * a)
        edges = graded_pieces(0.0, 1.0, toward_b=self.measure.atoms is not None, depth=_RGRADING)
        b = GradedChebyshev.points(edges)[:, None]
        c1, w1 = b * x, b * wx
        c2, w2 = b * xc + x, (1 - b) * wx
        def rows(c, d):      # R(1, c) R(1, d) on the grid of c (both columns: values, sizes)
            return R(c.reshape(-1)).reshape(*c.shape, 2) * R(d.reshape(-1)).reshape(*c.shape, 2)
        G = (np.einsum("ij,ijk->ik", w1, rows(c1, c1 / b)) * b ** a
             + np.einsum("ij,ijk->ik", w2 * c2 ** a, rows(c2, b / c2)))
        G = GradedChebyshev(edges, G)
        if angular:
            return self._angular_on(x, wx, lambda t: (lambda o, A: G(t) * block.scaled(o, A)[:, None]), rstep, step)
        v, W = self._reduced_rule(("d", "o", "o"), a, rstep, step, _UNIFORM_CUTS)

        def phi(g, A):
            return block.scaled(v[g, 0], A)
        K = [self._t_integrals(phi, v[:, :1], G, v[:, 1:2], v[:, 2:3], eps, x, xc, wx) for eps in (1.0, -1.0)]
        return np.array([2 * W @ (K[0][0] - K[1][0]), 2 * np.abs(W) @ (K[0][1] + K[1][1])])

    def _angular_on(self, t, wt, scaled_of, rstep, step):
        """``sum_t wt 2 sum_v W_t(v) (S_t(omega, xi_1 + t xi_2) - S_t(omega, |xi_1 - t xi_2|))`` and its size, per t-node
        the row ``(d, o, o)``'s three-slot rule (diagonal slot on, radial integral per simplex node, degree alpha)
        cut at ``|xi_1 +- t xi_2| = omega`` (the kink of ``S_t = scaled_of(t)``, ``(omega, A) -> (value, size)``
        columns), ``xi_1 = t xi_2`` and the rest's kinks (uniform inputs: the angle outside the frequency integral)."""
        a = self.exponent.degree
        out = np.zeros(2)
        for tn, wn in zip(t, wt):
            S = scaled_of(tn)
            cuts = ((1.0, -1.0, -tn), (1.0, -1.0, tn), (1.0, 1.0, -tn), (0.0, 1.0, -tn), (1, -1, -1), (1, -1, 1),
                    (1, 1, -1))
            v, W = self._reduced_rule(("d", "o", "o"), a, rstep, step, () if self.measure.atoms is not None else cuts)
            vals = [S(v[:, 0], v[:, 1] + eps * tn * v[:, 2]) for eps in (1.0, -1.0)]
            out += 2 * wn * np.array([W @ (vals[0][:, 0] - vals[1][:, 0]), np.abs(W) @ (vals[0][:, 1] + vals[1][:, 1])])
        return out

    def _psi_rule(self, ct, st, step):
        """``(cos psi, sin psi, weights)``, one row per theta: tanh–sinh on ``(0, pi/2)``; with atoms (R kinked
        where its two inputs are equal) cut at ``tan psi = cos theta`` and ``tan psi = sin theta``."""
        x, xc, logw = tanh_sinh(step, T=3.5)
        w = np.exp(logw)
        if self.measure.atoms is None:
            psi, wp = np.tile(pi / 2 * x, (len(ct), 1)), np.tile(pi / 2 * w, (len(ct), 1))
        else:
            cuts = np.sort(np.stack([0 * ct, np.arctan(st), np.arctan(ct), 0 * ct + pi / 2], 1), axis=1)
            lo, hi = cuts[:, :-1, None], cuts[:, 1:, None]
            psi = (lo * xc + hi * x).reshape(len(ct), -1)
            wp = ((hi - lo) * w).reshape(len(ct), -1)
        return np.cos(psi), np.sin(psi), wp

    def _diagonal_rule(self, t, rstep, step, sigma=None):
        """``(frequencies (N, 3), weights e^(-rest))`` of a row ``(d, o, o)`` with a switched-on diagonal slot,
        cut along ``xi_1 = t xi_2`` (the block factor's kink at ``omega = 0``); nodes whose terms are below
        1e-22 of the row's scale (``|block|`` is at most ~5 ``(sum xi)^alpha``) are dropped."""
        m = self.measure
        if m.atoms is not None:
            F, w = self._atom_rule(("d", "o", "o"))
        else:
            F, w = self._kinked_rule(("d", "o", "o"), [(0.0, 1.0, -t)], rstep, step, sigma)
        wr = w * np.exp(-self.rest(self.exponent, F))   # the same for every sign choice (normal inputs)
        bound = np.abs(wr) * F.sum(axis=1) ** self.exponent.degree
        keep = bound > 1e-22 * bound.sum()
        return F[keep], wr[keep]

    def _cycle_facet(self, n, step):
        """``(points (N, n), weights)`` on ``[0, 1]^n``: a tensor tanh–sinh rule, or (atoms: kinks along
        ``u_i = u_j``) one Duffy rule per ordering ``u_(p_1) >= .. >= u_(p_n)``, ``u_(p_k) = s_1 .. s_k``,
        Jacobian ``prod_k s_k^(n-k)``."""
        x, xc, logw = tanh_sinh(step, T=3.5)
        w = np.exp(logw)
        grid = np.indices((len(x),) * n).reshape(n, -1)
        S, W = x[grid].T, np.prod(w[grid], axis=0)
        if self.measure.atoms is None:
            return S, W
        Y = np.cumprod(S, axis=1)
        W = W * np.prod(S ** np.arange(n - 1, -1, -1), axis=1)
        points = []
        for p in permutations(range(n)):
            U = np.empty_like(Y)
            U[:, list(p)] = Y
            points.append(U)
        return np.concatenate(points), np.tile(W, len(points))

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

    # -- Gaussian moments of pairs of frequency nodes (normal inputs, k = 4) --------------------------------
    def _reduced_rule(self, kinds, degree, rstep, step, cuts=(), group=None):
        """``(v (N, n), W (N,))`` with ``int prod dens(xi) e^(-rest(xi)) g(xi) dxi = sum W g(v)`` for every g
        homogeneous of degree ``degree`` in the frequencies ``xi`` of the slots ``kinds`` (normal inputs: the
        rest is ``|xi|^alpha`` times a constant, so the radial integral is done once per simplex node ``v``);
        the simplex cut along ``cuts`` and, with ``group``, restricted to a fundamental domain of the slot
        permutations ``group`` (W times its order).  Atoms (sin): one node, exact."""
        m = self.measure
        n = len(kinds)
        if m.atoms is not None:
            F, w = self._atom_rule(kinds)
            s = F.sum(axis=1)
            return F / s[:, None], w * np.exp(-self.rest(self.exponent, F)) * s ** degree
        r, wr = self._radial_nodes(n, rstep)
        domain = symmetric_domain(n, group) if group else ()
        v, wv = simplex_rule(n, tuple(tuple(c) for c in cuts), step, domain)
        a = self.exponent.degree
        rest = self.rest(self.exponent, v)
        W = np.empty(len(v))
        wr, ra = wr * r ** degree, r ** a
        per = max(1, _BATCH // len(r))
        for lo in range(0, len(v), per):
            F = (r[:, None, None] * v[None, lo:lo + per]).reshape(-1, n)
            dens = self._densities(kinds, F).reshape(len(r), -1)
            W[lo:lo + per] = wr @ (dens * np.exp(-np.outer(ra, rest[lo:lo + per])))
        return v, W * wv * (len(group) if group else 1)

    def _block_expectation(self, c, S, p, T, q):
        """``(E_x[G(x) E_y'|T_m . x + q_m y'|^alpha], the same with |c|)`` for each m, where
        ``G(x) = sum_n c_n E_y|S_n . x + p_n y|^alpha``: x the block's shared inputs, y and y' private ones (one
        direction each, independent), all standard normal, so each pair is ``|D_n|^alpha |D_m|^alpha`` times
        :func:`normal_pair_moment` at the correlation ``S_n . T_m / (|D_n| |D_m|)``, ``D = (S, p)``."""
        a = self.exponent.degree
        moment = normal_pair_moment(a)
        dn, dm = np.sqrt(np.sum(S * S, axis=1) + p * p), np.sqrt(np.sum(T * T, axis=1) + q * q)
        cn, an = c * dn ** a, np.abs(c) * dn ** a
        out, size = np.empty(len(T)), np.empty(len(T))
        per = max(1, _BATCH // (4 * len(S)))
        for lo in range(0, len(T), per):
            g = moment((T[lo:lo + per] @ S.T) / np.outer(dm[lo:lo + per], dn))
            out[lo:lo + per], size[lo:lo + per] = g @ cn, g @ an
        return out * dm ** a, size * dm ** a

    def _row_directions(self, kinds, degree, rstep, step, cuts=()):
        """``(c, S, p)``: a row ``(o, o)`` or ``(d, o, o)`` (diagonal slot switched on) at one block as a sum
        ``R(x) = sum_n c_n E_y|S_n . x + p_n y|^alpha`` over its reduced rule's nodes (:meth:`_reduced_rule`)
        and its signs ``eps`` of the second end: weight ``2 eps`` (the global flip), ``-1`` for the
        diagonal's merged sign and ``-1`` for the incidence ``-Psi``; ``degree`` is passed on (the other
        factors' degrees the caller integrates with the rule)."""
        v, W = self._reduced_rule(kinds, degree, rstep, step, cuts)
        diag = kinds[0] == "d"
        xi, p = (v[:, 1:], v[:, 0]) if diag else (v, np.zeros(len(v)))
        cs, Ss = [], []
        for eps in (1.0, -1.0):
            cs.append((2 * eps if diag else -2 * eps) * W)
            Ss.append(xi * np.array([1.0, eps]))
        return np.concatenate(cs), np.concatenate(Ss), np.concatenate([p, p])

    # -- two rows (d, o, o) at one block -----------------------------------------------------------------------
    @memoized
    def _diagonal_pair(self, level):
        """``E R_a(x) R_b(x)`` for two rows ``(d, o, o)`` sharing one block (each with its diagonal factor's
        private input).  With ``R = mass R_oo + R_on`` (the option with the diagonal frequency switched off,
        and the others), ``E R^2 = 2 mass E[R_oo R] - mass^2 E[R_oo^2] + E[R_on^2]``: the first two are the
        k = 3 two-row block (:meth:`_plane`) and m_2's; the last is a double sum over the pairs of nodes of
        the three-slot rule (:meth:`_block_expectation`: given the frequencies each block factor is a
        Gaussian ``|S . x + omega y|``), whose only non-smooth point, where both ``omega`` vanish and the
        directions agree, lies on a face of the rule."""
        mass = self.measure.mass
        one, ones = self._plane(1, level)
        two, twos = self._pair_square(level)
        # the row's nodes c_eps = 2 eps W at S_eps = (xi_1, eps xi_2): the pair moments depend on eps eps' only,
        # so sum_(eps, eps') = 8 W W' (M(S, S') - M(S, flipped S'))
        v, W = self._reduced_rule(("d", "o", "o"), self.exponent.degree, *_PAIR[level])
        S, p = v[:, 1:], v[:, 0]
        g, gs = self._block_expectation(W, S, p, np.concatenate([S, S * np.array([1.0, -1.0])]), np.concatenate([p, p]))
        n = len(W)
        on, ons = 8 * float(W @ (g[:n] - g[n:])), 8 * float(np.abs(W) @ (gs[:n] + gs[n:]))
        return 2 * mass * one - mass ** 2 * two + on, 2 * mass * ones + mass ** 2 * twos + ons

    @memoized
    def _pair_square(self, level):
        """``E R(x)^2`` of the row ``(o, o)``, m_2's block, on the edges ``x = rho (1, t)`` (as :meth:`_plane`)."""
        a = self.exponent.degree
        t, _, logw = tanh_sinh(_LEVELS[level][2], T=3.5)
        R, Rs = self._pair_row_values(t, *_LEVELS[level][:2])
        w = np.exp(logw) * 2 ** a * gamma(1 + a) * (1 + t * t) ** (-1 - a)
        c = 2 * 4 / (2 * pi)
        return c * float(w @ (R * R)), c * float(w @ (2 * Rs * np.abs(R)))

    # -- two blocks through a row with four ends -----------------------------------------------------------
    @memoized
    def _uniform_two_blocks(self, level):
        """``E R(x) R'(x, x') R(x')`` with uniform inputs (the shape of :meth:`_two_blocks`): at block x the middle
        row's factor is ``-E_y|xi_1 x_1 + xi_2 x_2 + xi_3 y_3 + xi_4 y_4|^alpha``, y its two private uniform inputs (the
        copies of its ends at the other block), so not homogeneous in x alone; with ``x = rho (1, t)`` or
        ``rho (t, 1)`` on the square, ``rho <= h``, its radial integral against ``rho^(1+alpha) R(1, t)`` is
        ``h^(2+2 alpha) xi_b^alpha B_2(A/xi_b, xi_s/xi_b)`` (``xi_b, xi_s`` the larger and smaller of ``xi_3, xi_4``;
        :class:`.uniform_private.PairBlock`, as block (i)), homogeneous of degree alpha in all four frequencies.
        Quadrants (R odd in each input) and the middle row's signs give ``16 E_1 E_2``,
        ``E_1 = 3^alpha/2 sum_edges int_0^1 R(1, t) (Phi(|xi_1 - t xi_2|) - Phi(xi_1 + t xi_2)) dt`` (edge ``(t, 1)``:
        xi_1, xi_2 swapped), E_2 the same with the pairs swapped; one four-slot rule, radial integral per simplex node
        (degree 2 alpha), over a fundamental domain of its 8 slot symmetries."""
        a = self.exponent.degree
        rstep4, step4, rstep2, step2 = _TWO_BLOCKS[level]
        R = self._pair_row_interpolant(rstep2, step2)
        x, xc, logw = tanh_sinh(_LEVELS[level][2], T=3.5)
        wx = np.exp(logw)
        v, W = self._reduced_rule(("o",) * 4, 2 * a, rstep4, step4, _two_block_uniform_cuts(), group=_TWO_BLOCK_GROUP)
        block = PairBlock(a)
        E = []
        for here, there in ((v[:, :2], v[:, 2:]), (v[:, 2:], v[:, :2])):
            levels = np.stack([there.sum(axis=1), np.abs(there[:, 0] - there[:, 1])], 1)

            def phi(g, A, there=there):
                return block.scaled(there[g, 0], there[g, 1], A)
            value, size = 0.0, 0.0
            for v1, v2 in ((here[:, :1], here[:, 1:]), (here[:, 1:], here[:, :1])):   # the edges (1, t), (t, 1)
                (Kp, Kps), (Km, Kms) = (self._t_integrals(phi, levels, R, v1, v2, eps, x, xc, wx)
                                        for eps in (1.0, -1.0))
                value, size = value + Km - Kp, size + Kms + Kps
            E.append((3 ** a / 2 * value, 3 ** a / 2 * size))
        (e1, e1s), (e2, e2s) = E
        return 16 * float(W @ (e1 * e2)), 16 * float(np.abs(W) @ (e1s * np.abs(e2) + np.abs(e1) * e2s))

    @memoized
    def _two_blocks(self, level):
        """``E R(x) R'(x, x') R(x')``: two blocks with two shared inputs each (x, x'), joined by a row with two
        ends at each; at each block the middle row's other two ends bring private inputs (one direction, norm
        ``s``), so its block factors are ``E_y|xi_1 x_1 +- xi_2 x_2 + |(xi_3, xi_4)| y|^alpha`` and the same at
        x'.  The blocks' inputs are independent: given the middle row's frequencies the expectation is
        ``4 Q(xi_1, xi_2; xi_3, xi_4) Q(xi_3, xi_4; xi_1, xi_2)`` (the 4 from its sign sums),
        ``Q = E_x[R(x) (E_y|xi_1 x_1 - xi_2 x_2 + s y|^alpha - E_y|xi_1 x_1 + xi_2 x_2 + s y|^alpha)]``, a sum
        over the two-slot rule's nodes of Gaussian pair moments (:meth:`_block_expectation`), homogeneous of
        degree alpha: one four-slot rule with its radial integral done per node (degree ``2 alpha``), over a
        fundamental domain of its 8 slot symmetries, without cuts (the rest is smooth, Q too: the pair
        moment's non-smooth point needs ``s = 0``, a face of the rule)."""
        a = self.exponent.degree
        rstep4, step4, rstep2, step2 = _TWO_BLOCKS[level]
        c, S, p = self._row_directions(("o", "o"), a, rstep2, step2)
        v, W = self._reduced_rule(("o",) * 4, 2 * a, rstep4, step4, group=_TWO_BLOCK_GROUP)
        Q = []
        for here, there in ((v[:, :2], v[:, 2:]), (v[:, 2:], v[:, :2])):
            s = np.sqrt(np.sum(there * there, axis=1))
            T = np.stack([here * np.array([1.0, -1.0]), here], 1).reshape(-1, 2)
            g, gs = self._block_expectation(c, S, p, T, np.repeat(s, 2))
            Q.append(((g[0::2] - g[1::2]), gs[0::2] + gs[1::2]))
        (q1, q1s), (q2, q2s) = Q
        value = 4 * float(W @ (q1 * q2))
        size = 4 * float(np.abs(W) @ (q1s * np.abs(q2) + np.abs(q1) * q2s))
        return value, size
