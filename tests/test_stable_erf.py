"""alpha-stable weights with f = erf and normal inputs: the u-substitution against
independent representations, and the moments against Monte Carlo."""

import math

import mpmath
import numpy as np
import pytest
import sympy
from scipy.special import hyp2f1

from checks import assert_numeric_matches_simulation
from momentck import Model
from momentck.engine import limiting_moments
from momentck.errors import MomentckError
from momentck.shapes import enumerate_shapes
from momentck.numeric.stable_erf import StableErfWeights

Z = 4.0


def _model(alpha, scale=1):
    act = "erf" if scale == 1 else f"erf(scale={scale})"
    return Model(f"stable(alpha={alpha})", "normal", act)


def _shape(k, text):
    return next(s for s in enumerate_shapes(k) if s.text() == text)


def _laplace_moment(weights, p):
    """E (1 + b S)^(-p) = Gamma(p)^-1 int y^(p-1) e^-y exp(-C (b y)^(alpha/2)) dy (y = t^(1/p))."""
    a = weights.alpha / 2
    return mpmath.quad(lambda t: mpmath.exp(-t ** (1 / p) - weights.C * (weights.b * t ** (1 / p)) ** a) / p,
                       [0, 1, 10, mpmath.inf]) / mpmath.gamma(p)


@pytest.mark.parametrize("alpha", ["1/2", "1", "3/2"])
def test_law_of_the_rest_against_its_laplace_transform(alpha):
    w = StableErfWeights(_model(alpha))
    q, qc, p = w.q_rule(w.level)
    assert abs(p.sum() - 1) < 1e-14
    assert np.allclose(q + qc, 1, rtol=0, atol=1e-15)
    for power in (w.alpha / 2, w.alpha, 1.0):
        with mpmath.workdps(30):
            want = float(_laplace_moment(w, power))
        assert abs(p @ q ** power - want) < 1e-12


@pytest.mark.filterwarnings("ignore:stable.*alpha -> 2")
@pytest.mark.parametrize("alpha,scale", [("1/2", 1), ("1", 1), ("3/2", 1), ("1", 2), ("1/10", 1), ("199/100", "1/10")])
def test_first_moment_by_bernstein_representation(alpha, scale):
    # D(s) = (2/pi) arcsin(b s/(1 + b s)), b = 2 beta^2, has D' = (2b/pi)(1 + bs)^-1 (1 + 2bs)^-1/2,
    # so D(s) = int (1 - e^{-lambda s}) m(lambda) d lambda with
    # lambda m(lambda) = (2/pi) e^{-lambda/b} erfi(sqrt(lambda/(2b)))  (inverse Laplace transforms),
    # and h_1 = E D(S) = int (1 - exp(-C lambda^{alpha/2})) m(lambda) d lambda: no law of S needed.
    model = _model(alpha, scale)
    a = float(sympy.Rational(alpha))
    C = float(sympy.N(model.weights.C_alpha, 20))
    b = 2 * float(sympy.Rational(scale)) ** 2
    with mpmath.workdps(25):
        want = mpmath.quad(lambda lam: -mpmath.expm1(-C * lam ** (a / 2)) * 2 / mpmath.pi
                           * mpmath.exp(-lam / b) * mpmath.erfi(mpmath.sqrt(lam / (2 * b))) / lam,
                           [0, 1, 10, 100, mpmath.inf])
    res = limiting_moments(model, 1)
    assert res.method == "numeric"
    assert abs(float(res[0]) - float(want)) < 1e-12
    assert res.kernel_error[0] < 1e-10


