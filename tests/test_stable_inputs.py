"""alpha-stable weights with f = sin and rademacher or uniform inputs (conditioning on the inputs)."""

import math

import mpmath
import pytest
import sympy

from checks import assert_numeric_matches_simulation
from momentck import Model
from momentck.engine import limiting_moments
from momentck.errors import MomentckError
from momentck.laws import Normal
from momentck.numeric import select
from momentck.numeric.base import law_is
from momentck.numeric.stable_inputs import RademacherForms, StableSinInputs, UniformForms
from momentck.numeric.stable_sin import StableSinWeights
from momentck.shapes import enumerate_shapes


class _NormalInputs(StableSinInputs):
    """The same method with the Gaussian form moments (not registered: stable-sin covers normal inputs)."""
    inputs = law_is(Normal, "normal")


@pytest.mark.parametrize("alpha", ["3/2", "7/10"])
@pytest.mark.parametrize("inputs,abs_moment", [("rademacher", lambda a: 1.0),
                                                ("uniform", lambda a: 3 ** (a / 2) / (1 + a))])
@pytest.mark.parametrize("scale", [1, 2])
def test_first_moment_is_sin_squared_of_a_stable_law(alpha, inputs, abs_moment, scale):
    # given the inputs, h = sum_j W_j x_j is alpha-stable with scale sigma = (E|x|^alpha)^(1/alpha), so
    # h_1 = E sin^2(beta sigma Z) = (1 - exp(-(2 beta sigma)^alpha))/2 (E e^{itZ} = e^{-|t|^alpha})
    a = float(sympy.Rational(alpha))
    want = (1 - math.exp(-(2 * scale) ** a * abs_moment(a))) / 2
    got = limiting_moments(Model(f"stable(alpha={alpha})", inputs, f"sin(scale={scale})"), 1)
    assert got.method == "numeric" and abs(got.floats()[0] - want) < 1e-14


@pytest.mark.parametrize("alpha", ["3/2", "1", "7/10"])
def test_gaussian_form_moments_reproduce_stable_sin(alpha):
    # with normal inputs the shared-input representation must give the weights of stable-sin (which
    # conditions on the weights instead): every shape of k <= 3 whose blocks have at most two rows
    model = Model(f"stable(alpha={alpha})", "normal", "sin")
    mine, theirs = _NormalInputs(model, 20), StableSinWeights(model, 20)
    shapes = [s for k in (1, 2, 3) for s in enumerate_shapes(k) if all(len(b) <= 2 for b in s.blocks)]
    assert len(shapes) == 6
    for s in shapes:
        (x, ex), (y, ey) = mine(s), theirs(s)
        assert abs(x - y) < ex + ey + mpmath.mpf(10) ** -18, s.text()


@pytest.mark.parametrize("p", [0.7, 1.5, 2.2])
def test_uniform_form_moments_against_quadrature(p):
    forms = UniformForms(mpmath.mpf(p))
    r3 = math.sqrt(3)
    # one form, 2 x_1 - x_2: a 2-D integral split where the form vanishes
    want = mpmath.quad(lambda u: mpmath.quad(lambda v: abs(2 * u - v) ** p, [-r3, 2 * u, r3]
                                             if abs(2 * u) < r3 else [-r3, r3]), [-r3, -r3 / 2, 0, r3 / 2, r3]) / 12
    with mpmath.workdps(25):
        assert abs(forms([((0, 2), (1, -1))]) - want) < 1e-12
    # x_1 + x_2 and x_1 - x_2 (the diamond)
    want = mpmath.quad(lambda u: mpmath.quad(lambda v: abs(u + v) ** p * abs(u - v) ** p,
                                             [-r3, -abs(u), abs(u), r3]), [-r3, 0, r3]) / 12
    assert abs(forms([((0, 1), (1, 1)), ((0, 3), (1, -3))]) / 3 ** p - want) < 1e-10


def test_rademacher_form_moments_by_hand():
    forms = RademacherForms(mpmath.mpf("0.5"))
    # |x1 + x2|^a |x1 - x2|^a = 0 for every sign vector; |2 x1 + x2|^a: (3^a + 1)/2
    assert forms([((0, 1), (1, 1)), ((0, 1), (1, -1))]) == 0
    assert abs(forms([((0, 2), (1, 1))]) - (mpmath.sqrt(3) + 1) / 2) < 1e-30
    assert forms([((0, 0),)]) == 0


def test_selection_and_walk_limits():
    assert select(Model("stable(alpha=3/2)", "rademacher", "sin"), 4)[0] is StableSinInputs
    assert select(Model("stable(alpha=3/2)", "normal", "sin"), 4)[0] is StableSinWeights
    method, why = select(Model("stable(alpha=7/10)", "uniform", "sin"), 3)
    assert method is None and "k <= 2, not k = 3" in why
    with pytest.raises(MomentckError, match="not implemented"):
        StableSinInputs(Model("stable(alpha=1)", "uniform", "sin"))(
            next(s for s in enumerate_shapes(3) if len(s.blocks) == 1 and s.rows == 3))


@pytest.mark.parametrize("alpha,inputs,k,n,reps,seed", [
    ("3/2", "rademacher", 4, 600, 6, 11), ("7/10", "rademacher", 3, 600, 6, 12),
    ("3/2", "uniform", 2, 800, 6, 13), ("7/10", "uniform", 2, 800, 6, 14)])
def test_moments_match_simulation(alpha, inputs, k, n, reps, seed):
    model = Model(f"stable(alpha={alpha})", inputs, "sin")
    assert_numeric_matches_simulation(model, k, n=n, reps=reps, seed=seed, max_error=1e-12)
