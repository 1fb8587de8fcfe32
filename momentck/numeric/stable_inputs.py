"""Weights of alpha-stable models with f = sin and non-normal inputs, conditioning on the inputs (MATH.md §4).

Instead of conditioning on the weights (:mod:`momentck.numeric.stable_sin`), condition on
every input copy and sum over the sines' options (:mod:`.sin_inputs`).  For stable weights
``Psi(u) = |u|^alpha`` (``int nu(dw) (1 - cos wu) = |u|^alpha`` for this nu), so the
unvisited columns give ``exp(-beta^alpha M(c_a))``, ``M(c) = E |c . x|^alpha`` over fresh
inputs, an incidence ``-beta^alpha |c_a . x_e|^alpha``, and

    w(S) = (-4)^-k sum_c prod_a wt(c_a) exp(-beta^alpha M(c_a))
           x prod_e (-beta^alpha)^|e| E prod_{a in e} |c_a . x_e|^alpha,

where column e's inputs ``x_e^(t)`` are shared by the rows of e through the factors
between them.  The input law enters only through expectations of products of
``|linear form|^alpha``:

* rademacher: finite sums over sign vectors (exact, any k; walks up to 8 declared: m_1..m_7 in ~25 s,
  m_8 in ~3.5 min serially);
* uniform on ``[-sqrt 3, sqrt 3]``: one form (the rests) by the divided-difference
  formula ``E |sum_t a_t U_t|^p = sum_sigma (prod sigma) F(sigma . a) / (2^n prod a_t)``,
  ``F(y) = sign(y)^n |y|^(p+n) / prod_{j<=n}(p + j)`` (U_t uniform on [-1, 1]); two forms
  ``x_1 + x_2`` and ``x_1 - x_2`` (the two-row block of m_2) uniform on a square rotated to
  the diamond ``|u| + |v| <= 2 sqrt 3``: ``E |u|^p |v|^q = L^(p+q+2) B(p+1, q+1)/(6 (p+q+2))``,
  ``L = 2 sqrt 3``; other blocks by the cube quadrature of :mod:`.cube_forms` (float64, up
  to four inputs per block, blocks equal up to the cube's symmetries integrated once: walks up to 4);
* normal (a test oracle for :mod:`momentck.numeric.stable_sin`; not registered): one form
  ``|c|^p E|Z|^p``, two forms the bivariate formula
  ``E |U|^p |V|^q = s_U^p s_V^q 2^((p+q)/2) Gamma((p+1)/2) Gamma((q+1)/2) 2F1(-p/2, -q/2; 1/2; rho^2) / pi``.
"""

from itertools import product

import mpmath
import sympy

from ..errors import NotCovered
from ..laws import Normal, Rademacher, Stable, Uniform
from .base import law_is, memoized
from .cube_forms import cube_form_moment
from .sin_inputs import SinInputs, normal_form, relabel, sign_values

__all__ = ["StableSinInputs", "FormMoments", "FORM_MOMENTS"]


# -- E prod |form|^p for one input law ------------------------------------------------------------------
def _canonical(forms):
    """Forms (tuples of ``(coordinate, coefficient)``) with the sign of each fixed (first coefficient
    positive), equal forms merged: ``((form, power multiplier), ...)``; None when some form is 0."""
    merged = {}
    for form in forms:
        form = tuple(sorted((t, c) for t, c in form if c))
        if not form:
            return None
        if form[0][1] < 0:
            form = tuple((t, -c) for t, c in form)
        merged[form] = merged.get(form, 0) + 1
    return tuple(sorted(merged.items()))


class FormMoments:
    """``(value, error)`` of ``E prod_i |c_i . x|^(alpha n_i)`` over i.i.d. inputs ``x`` of one law (mpmath)."""

    #: the largest walk the law's expectations cover
    max_k = None

    def __init__(self, alpha):
        self.alpha = alpha

    def __call__(self, forms):
        return self._relabelled(relabel(forms))

    @memoized
    def _relabelled(self, forms):
        groups = _canonical(forms)
        if groups is None:
            return mpmath.mpf(0), mpmath.mpf(0)
        return self._normal(normal_form([form for form, _ in groups], [n for _, n in groups]))

    @memoized
    def _normal(self, key):
        return self._moment(tuple((tuple((t, c) for t, c in enumerate(row) if c), n) for n, row in key))

    def _moment(self, groups):
        raise NotImplementedError


class RademacherForms(FormMoments):
    """Finite sums over sign vectors (half of them: the global flip leaves ``|.|`` unchanged)."""

    max_k = 8

    def _moment(self, groups):
        counts, size = sign_values([form for form, _ in groups])
        powers = self.__dict__.setdefault("_powers", {})
        total = mpmath.mpf(0)
        for values, count in counts.items():
            term = mpmath.mpf(count)
            for v, (_, n) in zip(values, groups):
                if (abs(v), n) not in powers:
                    powers[(abs(v), n)] = mpmath.mpf(abs(v)) ** (self.alpha * n)
                term *= powers[(abs(v), n)]
            total += term
        return total / size, mpmath.mpf(0)


