"""alpha-stable weights with f = sin and normal inputs: closed forms, quadrature, Monte Carlo."""

import math

import mpmath
import numpy as np
import pytest
import sympy

from checks import assert_numeric_matches_simulation
from momentck import Model
from momentck.engine import kernel_moments, limiting_moments
from momentck.numeric import numeric_weights
from momentck.shapes import enumerate_shapes
from momentck.numeric.stable_sin import StableSinWeights, _BlockQuadrature

Z = 4.0


def _weights(alpha):
    return StableSinWeights(Model(f"stable(alpha={alpha})", "normal", "sin"), 20)


@pytest.mark.parametrize("alpha", ["1/2", "1", "3/2"])
def test_first_moment_by_hand(alpha):
    # h_1 = E sin(h)^2 = E (1 - exp(-2S))/2, E exp(-tS) = exp(-C_alpha t^(alpha/2))
    a = float(sympy.Rational(alpha))
    c = math.gamma(1 + a) * math.sin(math.pi * a / 2) / math.pi
    C = c * 2 / a * math.gamma(1 - a / 2)
    want = (1 - math.exp(-C * 2 ** (a / 2))) / 2
    got = float(limiting_moments(Model(f"stable(alpha={alpha})", "normal", "sin"), 1)[0])
    assert abs(got - want) < 1e-13


@pytest.mark.parametrize("alpha,m", [("1/2", 2), ("3/2", 2), ("1", 4)])
def test_two_row_closed_form_equals_quadrature(alpha, m):
    w = _weights(alpha)
    lams = {0: w.b * m / 2 + 2 * w.b, 1: w.b * m / 2}
    with mpmath.workdps(30):
        closed = w.two_rows(lams[0], lams[1], m)
    quad, err = _BlockQuadrature(w, [0, 1], {(0, 1): m}, {k: float(v) for k, v in lams.items()}, [0]).integrate()
    assert abs(float(closed) - quad) < 1e-9 * abs(quad) + 10 * err


def test_triangle_quadrature_against_shared_input_monte_carlo():
    # Conditioning on the shared inputs xi of the three factors (Gaussian), the incidence
    # integrals become \int nu(dw) sin(w x) sin(w y) = (|x + y|^a - |x - y|^a)/2 (the
    # stable characteristic exponent): an independent representation of the same block.
    w = _weights("3/2")
    value, _ = _BlockQuadrature(w, [0, 1, 2], {(0, 1): 1, (0, 2): 1, (1, 2): 1},
                                {0: 1.0, 1: 1.0, 2: 1.0}, [0, 1]).integrate()
    rng = np.random.default_rng(0)
    G = lambda p, q: 0.5 * (np.abs(p + q) ** 1.5 - np.abs(p - q) ** 1.5)  # noqa: E731
    means = []
    for _ in range(8):
        x, y, z = rng.standard_normal((3, 1_000_000))
        means.append(np.mean(G(x, z) * G(x, y) * G(y, z)))
    mc, se = np.mean(means), np.std(means, ddof=1) / math.sqrt(len(means))
    assert abs(mc - value) < Z * se
    assert se < 0.002 * value


def test_equivalent_shapes_have_equal_weights():
    nw = numeric_weights(Model("stable(alpha=3/2)", "normal", "sin"), 12)
    shapes = {s.text(): s for s in enumerate_shapes(4)}
    a = nw(shapes["B0{0,1,2} | K00^1 K01^1 K02^1 K12^1"])
    b = nw(shapes["B0{0,1,2} | K11^1 K01^1 K02^1 K12^1"])
    assert abs(a[0] - b[0]) < 1e-9 * abs(a[0]) + a[1] + b[1]


@pytest.mark.parametrize("alpha,seed", [("1/2", 1), ("1", 2), ("3/2", 3)])
def test_stable_sin_moments_match_simulation(alpha, seed):
    model = Model(f"stable(alpha={alpha})", "normal", "sin")
    assert_numeric_matches_simulation(model, 3, n=1000, reps=8, seed=seed, max_error=1e-8)


def test_kernel_moments_positive_and_longer_walks_refused():
    model = Model("stable(alpha=1)", "normal", "sin")
    h = kernel_moments(model, 2).floats()
    assert all(x > 0 for x in h)
    from momentck.errors import MomentckError
    five_cycle = [s for s in enumerate_shapes(5) if s.text() == "B0{0,1,2,3,4} | K01^1 K04^1 K12^1 K23^1 K34^1"]
    assert len(five_cycle) == 1
    # the 5-cycle (every mu_a = 0): e^(-5 C_alpha) times the block, here by the Nyström rule
    value, err = numeric_weights(model, 12)(five_cycle[0])
    assert value > 0 and err < 1e-12 * value
    with pytest.raises(MomentckError, match="k <= 6"):
        limiting_moments(model, 7)


