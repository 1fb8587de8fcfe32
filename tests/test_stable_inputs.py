"""alpha-stable weights with f = sin and rademacher or uniform inputs (conditioning on the inputs)."""

import math

import mpmath
import numpy as np
import pytest
import sympy

from checks import assert_numeric_matches_simulation
from momentck import Model
from momentck.engine import limiting_moments
from momentck.errors import MomentckError
from momentck.laws import Normal
from momentck.numeric import select
from momentck.numeric.base import law_is
from momentck.numeric.cube_forms import _moment, cube_form_moment
from momentck.numeric.stable_inputs import RademacherForms, StableSinInputs, UniformForms, _uniform_sum_moment
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
    # conditions on the weights instead): every shape of k <= 4 whose blocks have at most two rows
    model = Model(f"stable(alpha={alpha})", "normal", "sin")
    mine, theirs = _NormalInputs(model, 20), StableSinWeights(model, 20)
    shapes = [s for k in (1, 2, 3, 4) for s in enumerate_shapes(k) if all(len(b) <= 2 for b in s.blocks)]
    assert len(shapes) == 13
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
        assert abs(forms([((0, 2), (1, -1))])[0] - want) < 1e-12
    # x_1 + x_2 and x_1 - x_2 (the diamond)
    want = mpmath.quad(lambda u: mpmath.quad(lambda v: abs(u + v) ** p * abs(u - v) ** p,
                                             [-r3, -abs(u), abs(u), r3]), [-r3, 0, r3]) / 12
    assert abs(forms([((0, 1), (1, 1)), ((0, 3), (1, -3))])[0] / 3 ** p - want) < 1e-10


@pytest.mark.parametrize("p", [0.7, 1.5])
def test_cube_quadrature_reproduces_the_closed_forms(p):
    r3 = mpmath.sqrt(3)
    for coefs in [(1.0, 1.0), (2.0, -1.0, 1.0), (2.0, 2.0, 1.0)]:
        value, err = cube_form_moment([(coefs, p)])
        want = _uniform_sum_moment([r3 * abs(c) for c in coefs], mpmath.mpf(p))
        assert err < 1e-12 and abs(value - want) < 2e-13 * want
    value, err = cube_form_moment([((1.0, 1.0), p), ((1.0, -1.0), 2 * p)])
    L = 2 * r3
    want = L ** (3 * p + 2) * mpmath.beta(p + 1, 2 * p + 1) / (6 * (3 * p + 2))
    assert err < 1e-12 and abs(value - want) < 2e-13 * want


def test_four_input_cube_quadrature():
    # D = 4 (3-D facets cut into polyhedra): one form against the divided-difference closed form
    r3 = mpmath.sqrt(3)
    p = 1.5
    value, err = cube_form_moment([((1.0, 2.0, -0.5, 1.5), p)])
    want = _uniform_sum_moment([r3 * c for c in (1.0, 2.0, 0.5, 1.5)], mpmath.mpf(p))
    assert err < 1e-12 and abs(value - want) < 2e-13 * want
    # forms in disjoint inputs factorise: E|x1 + 2 x2|^p |x3 - x4|^(2p) = E|x1 + 2 x2|^p E|x3 - x4|^(2p)
    value, err = cube_form_moment([((1.0, 2.0, 0.0, 0.0), p), ((0.0, 0.0, 1.0, -1.0), 2 * p)])
    want = (_uniform_sum_moment([r3, 2 * r3], mpmath.mpf(p))
            * _uniform_sum_moment([r3, r3], mpmath.mpf(2 * p)))
    assert err < 1e-12 and abs(value - want) < 2e-13 * want
    # an input no form depends on: the 4-cube's facets against the 3-cube's polygons
    coefs = np.array([(1.0, 0.0, 1.0), (1.0, 1.0, 0.0), (0.0, 1.0, -1.0)])
    powers = np.array([0.7, 0.7, 0.7])
    three, e3 = _moment(coefs, powers)
    four, e4 = _moment(np.hstack([coefs, np.zeros((3, 1))]), powers)
    assert e3 < 1e-12 and e4 < 1e-12 and abs(three - four) < 1e-13 * three