class UniformForms(FormMoments):
    """Uniform inputs on ``[-sqrt 3, sqrt 3]``: closed forms for one form and for the pair
    ``x_1 + x_2``, ``x_1 - x_2``; otherwise cube quadrature (:mod:`.cube_forms`, up to four inputs)."""

    max_k = 4

    def _moment(self, groups):
        zero = mpmath.mpf(0)
        if len(groups) == 1:
            (form, n), = groups
            return _uniform_sum_moment([mpmath.sqrt(3) * abs(c) for _, c in form], self.alpha * n), zero
        if len(groups) == 2:
            (f, n), (g, m) = groups
            if (len(f) == len(g) == 2 and [t for t, _ in f] == [t for t, _ in g]
                    and abs(f[0][1]) == abs(f[1][1]) and abs(g[0][1]) == abs(g[1][1])):
                p, q = self.alpha * n, self.alpha * m
                L = 2 * mpmath.sqrt(3)
                diamond = L ** (p + q + 2) * mpmath.beta(p + 1, q + 1) / (6 * (p + q + 2))
                return abs(f[0][1]) ** p * abs(g[0][1]) ** q * diamond, zero
        coords = sorted({t for form, _ in groups for t, _ in form})
        rows = [(tuple(float(dict(form).get(t, 0)) for t in coords), float(self.alpha * n)) for form, n in groups]
        value, err = cube_form_moment(rows)
        return mpmath.mpf(value), mpmath.mpf(err)


def _uniform_sum_moment(a, p):
    """``E |sum_t a_t U_t|^p``, U_t i.i.d. uniform on [-1, 1], a_t > 0 (divided differences)."""
    n = len(a)
    with mpmath.extradps(10 + 3 * n):
        denom = 2 ** n * mpmath.fprod(a) * mpmath.fprod(p + j for j in range(1, n + 1))
        total = mpmath.mpf(0)
        for sigma in product((1, -1), repeat=n):
            y = mpmath.fsum(s * x for s, x in zip(sigma, a))
            sign = mpmath.fprod(sigma) * (mpmath.sign(y) ** n if y else 0)
            total += sign * abs(y) ** (p + n)
        return +(total / denom)


class NormalForms(FormMoments):
    """Normal inputs: one or two forms (Gaussian, closed forms); a cross-check of stable-sin."""

    max_k = 2

    def _moment(self, groups):
        def abs_moment(p):
            return 2 ** (p / 2) * mpmath.gamma((p + 1) / 2) / mpmath.sqrt(mpmath.pi)

        norms = [mpmath.sqrt(sum(c * c for _, c in form)) for form, _ in groups]
        powers = [self.alpha * n for _, n in groups]
        if len(groups) == 1:
            return norms[0] ** powers[0] * abs_moment(powers[0]), mpmath.mpf(0)
        if len(groups) == 2:
            (f, _), (g, _) = groups
            gd = dict(g)
            rho = sum(c * gd.get(t, 0) for t, c in f) / (norms[0] * norms[1])
            p, q = powers
            return (norms[0] ** p * norms[1] ** q * 2 ** ((p + q) / 2) * mpmath.gamma((p + 1) / 2)
                    * mpmath.gamma((q + 1) / 2) * mpmath.hyp2f1(-p / 2, -q / 2, 0.5, rho ** 2) / mpmath.pi,
                    mpmath.mpf(0))
        raise NotCovered("stable weights with sin and normal inputs (shared-input form): blocks of more "
                            "than two rows are not implemented")


#: the input laws with form moments, by law class
FORM_MOMENTS = {Rademacher: RademacherForms, Uniform: UniformForms, Normal: NormalForms}


# -- the method ----------------------------------------------------------------------------------------
class StableSinInputs(SinInputs):
    """Weights of stable(alpha) weights, sin(beta x) and rademacher or uniform inputs (shared inputs)."""

    name = "stable-sin-inputs"
    weights = law_is(Stable, "stable")
    MOMENTS = FORM_MOMENTS
    accuracy = "working precision (rademacher: finite sums, k ≤ 8); uniform (k ≤ 4): ~1e-13, cube quadrature"
    cost = 0.005

    def _setup(self):
        self.alpha = mpmath.mpf(sympy.N(self.model.weights.alpha, self.dps))
        beta = mpmath.mpf(sympy.N(self.model.activation.scale, self.dps))
        self.ba = beta ** self.alpha
        self.forms = self.moments_of(self.model.inputs)(self.alpha)

    @memoized
    def _row(self, c, weight):
        value, _ = self.forms((c,))  # one form: a closed form or a finite sum, exact
        return weight * mpmath.exp(-self.ba * value), mpmath.mpf(0)

    @memoized
    def _block(self, cs):
        value, err = self.forms(cs)
        scale = self.ba ** len(cs)
        return (-1) ** len(cs) * scale * value, scale * err