def _Q(x, y, alpha, c):
    """int nu(dw) erf(w x) erf(w y) in closed form (independent of the u-substitution).

    erf(wx) erf(wy) = (4/pi) w^2 int_0^x int_0^y e^{-(s^2+t^2) w^2} ds dt, the w-integral is a
    Gamma function, and the rectangle integral of r^(alpha-2) in polar coordinates gives
    (4 c Gamma(1 - alpha/2)/(pi alpha)) [x^a G(y/x) + y^a G(x/y)], G(z) = int_0^z (1+v^2)^(a/2-1) dv.
    """
    ax, ay = np.abs(x), np.abs(y)
    G = lambda z: z * hyp2f1(0.5, 1 - alpha / 2, 1.5, -z * z)  # noqa: E731
    K = 4 * c * math.gamma(1 - alpha / 2) / (math.pi * alpha)
    return np.sign(x) * np.sign(y) * K * (ax ** alpha * G(ay / ax) + ay ** alpha * G(ax / ay))


def test_Q_closed_form_against_quadrature():
    alpha = 1.3
    c = math.gamma(1 + alpha) * math.sin(math.pi * alpha / 2) / math.pi
    for x, y in [(0.7, 1.9), (2.0, 0.1), (-1.0, 1.0)]:
        want = 2 * c * mpmath.quad(lambda w: w ** (-1 - alpha) * mpmath.erf(w * x) * mpmath.erf(w * y),
                                   [0, 1, mpmath.inf])
        assert abs(_Q(np.array(x), np.array(y), alpha, c) - float(want)) < 1e-10 * abs(float(want))


@pytest.mark.parametrize("alpha", ["1/2", "3/2", "19/10"])
def test_blocks_against_shared_input_representation(alpha):
    # Conditioning each factor on its shared input x_t ~ N(0,1): K_ab = E_x erf(beta_a w_a x) erf(beta_b w_b x)
    # with beta_a = 1/sqrt(1 + 2 S_a), and every row of a pure off-diagonal block integrates to
    # E[beta^alpha] Q(x_t, x_t'):  triangle = E[beta^a]^3 E Q(x1,x2) Q(x2,x3) Q(x3,x1),
    # two-row block = E[beta^a]^2 E Q(x1,x2)^2 (Monte Carlo over the Gaussian x's).
    model = _model(alpha)
    w = StableErfWeights(model)
    with mpmath.workdps(25):
        eb = float(_laplace_moment(w, w.alpha / 2))  # E beta^alpha = E q^(alpha/2), beta = 1
    c = w.c
    rng = np.random.default_rng(11)
    tri, two = [], []
    for _ in range(8):
        x1, x2, x3 = rng.standard_normal((3, 400_000))
        q12 = _Q(x1, x2, w.alpha, c)
        tri.append(np.mean(q12 * _Q(x2, x3, w.alpha, c) * _Q(x3, x1, w.alpha, c)) * eb ** 3)
        two.append(np.mean(q12 ** 2) * eb ** 2)
    for text, k, draws in [("B0{0,1,2} | K01^1 K02^1 K12^1", 3, tri), ("B0{0,1} | K01^2", 2, two)]:
        s = _shape(k, text)
        value, err = w(s)
        assert err < 1e-10 * abs(value)
        _assert_mean_near(draws, value, max_rel_se=0.003)


@pytest.mark.parametrize("alpha,scale,seed", [("1/2", 1, 1), ("1", 1, 2), ("3/2", 1, 3), ("1", 2, 4)])
def test_stable_erf_moments_match_simulation(alpha, scale, seed):
    assert_numeric_matches_simulation(_model(alpha, scale), 3, n=1000, reps=8, seed=seed, max_error=1e-9)


def test_relabelled_shapes_have_equal_weights():
    w = StableErfWeights(_model("1"))
    shapes = {s.text(): s for s in enumerate_shapes(4)}
    a = w(shapes["B0{0,1,2} | K00^1 K01^1 K02^1 K12^1"])
    b = w(shapes["B0{0,1,2} | K11^1 K01^1 K02^1 K12^1"])
    assert abs(a[0] - b[0]) < 1e-12 * abs(a[0]) + a[1] + b[1]


def test_walk_length_limits_are_stated_up_front():
    with pytest.raises(MomentckError, match=r"k <= 7"):
        limiting_moments(_model("1"), 8)
    with pytest.raises(MomentckError, match=r"k <= 6"):
        limiting_moments(Model("stable(alpha=1)", "normal", "sin"), 7)