def test_uniform_triangle_against_monte_carlo():
    # the triangle block of h_3: E |x1 + x3|^a |x1 + x2|^a |x2 - x3|^a over uniform inputs
    a = 0.7
    value, err = cube_form_moment([((1.0, 0.0, 1.0), a), ((1.0, 1.0, 0.0), a), ((0.0, 1.0, -1.0), a)])
    rng = np.random.default_rng(5)
    means = []
    for _ in range(8):
        x = rng.uniform(-math.sqrt(3), math.sqrt(3), size=(3, 500_000))
        means.append(np.mean(np.abs(x[0] + x[2]) ** a * np.abs(x[0] + x[1]) ** a * np.abs(x[1] - x[2]) ** a))
    mc, se = np.mean(means), np.std(means, ddof=1) / math.sqrt(len(means))
    assert err < 1e-12 and abs(mc - value) < 4 * se and se < 1e-3 * value


def test_rademacher_form_moments_by_hand():
    forms = RademacherForms(mpmath.mpf("0.5"))
    # |x1 + x2|^a |x1 - x2|^a = 0 for every sign vector; |2 x1 + x2|^a: (3^a + 1)/2
    assert forms([((0, 1), (1, 1)), ((0, 1), (1, -1))]) == (0, 0)
    assert abs(forms([((0, 2), (1, 1))])[0] - (mpmath.sqrt(3) + 1) / 2) < 1e-30
    assert forms([((0, 0),)]) == (0, 0)


def test_selection_and_walk_limits():
    assert select(Model("stable(alpha=3/2)", "rademacher", "sin"), 4)[0] is StableSinInputs
    assert select(Model("stable(alpha=3/2)", "normal", "sin"), 4)[0] is StableSinWeights
    assert select(Model("stable(alpha=7/10)", "uniform", "sin"), 4)[0] is StableSinInputs
    method, why = select(Model("stable(alpha=7/10)", "uniform", "sin"), 5)
    assert method is None and "k <= 4, not k = 5" in why
    with pytest.raises(MomentckError, match="more than four shared inputs"):
        StableSinInputs(Model("stable(alpha=1)", "uniform", "sin"))(
            next(s for s in enumerate_shapes(5) if len(s.blocks) == 1 and s.rows == 5))


@pytest.mark.parametrize("alpha,inputs,k,n,reps,seed", [
    ("3/2", "rademacher", 4, 600, 6, 11), ("7/10", "rademacher", 3, 600, 6, 12),
    ("3/2", "uniform", 4, 800, 6, 31), ("7/10", "uniform", 3, 800, 6, 32)])
def test_moments_match_simulation(alpha, inputs, k, n, reps, seed):
    model = Model(f"stable(alpha={alpha})", inputs, "sin")
    assert_numeric_matches_simulation(model, k, n=n, reps=reps, seed=seed, max_error=1e-12)


def test_block_tree_sum_equals_the_plain_option_sum():
    # the option sum is taken block by block along the block tree (sum-product); the plain sum over every
    # combination of the rows' options, written out here, must give the same weights
    from itertools import product

    from momentck.numeric.sin_inputs import row_options, row_slots

    def plain(method, shape):
        total = mpmath.mpf(0)
        for choice in product(*(list(row_options(s).items()) for s in row_slots(shape))):
            term = mpmath.fprod(method._row(c, w)[0] for c, w in choice)
            for block in shape.blocks:
                term *= method._block(tuple(choice[a][0] for a in block))[0]
            total += term
        return total * (-1) ** shape.k / mpmath.mpf(4) ** shape.k

    method = StableSinInputs(Model("stable(alpha=7/10)", "rademacher", "sin(scale=3/2)"), 20)
    shapes = [s for k in range(1, 6) for s in enumerate_shapes(k)]
    assert len(shapes) == 52 and sum(len(s.blocks) >= 2 for s in shapes) == 10
    with mpmath.workdps(30):
        for s in shapes:
            value, err = method(s)
            assert abs(value - plain(method, s)) < mpmath.mpf(10) ** -25 and err < mpmath.mpf(10) ** -15, s.text()