def test_cycle_order_recognises_simple_cycles_only():
    from momentck.numeric.sin_cycles import cycle_order
    assert cycle_order([0, 1, 2], {(0, 1): 1, (1, 2): 1, (0, 2): 1}) == [0, 1, 2]
    assert cycle_order([0, 1, 2, 3], {(0, 1): 1, (0, 2): 1, (1, 3): 1, (2, 3): 1}) == [0, 1, 3, 2]
    assert cycle_order([0, 1, 2], {(0, 1): 2, (0, 2): 2}) is None          # a star
    assert cycle_order([0, 1], {(0, 1): 2}) is None
    assert cycle_order([0, 1, 2, 3], {(0, 1): 1, (1, 2): 1, (0, 2): 1, (2, 3): 1}) is None


def _hermite_float(lams, alpha, N):
    """tr(G^1 ... G^L) in float64 with the Hermite-basis matrices (an independent evaluation
    for cycles: a matrix power sum instead of integrals over ordering cones)."""
    from scipy.special import gammaln
    c = math.gamma(1 + alpha) * math.sin(math.pi * alpha / 2) / math.pi
    n = np.arange(1, 2 * N, 2, dtype=float)
    p = n[:, None] + n[None, :]
    prod = np.eye(N)
    for lam in lams:
        prod = prod @ (c * np.exp(gammaln((p - alpha) / 2) - gammaln(n + 1)[:, None] / 2
                                  - gammaln(n + 1)[None, :] / 2 - (p - alpha) / 2 * np.log(lam)))
    return np.trace(prod)


@pytest.mark.parametrize("L", [3, 4])
def test_homogeneous_cycles_against_hermite_traces(L):
    # every lambda = b: the Hermite sums converge only algebraically, so three truncations are
    # Richardson-extrapolated (tail ~ N^-q, q fitted) and compared with the ordering-cone integral
    from momentck.numeric.sin_cycles import homogeneous_cycle_with_error
    value, err = homogeneous_cycle_with_error(L, 1.5)
    s1, s2, s3 = (_hermite_float([1.0] * L, 1.5, N) for N in (250, 500, 1000))
    extrapolated = s3 + (s3 - s2) ** 2 / (s2 - s1 - (s3 - s2)) if s2 != s3 else s3
    assert err < 1e-16 * abs(value)
    assert abs(float(value) - extrapolated) < 2e-13 * abs(extrapolated)


def test_mixed_cycle_and_star_against_float_quadrature():
    w = _weights("3/2")
    lams = {0: mpmath.mpf(3), 1: mpmath.mpf(1), 2: mpmath.mpf(1)}
    tri = {(0, 1): 1, (0, 2): 1, (1, 2): 1}
    with mpmath.workdps(30):
        hv, he = w.block([0, 1, 2], tri, lams)
    qv, qe = _BlockQuadrature(w, [0, 1, 2], tri, {k: float(v) for k, v in lams.items()}, [0, 1]).integrate()
    assert he < 1e-16 * abs(hv) and abs(float(hv) - qv) < qe
    assert abs(float(hv) - _hermite_float([3.0, 1.0, 1.0], 1.5, 60)) < 1e-14
    star, lams = {(0, 1): 2, (0, 2): 2}, {0: mpmath.mpf(2), 1: mpmath.mpf(1), 2: mpmath.mpf(1)}
    with mpmath.workdps(30):
        sv, se = w.block([0, 1, 2], star, lams)
    qv, qe = _BlockQuadrature(w, [0, 1, 2], star, {k: float(v) for k, v in lams.items()}, [0]).integrate()
    assert se < 1e-20 * abs(sv) and abs(float(sv) - qv) < qe + 1e-15


def test_stable_sin_first_four_moments_to_fifteen_digits():
    res = limiting_moments(Model("stable(alpha=3/2)", "normal", "sin"), 4, digits=15)
    assert all(e < 1e-15 * abs(float(v)) for v, e in zip(res.spectral, res.spectral_error))
    assert not res.notes


# -- blocks beyond two-row covers: the Nyström rule in the weights (k = 5) ---------------------------
def _lams(pairs, rows, b, extra=None):
    """lambda_a = b (o_a/2 + 2 i_a) with the off-diagonal counts o_a of the pairs."""
    off = {a: sum(m for p, m in pairs.items() if a in p) for a in rows}
    return {a: b * (off[a] / 2 + 2 * (extra or {}).get(a, 0)) for a in rows}