def _engine_weight(alpha, k, text):
    """The weights object, and the weight and error of the shape with this text."""
    w = StableErfWeights(_model(alpha))
    s = _shape(k, text)
    return (w, *w(s))


def _assert_mean_near(draws, value, max_rel_se):
    """The mean of the batch means is within Z standard errors of value, the standard error
    below max_rel_se of the mean (so that the check has power)."""
    mc, se = np.mean(draws), np.std(draws, ddof=1) / math.sqrt(len(draws))
    assert abs(mc - float(value)) < Z * se, (mc, se, value)
    assert se < max_rel_se * abs(mc)


def _levy_draws(alpha, c, size, rng):
    """Positive weights v with importance weights: E[g(v) iw] = int_0^inf g(v) 2 c v^(-1-alpha) dv.

    v is drawn from the density (2-a) v^(1-a)/2 on (0, 1) and a v^(-1-a)/2 on (1, inf).
    """
    u, low = rng.uniform(size=size), rng.uniform(size=size) < 0.5
    v = np.where(low, u ** (1 / (2 - alpha)), u ** (-1 / alpha))
    density = np.where(v < 1, 0.5 * (2 - alpha) * v ** (1 - alpha), 0.5 * alpha * v ** (-1 - alpha))
    return v, 2 * c * v ** (-1 - alpha) / density


def _kanter_rest(alpha, C, size, rng):
    """Samples of S, E exp(-tS) = exp(-C t^(alpha/2)), by Kanter's representation."""
    a = alpha / 2
    phi, E = rng.uniform(0, np.pi, size), rng.exponential(size=size)
    A = (np.sin(a * phi) / np.sin(phi)) ** (1 / (1 - a)) * np.sin((1 - a) * phi) / np.sin(a * phi)
    return C ** (1 / a) * (A / E) ** ((1 - a) / a)


@pytest.mark.parametrize("alpha", ["1/2", "3/2"])
def test_diagonal_factor_in_a_block_against_importance_sampling(alpha):
    # Shape K00 K01^2 (row 0 carries a diagonal factor).  In the original weight variables,
    # with v = w/sqrt(1 + 2 S_a) (scale invariance of nu) and q = 1/(1 + 2S):
    #   weight = E[q_b^(a/2) Q(x1, x2) q_a^(a/2) int nu(dv) (2/pi) arcsin(1 - q_a/(1 + 2 v^2)) erf(v x1) erf(v x2)],
    # sampled with v drawn from a two-piece power density (importance sampling).
    from scipy.special import erf
    w, value, err = _engine_weight(alpha, 3, "B0{0,1} | K00^1 K01^2")
    al, c = w.alpha, w.c
    rng = np.random.default_rng(5)
    draws = []
    for _ in range(8):
        n = 400_000
        x1, x2 = rng.standard_normal((2, n))
        v, iw = _levy_draws(al, c, n, rng)
        qa, qb = (1 / (1 + 2 * _kanter_rest(al, w.C, n, rng)) for _ in range(2))
        diag = 2 / np.pi * np.arcsin(1 - qa / (1 + 2 * v * v))
        f = (qa * qb) ** (al / 2) * _Q(x1, x2, al, c) * diag * erf(v * x1) * erf(v * x2)
        draws.append(np.mean(f * iw))
    assert err < 1e-10 * abs(value)
    _assert_mean_near(draws, value, max_rel_se=0.003)


@pytest.mark.parametrize("alpha", ["1/2", "3/2"])
def test_row_in_two_blocks_against_importance_sampling(alpha):
    # Shape B0{0,1} B1{1,2} | K01^2 K12^2: row 1 lies in two blocks (weights w, w').  Conditioning
    # the factors on their shared inputs x1..x4, rows 0 and 2 give E[q^(a/2)] Q(x1, x2) and
    # E[q^(a/2)] Q(x3, x4), and row 1 gives
    #   int nu(dw) nu(dw') E_S erf(w x1/r') erf(w x2/r') erf(w' x3/r) erf(w' x4/r),
    # r' = sqrt(1 + 2 S + 2 w'^2), r = sqrt(1 + 2 S + 2 w^2): sampled with importance weights.
    from scipy.special import erf
    w, value, err = _engine_weight(alpha, 4, "B0{0,1} B1{1,2} | K01^2 K12^2")
    al, c = w.alpha, w.c
    with mpmath.workdps(25):
        eq = float(_laplace_moment(w, al / 2))
    rng = np.random.default_rng(6)
    draws = []
    for _ in range(8):
        n = 400_000
        x1, x2, x3, x4 = rng.standard_normal((4, n))
        (v, iv), (v2, iv2) = _levy_draws(al, c, n, rng), _levy_draws(al, c, n, rng)
        S = _kanter_rest(al, w.C, n, rng)
        r2, r1 = np.sqrt(1 + 2 * S + 2 * v2 ** 2), np.sqrt(1 + 2 * S + 2 * v ** 2)
        row1 = erf(v * x1 / r2) * erf(v * x2 / r2) * erf(v2 * x3 / r1) * erf(v2 * x4 / r1) * iv * iv2
        draws.append(np.mean(eq ** 2 * _Q(x1, x2, al, c) * _Q(x3, x4, al, c) * row1))
    assert err < 1e-9 * abs(value)
    _assert_mean_near(draws, value, max_rel_se=0.01)


# -- k = 6: rows in three blocks, blocks of up to six rows, messages along the block tree ------------
def _shape_where(k, test):
    return next(s for s in enumerate_shapes(k) if test(s))


def _blocks_per_row(s):
    return [sum(1 for b in s.blocks if a in b) for a in range(s.rows)]


def _cycle_block(k):
    """The shape whose one block of k rows carries a k-cycle of single factors."""
    return _shape_where(k, lambda s: len(s.blocks) == 1 and s.rows == k and sum(s.diag) == 0)


@pytest.mark.parametrize("alpha", ["1/2", "3/2"])
@pytest.mark.parametrize("k", [4, 5, 6])
def test_cycle_blocks_against_a_trace_on_the_shared_inputs(alpha, k):
    # Conditioning on the shared inputs (one per factor), each row of a k-cycle block contributes
    # E[q^(alpha/2)] Q(x_t, x_t+1), so w = E[q^(a/2)]^k tr T^k, T the operator with kernel Q on
    # L^2(N(0,1)).  Q(x,y) = sgn(x)sgn(y)Q(|x|,|y|) and every x appears twice, so T may act on |x|
    # (density 2 phi); with x = e^s, Q is homogeneous of degree alpha and analytic in a strip of
    # (s, t) (G's branch points at +-i), so the trapezoid rule in s converges exponentially.
    w = StableErfWeights(_model(alpha))
    value, err = w(_cycle_block(k))
    with mpmath.workdps(25):
        eq = float(_laplace_moment(w, w.alpha / 2))
    h = 0.05
    s = np.arange(-40.0, 3.5, h)
    x = np.exp(s)
    root = np.sqrt(h * x * 2 * np.exp(-x * x / 2) / math.sqrt(2 * math.pi))
    A = root[:, None] * _Q(x[:, None], x[None, :], w.alpha, w.c) * root[None, :]
    want = eq ** k * np.trace(np.linalg.matrix_power(A, k))
    assert err < 1e-12 * abs(value)
    assert abs(float(value) - want) < 1e-11 * abs(want), (float(value), want)