@pytest.mark.parametrize("alpha", ["3/10", "7/10", "3/2"])
def test_nystrom_block_against_closed_forms_cones_and_quadrature(alpha):
    from momentck.numeric.sin_blocks import nystrom_block
    from momentck.numeric.sin_cycles import homogeneous_cycle_with_error
    w = StableSinWeights(Model(f"stable(alpha={alpha})", "normal", "sin"))
    al, b, c = float(w.alpha), float(w.b), float(w.c_alpha)
    # two rows: the 2F1 closed form (damped rows: no ridge)
    for pairs, extra in [({(0, 1): 2}, {0: 1}), ({(0, 1): 4}, {0: 1, 1: 2})]:
        lams = _lams(pairs, [0, 1], b, extra)
        value, err = nystrom_block([0, 1], pairs, lams, al, b, c)
        want = float(w.two_rows(mpmath.mpf(lams[0]), mpmath.mpf(lams[1]), pairs[(0, 1)]))  # 20 guard digits
        assert abs(value - want) <= err < 1e-12 * want
    # the homogeneous triangle: ordering-cone integrals (sin_cycles), ridge beyond v = 80 included
    tri = {(0, 1): 1, (0, 2): 1, (1, 2): 1}
    value, err = nystrom_block([0, 1, 2], tri, _lams(tri, [0, 1, 2], b), al, b, c)
    want = float(homogeneous_cycle_with_error(3, al)[0]) * b ** (3 * al / 2)
    assert abs(value - want) <= err < 1e-6 * want
    # a damped block of four rows with a two-row cover: the adaptive cover quadrature
    rows, pairs = [0, 1, 2, 3], {(0, 1): 2, (1, 2): 1, (1, 3): 1, (2, 3): 1}
    lams = _lams(pairs, rows, b, {1: 1, 3: 1})
    value, err = nystrom_block(rows, pairs, lams, al, b, c)
    qv, qe = _BlockQuadrature(w, rows, pairs, lams, [1, 2]).integrate()
    assert abs(value - qv) <= err + qe and err < 1e-9 * value  # the step-2h rule is still coarse at alpha = 0.3


@pytest.mark.parametrize("alpha", ["7/10", "3/2"])
def test_five_cycle_against_the_hermite_trace(alpha):
    # a damped 5-cycle (some mu_a > 0): the Hermite-basis trace converges geometrically
    from momentck.numeric.sin_blocks import nystrom_block
    from momentck.numeric.sin_cycles import hermite_cycle
    w = StableSinWeights(Model(f"stable(alpha={alpha})", "normal", "sin"))
    al, b, c = float(w.alpha), float(w.b), float(w.c_alpha)
    rows = list(range(5))
    pairs = {(a, a + 1): 1 for a in range(4)} | {(0, 4): 1}
    lams = _lams(pairs, rows, b, {0: 1, 2: 1})
    value, err = nystrom_block(rows, pairs, lams, al, b, c)
    hv, he = hermite_cycle([mpmath.mpf(lams[a]) for a in rows], w.alpha, w.b, w.c_alpha, 30, mpmath.mpf(10) ** -14)
    assert abs(value - float(hv)) <= err + float(he) and err < 1e-8 * value  # a conservative step-2h estimate


def test_homogeneous_five_cycle_against_shared_input_monte_carlo():
    # the 5-cycle block of k = 5 (every mu_a = 0) conditioned on its shared inputs:
    # E prod_i (|x_i + x_i+1|^a - |x_i - x_i+1|^a)/2 over standard normals (MATH.md §4)
    from momentck.numeric.sin_blocks import nystrom_block
    al = 1.5
    w = StableSinWeights(Model("stable(alpha=3/2)", "normal", "sin"))
    rows = list(range(5))
    pairs = {(a, a + 1): 1 for a in range(4)} | {(0, 4): 1}
    value, err = nystrom_block(rows, pairs, _lams(pairs, rows, 1.0), al, 1.0, float(w.c_alpha))
    rng = np.random.default_rng(17)
    draws = []
    for _ in range(8):
        x = rng.standard_normal((5, 400_000))
        y = np.roll(x, -1, axis=0)
        draws.append(np.mean(np.prod((np.abs(x + y) ** al - np.abs(x - y) ** al) / 2, axis=0)))
    mc, se = np.mean(draws), np.std(draws, ddof=1) / math.sqrt(8)
    assert abs(mc - value) < 4 * se and se < 0.01 * mc and err < 1e-12 * value