def _levy_weight_draws(shape, alpha, c, C, size, rng, b=2.0):
    """One importance-sampled draw of w(shape) per sample, in the original weights (no u-substitution):
    every incidence weight from the two-piece power density, every rest by Kanter, and the factors
    (2/pi) arcsin(b w_a w_b / sqrt((1 + b s_a)(1 + b s_b))), (2/pi) arcsin(b s_a/(1 + b s_a)) (MATH.md §4)."""
    weight = {}
    out = np.ones(size)
    for j, block in enumerate(shape.blocks):
        for a in block:
            weight[(a, j)], iw = _levy_draws(alpha, c, size, rng)
            out *= iw
    s = [_kanter_rest(alpha, C, size, rng) + sum(weight[(a, j)] ** 2 for j, blk in enumerate(shape.blocks)
                                                 if a in blk) for a in range(shape.rows)]
    for a, d in enumerate(shape.diag):
        out *= (2 / np.pi * np.arcsin(b * s[a] / (1 + b * s[a]))) ** d
    for (a, bb), m in shape.pairs:
        j = shape.pair_blocks[(a, bb)]
        z = b * weight[(a, j)] * weight[(bb, j)] / np.sqrt((1 + b * s[a]) * (1 + b * s[bb]))
        out *= (2 / np.pi * np.arcsin(z)) ** m
    return out


@pytest.mark.parametrize("alpha,which,seed", [
    ("3/2", "star", 21), ("7/10", "star", 22),    # the row in three blocks (a b a c a d a)
    ("3/2", "path", 23),                            # a pair between two rows in two blocks each
    ("7/10", "bowtie", 24),                         # two triangles sharing a row
    ("3/2", "diag", 25),                            # a diagonal factor at a row in two blocks
])
def test_k6_shapes_against_importance_sampling_in_the_weights(alpha, which, seed):
    test = {"star": lambda s: max(_blocks_per_row(s)) == 3,
            "path": lambda s: len(s.blocks) == 3 and sum(_blocks_per_row(s)) == 6 and max(s.diag) == 0
            and max(_blocks_per_row(s)) == 2,
            "bowtie": lambda s: [len(b) for b in s.blocks] == [3, 3] and max(s.diag) == 0,
            "diag": lambda s: len(s.blocks) == 2 and s.diag[1] == 2 and _blocks_per_row(s)[1] == 2}[which]
    shape = _shape_where(6, test)
    w = StableErfWeights(_model(alpha))
    value, err = w(shape)
    rng = np.random.default_rng(seed)
    draws = [np.mean(_levy_weight_draws(shape, w.alpha, w.c, w.C, 200_000, rng)) for _ in range(8)]
    assert err < 1e-8 * abs(value)
    _assert_mean_near(draws, value, max_rel_se=0.01)


def test_diagonal_table_against_direct_sums():
    # the Chebyshev interpolant in sqrt(1 - U) against E_q[q^t D(1 - s q)^d] summed at each s
    from momentck.numeric.stable_erf import _interpolate_in_sqrt, _diagonal_factor
    w = StableErfWeights(_model("7/10"))
    q, _, p = w.q_rule(w.level + 1)
    s = np.concatenate([[0.0, 1e-300, 1e-30, 1e-8, 1.0], np.random.default_rng(3).uniform(size=20)])
    for d, tilt in [(1, 0.35), (2, 0.7), (3, 1.05)]:
        want = np.array([math.fsum(_diagonal_factor(x * q) ** d * p * q ** tilt) for x in s])
        got = _interpolate_in_sqrt(w.diag_table(w.level, d, tilt), s)
        assert np.max(np.abs(got - want)) < 1e-15 * (p @ q ** tilt)


def test_stable_erf_k6_matches_simulation(monkeypatch):
    # m_1..m_6 of stable(3/2) x normal x erf, phi = psi = 1, against simulate (4 SE).  The levels
    # (3, 2) instead of (4, 3) keep the limit to seconds: its bounds, 7e-6 at m_6, are far below
    # the standard errors (1e-3 to 1e-2 relative); not cached, so no coarse value is stored.
    from momentck.simulation import simulate
    monkeypatch.setattr(StableErfWeights, "level", 3)
    model = _model("3/2")
    res = limiting_moments(model, 6, cache=False, workers=1)
    assert res.method == "numeric" and max(res.spectral_error) < 1e-4
    mc = simulate(model, 1500, 6, reps=6, seed=7, progress=False)
    z = (mc.moments - np.array(res.floats())) / mc.stderr
    assert np.all(np.abs(z) < Z), z
