"""The Fourier weight method (momentck.numeric.fourier): sine measures, independent representations, simulation."""

from itertools import product
from math import gamma, pi, sqrt

import mpmath
import numpy as np
import pytest
from scipy import integrate, special, stats

from checks import assert_moments_match_simulation
from momentck import Model
from momentck.engine import limiting_moments
from momentck.errors import MomentckError
from momentck.numeric import select
from momentck.numeric.fourier import FourierWeights
from momentck.numeric.sine_measures import SineMeasure
from momentck.numeric.sparse_signs import SparseSignWeights
from momentck.numeric.stable_erf import StableErfWeights
from momentck.numeric.stable_inputs import StableSinInputs
from momentck.numeric.stable_sin import StableSinWeights
from momentck.shapes import enumerate_shapes

FUNCS = {"tanh": np.tanh, "atan": np.arctan, "erf": special.erf}


def _shapes(kmax):
    return [s for k in range(1, kmax + 1) for s in enumerate_shapes(k)]


@pytest.mark.parametrize("name", ["tanh", "atan", "erf"])
def test_sine_measures_represent_f_and_f_squared(name):
    beta = 0.7
    m, f = SineMeasure(name, beta), FUNCS[name]
    for x in (0.3, 1.0, 2.5):
        fx = integrate.quad(lambda s: np.sin(s * x) * m.mu(s), 0, 80, limit=400)[0]
        f2 = integrate.quad(lambda w: (1 - np.cos(w * x)) * m.sigma(w), 0, 80, limit=400)[0]
        assert abs(fx - f(beta * x)) < 1e-8 and abs(f2 - f(beta * x) ** 2) < 1e-8


def test_atan_sigma_table_matches_the_closed_form_in_mpmath():
    # the tabulated sigma (and its series below the table) against e^-w (e^{2w} E_1(2w) + log 2w + gamma) / w
    # at 40 digits, from w = 1e-12 (series) across every piece to w = 300 (beyond, sigma < e^-300 is not needed)
    m = SineMeasure("atan", 1.0)
    w = np.exp(np.random.default_rng(5).uniform(np.log(1e-12), np.log(300.0), 400))
    w = np.concatenate([w, np.exp([-18.5, -18.5 + 1e-9]), [300.0]])
    with mpmath.workdps(40):
        exact = np.array([float(mpmath.exp(-x) / x * (mpmath.exp(2 * x) * mpmath.e1(2 * x) + mpmath.log(2 * x)
                                                       + mpmath.euler)) for x in map(mpmath.mpf, w.tolist())])
    assert np.max(np.abs(m.sigma(w) / exact - 1)) < 1e-14


@pytest.mark.parametrize("inputs, reference, kmax", [("rademacher", StableSinInputs, 4),
                                                     ("uniform", StableSinInputs, 3),
                                                     ("normal", StableSinWeights, 3)])
def test_atomic_measures_reproduce_the_sin_methods(inputs, reference, kmax):
    # sin: mu and sigma are atoms, and the method is stable-sin-inputs (normal: stable-sin, another representation)
    for alpha in ("3/2", "7/10"):
        model = Model(f"stable(alpha={alpha})", inputs, "sin(scale=4/5)")
        ours, theirs = FourierWeights(model), reference(model)
        for s in _shapes(kmax):
            (a, ea), (b, eb) = ours(s), theirs(s)
            assert abs(a - b) <= ea + eb + 1e-14, (alpha, s.key)


@pytest.mark.parametrize("alpha", [0.7, 1.5])
def test_four_slot_cells_integrate_kinks_to_closed_forms(alpha):
    # v uniform on the 3-simplex (volume 1/6): v0 + v1 ~ Beta(2, 2) and v0 ~ Beta(1, 3), so
    # int |v0 + v1 - v2 - v3|^a dv = 1 / (2 (a + 1) (a + 3)),  int |2 v0 - 1|^a dv = (1/(a + 1) + 1/(a + 3)) / 8
    from momentck.numeric.fourier import _kink_cuts
    from momentck.numeric.frequency_rules import simplex_rule
    v, w = simplex_rule(4, _kink_cuts(4), 1 / 5)
    one = w @ np.abs(v[:, 0] + v[:, 1] - v[:, 2] - v[:, 3]) ** alpha
    two = w @ np.abs(v[:, 0] - v[:, 1] - v[:, 2] - v[:, 3]) ** alpha
    assert abs(one - 1 / (2 * (alpha + 1) * (alpha + 3))) < 1e-13
    assert abs(two - (1 / (alpha + 1) + 1 / (alpha + 3)) / 8) < 1e-13


def test_four_slot_cells_agree_between_decompositions():
    # a permutation-invariant integrand with every kink of four slots and sqrt-vanishing faces: the whole
    # simplex, the fundamental domain of S_4 (times 24) and of a subgroup of order 8 (times 8)
    from momentck.numeric.fourier import _kink_cuts
    from momentck.numeric.frequency_rules import simplex_rule, symmetric_domain, symmetries
    forms = np.array([(1,) + s for s in product((1, -1), repeat=3)], dtype=float)

    def g(v):
        u = np.abs(v @ forms.T)
        return np.exp(-np.sum(u ** 0.7, axis=1)) * (1 + np.sum(u ** 1.5, axis=1)) * np.prod(v, axis=1) ** 0.5

    whole = simplex_rule(4, _kink_cuts(4), 1 / 5)
    values = [whole[1] @ g(whole[0])]
    for group in (symmetries(4, lambda p: True), [(0, 1, 2, 3), (1, 0, 2, 3), (0, 1, 3, 2), (1, 0, 3, 2),
                                                  (2, 3, 0, 1), (3, 2, 0, 1), (2, 3, 1, 0), (3, 2, 1, 0)]):
        v, w = simplex_rule(4, _kink_cuts(4), 1 / 5, symmetric_domain(4, group))
        values.append(len(group) * (w @ g(v)))
    assert max(values) - min(values) < 1e-12 * abs(values[0])


def test_erf_agrees_with_stable_erf():
    model = Model("stable(alpha=6/5)", "normal", "erf(scale=4/5)")
    ours, theirs = FourierWeights(model), StableErfWeights(model)
    for s in _shapes(2):
        (a, ea), (b, eb) = ours(s), theirs(s)
        assert ea < 1e-8 and abs(a - b) <= ea + eb, s.key


#: coarse (radial, simplex, angular) steps for the k = 3 blocks with normal inputs, so that tests run in seconds
_COARSE = ((1 / 6, 1 / 4, 1 / 4), (1 / 8, 1 / 5, 1 / 5))


#: coarse (radial, simplex, angular) steps of the cycle block (production: (1/16, 1/10, 1/6), (1/20, 1/13, 1/8))
_COARSE_CYCLE = ((1 / 10, 1 / 6, 1 / 4), (1 / 12, 1 / 7, 1 / 5))


def _k4_blocks():
    """The k = 4 single-block shapes covered with normal inputs: the two-row block with two diagonal factors at
    one row, the triangle with a diagonal factor (both with two root markings) and the 4-cycle."""
    shapes = [s for s in enumerate_shapes(4) if s.rows == 4 or (s.pairs == (((0, 1), 2),) and 2 in s.diag)
              or (s.rows == 3 and 1 in s.diag)]
    assert len(shapes) == 5
    return shapes


@pytest.mark.parametrize("alpha, k", [("6/5", 3), ("7/10", 3), ("3/2", 4), ("7/10", 4)])
def test_erf_with_normal_inputs_agrees_with_stable_erf(alpha, k, monkeypatch):
    # the whole normal-input path with a non-atomic measure, against conditioning on the weights: k = 3 (the
    # diagonal row's radial block, the triangle's cone, the lone row), k = 4 (the collapsed pair of diagonal
    # frequencies, the cycle's tensor facet rule, the diagonal triangle's psi table); coarse levels (production: errors 1e-12 to 1e-15, MATH.md);
    # the estimate must bound the error
    monkeypatch.setattr(FourierWeights, "mixture_from_k", 5)  # the frequency rules' blocks, not the mixture
    import momentck.numeric.fourier_shared as shared
    monkeypatch.setattr(shared, "_LEVELS", _COARSE)
    monkeypatch.setattr(shared, "_TRIANGLE", _COARSE)
    monkeypatch.setattr(shared, "_CYCLE", _COARSE_CYCLE)
    model = Model(f"stable(alpha={alpha})", "normal", "erf(scale=4/5)")
    ours, theirs = FourierWeights(model), StableErfWeights(model)
    for s in enumerate_shapes(3) if k == 3 else _k4_blocks():
        (a, ea), (b, eb) = ours(s), theirs(s)
        assert ea < 1e-5 and abs(a - b) <= ea + eb, s.key  # a bound far from vacuous, and honest


def test_three_input_uniform_moments_match_exact_divided_differences():
    # every branch of uniform_abs_moment (direct, both ratios small, one ratio small) against the
    # divided-difference form in 60 digits, and against the cube's facet quadrature (cube_forms)
    import mpmath
    from momentck.numeric.cube_forms import cube_form_moment
    from momentck.numeric.uniform_private import uniform_abs_moment
    for p in (0.7, 1.5):
        def exact(a):
            with mpmath.workdps(60):
                a = [mpmath.mpf(x) for x in a]
                total = sum(s0 * s1 * s2 * mpmath.sign(y) * abs(y) ** (p + 3)
                            for s0, s1, s2 in product((1, -1), repeat=3)
                            for y in [s0 * a[0] + s1 * a[1] + s2 * a[2]])
                return total / (8 * a[0] * a[1] * a[2] * (p + 1) * (p + 2) * (p + 3))
        for a in [(1, 1, 1), (1, .5, .2), (2, .3, .09), (1, .04, .03), (1, .04, 1e-7), (1, .3, 1e-5),
                  (1, .3, 1e-9), (2, 1e-3, 1e-3), (1, .05, .05), (3, 2, 1), (1, .9999, 5e-5)]:
            got = uniform_abs_moment(np.array([a], dtype=float), p)[0]
            assert abs(got - float(exact(a))) < 5e-12 * got, (p, a)
        for c in [(1.0, 0.7, 0.2), (1.0, -1.0, 0.5)]:
            v, e = cube_form_moment([(c, p)])
            assert abs(uniform_abs_moment(np.array([c]) * sqrt(3), p)[0] - v) < e + 1e-14


def test_four_input_uniform_moments_match_exact_divided_differences():
    # nested differences (Taylor where a level's steps are small against |z|, direct elsewhere) against the
    # divided-difference form in 80 digits: ratios log-uniform down to 1e-12, and next to the kinks 1 = r_2 + r_3
    from momentck.numeric.uniform_private import uniform_abs_moment
    rng = np.random.default_rng(1)
    cases = [(1, 1, 1), (.9, 1e-5, 1e-6), (.5, .5 - 1e-7, 1e-9), (1, 1e-8, 1e-9), (1 - 1e-8, 1e-6, 1e-7),
             (1e-3, 1e-4, 1e-5), (1, 1, 1e-12)]
    cases += [tuple(np.sort(10 ** rng.uniform(-12, 0, 3))[::-1]) for _ in range(40)]
    for _ in range(20):
        r2 = rng.uniform(0.5, 1)
        cases.append((r2, 1 - r2 + 10 ** rng.uniform(-12, -2), 10 ** rng.uniform(-12, -2)))
    for p in (0.7, 1.5):
        def exact(r):
            with mpmath.workdps(80):
                r = [mpmath.mpf(x) for x in r]
                total = sum(s2 * s3 * s4 * abs(1 + s2 * r[0] + s3 * r[1] + s4 * r[2]) ** (p + 4)
                            for s2, s3, s4 in product((1, -1), repeat=3))
                return total / (8 * r[0] * r[1] * r[2] * (p + 1) * (p + 2) * (p + 3) * (p + 4))
        a = 2.0 * np.array([(1.0,) + c for c in cases])      # unsorted columns, a scale
        got = uniform_abs_moment(a[:, ::-1], p)
        for c, g in zip(cases, got):
            assert abs(g - 2.0 ** p * float(exact(c))) < 2e-15 * g, (p, c)


def test_uniform_lone_row_of_four_diagonal_factors_agrees_with_stable_sin_inputs():
    # the k = 4 shape without blocks, one row (d, d, d, d): its rest is a four-input moment; sin's atoms
    for alpha in ("3/2", "7/10"):
        model = Model(f"stable(alpha={alpha})", "uniform", "sin(scale=4/5)")
        shape = enumerate_shapes(4)[0]
        (a, ea), (b, eb) = FourierWeights(model)(shape), StableSinInputs(model)(shape)
        assert abs(a - b) <= ea + eb + 1e-16, alpha


def test_uniform_two_diagonal_factors_at_a_block_agree_with_stable_sin_inputs():
    # k = 4, row (d, d, o, o) with (o, o) at one block, uniform inputs: the private pair's radial block
    # omega_b^alpha B_2(A/omega_b, omega_s/omega_b) inside the t-integral; sin's atoms (one frequency node, w = 1)
    # against the cube-facet quadrature of stable-sin-inputs (errors 9e-18 (3/2) and 3e-19 (7/10), MATH.md)
    from momentck.numeric.fourier import _rows
    shape = next(s for s in enumerate_shapes(4)
                 if sorted(k for k, _ in _rows(s)) == [("d", "d", "o", "o"), ("o", "o")])
    for alpha in ("3/2", "7/10"):
        model = Model(f"stable(alpha={alpha})", "uniform", "sin(scale=4/5)")
        (a, ea), (b, eb) = FourierWeights(model)(shape), StableSinInputs(model)(shape)
        assert ea < 1e-14 and abs(a - b) <= ea + eb + 1e-17, alpha
    with pytest.raises(MomentckError, match="two diagonal factors at a shared block"):
        FourierWeights(Model("stable(alpha=3/2)", "uniform", "tanh"))(shape)


def test_uniform_two_blocks_through_a_row_with_four_ends_agree_with_stable_sin_inputs():
    # k = 4, two blocks joined by a row (o, o, o, o), uniform inputs: at each block the middle row's other two ends
    # are private uniform inputs, so its block factor's radial integral is xi_b^alpha B_2(A/xi_b, xi_s/xi_b), as for
    # the row (d, d, o, o); sin's atoms against stable-sin-inputs (errors 1.4e-17 (3/2) and 2.8e-18 (7/10), MATH.md)
    from momentck.numeric.fourier import _rows
    shape = next(s for s in enumerate_shapes(4) if len(s.blocks) == 2
                 and sorted(k for k, _ in _rows(s)) == [("o", "o"), ("o", "o"), ("o", "o", "o", "o")])
    model = Model("stable(alpha=3/2)", "uniform", "sin(scale=4/5)")   # 7/10 passes too
    (a, ea), (b, eb) = FourierWeights(model)(shape), StableSinInputs(model)(shape)
    assert ea < 1e-14 and abs(a - b) <= ea + eb + 1e-17
    with pytest.raises(MomentckError, match="two blocks through a row with four ends"):
        FourierWeights(Model("stable(alpha=3/2)", "uniform", "atan"))(shape)


def test_uniform_triangle_with_a_diagonal_factor_agrees_with_stable_sin_inputs(monkeypatch):
    # k = 4, the triangle with a diagonal factor, uniform inputs: the private input's radial block B_p (p = 2 + 2 alpha)
    # over the cube's facet pyramids (facets u_p, u_q: t-integral against G(b); facet u_r: per-t tables Psi_t);
    # sin's atoms against stable-sin-inputs (coarse t-steps: the tables only; 2.5e-17 at production steps, MATH.md)
    import momentck.numeric.fourier_shared as shared
    from momentck.numeric.fourier import _rows
    monkeypatch.setattr(shared, "_LEVELS", _COARSE)
    shape = next(s for s in enumerate_shapes(4) if len(s.blocks) == 1 and len(s.blocks[0]) == 3
                 and sorted(k for k, _ in _rows(s)) == [("d", "o", "o"), ("o", "o"), ("o", "o")])
    model = Model("stable(alpha=3/2)", "uniform", "sin(scale=4/5)")   # 7/10 passes too
    (a, ea), (b, eb) = FourierWeights(model)(shape), StableSinInputs(model)(shape)
    assert ea < 1e-10 and abs(a - b) <= ea + eb + 1e-17


@pytest.mark.parametrize("name, alpha", [("tanh", "3/2"), ("atan", "7/10")])
def test_uniform_triangle_facet_by_two_organisations(name, alpha, monkeypatch):
    # the facets u_p = 1 of the triangle with a diagonal factor (uniform inputs) with densities: the angle b inside the
    # frequency integral (one b-integral per simplex node, fixed cuts) against the angle outside (per b-node a
    # three-slot rule cut at |xi_1 +- b xi_2| = omega, the organisation of the facet u_r = 1); coarse levels: the
    # finer's difference (2.4e-12 tanh, 3.9e-11 atan) within the two organisations' level differences
    import momentck.numeric.fourier_shared as shared
    monkeypatch.setattr(shared, "_LEVELS", _COARSE)
    fw = FourierWeights(Model(f"stable(alpha={alpha})", "uniform", name))
    values = []
    for level in (0, 1):
        R = fw._pair_row_interpolant(*_COARSE[level][:2])
        values.append([fw._triangle_facet_p(R, level, angular)[0] for angular in (False, True)])
    (a0, b0), (a1, b1) = values
    assert abs(a1 - b1) <= abs(a1 - a0) + abs(b1 - b0) and abs(a1 - b1) < 1e-9 * abs(a1)


def test_homogeneous_rests_once_per_simplex_node(monkeypatch):
    # kinked (homogeneous) exponents: the generic row rule evaluates the rest once per simplex node,
    # exp(-r^alpha E|v . x|^alpha); against the rest at every (radial x simplex) node, the uniform lone row (d, d, d, d)
    # with tanh at coarse steps (production: 188 s -> 13 s, the same value to 1e-16, MATH.md)
    import momentck.numeric.fourier as fourier
    for name, steps in (("_STEPS4", (1 / 2, 1 / 3)), ("_RSTEPS4", (1 / 2, 1 / 3)), ("_STEPS", (1 / 2, 1 / 3)),
                        ("_RSTEPS", (1 / 3, 1 / 4))):
        monkeypatch.setattr(fourier, name, steps)
    model = Model("stable(alpha=7/10)", "uniform", "tanh")
    shape = enumerate_shapes(4)[0]
    a, _ = FourierWeights(model)(shape)
    nodes = FourierWeights._nodes

    def per_node(self, *args):
        for F, w, d, _ in nodes(self, *args):
            yield F, w, d, None
    monkeypatch.setattr(FourierWeights, "_nodes", per_node)
    b, _ = FourierWeights(model)(shape)
    assert abs(a - b) < 1e-14 * abs(a)


def test_uniform_radial_block_matches_quadrature():
    # B(z) = int_0^1 s^(1+a) E|s z + U|^a ds (U uniform on [-1, 1]): the tabulated 2F1 forms against
    # quadrature in s of E|b + U|^a = (F(b+1) - F(b-1))/2, F(y) = sign(y)|y|^(a+1)/(a+1), split at s = 1/z
    import mpmath
    from momentck.numeric.uniform_private import RadialBlock
    for alpha in (0.7, 1.5):
        B = RadialBlock(alpha)
        for z in (0.0, 0.3, 0.999, 1.0, 1.0 + 1e-7, 1.4, 2.5, 40.0, 1e7):
            with mpmath.workdps(30):
                def F(y):
                    return mpmath.sign(y) * abs(y) ** (alpha + 1) / (alpha + 1)
                pts = [0, 1] if z <= 1 else [0, 1 / mpmath.mpf(z), 1]
                ref = mpmath.quad(lambda s: s ** (1 + alpha) * (F(s * z + 1) - F(s * z - 1)) / 2, pts)
            assert abs(B(np.array([z]))[0] - float(ref)) < 3e-15 * float(ref), (alpha, z)
        omega, A = np.array([0.3, 0.3, 2.0]), np.array([0.1, 5.0, -1.9])
        assert np.allclose(B.scaled(omega, A), omega ** alpha * B(A / omega), rtol=1e-15, atol=0)


def test_uniform_pair_block_matches_divided_differences_in_mpmath():
    # B_2(z, w) = int_0^1 s^(1+a) E|s z + U_1 + w U_2|^a ds (two private uniform inputs), both forms: the closed form
    # (hypergeometric tables of E(a, z), and below w = 0.05 Gauss or the quadrature form in u) and the u-quadrature of
    # the tabulated Btilde, against the second divided difference of K(c) = int_0^1 s^(1+a) H(s z + c) ds,
    # H(y) = |y|^(a+2)/((a+1)(a+2)), at 30 digits (mpmath quadrature split at the zero of s z + c); next to the
    # kinks z = 1 -+ w, at w = 1, small w (each branch) and large z; and B_2(z, 0) = B(z)
    import mpmath
    from momentck.numeric.uniform_private import PairBlock, RadialBlock
    cases = [(0.3, 0.5), (1.0, 0.2), (0.8, 0.2), (0.7999, 0.2), (0.8002, 0.2), (1.2001, 0.2), (2.5, 1.0),
             (0.5, 1.0), (1.0, 1.0), (3.0, 0.999), (0.01, 0.3), (1.0, 1e-3), (0.999, 1e-4), (7.0, 0.4), (1e3, 0.6),
             (0.0, 0.7), (0.001, 0.999), (1.9, 0.051), (0.97, 0.02), (1.5, 0.02), (40.0, 0.03), (3e4, 0.3)]
    for alpha in (0.7, 1.5):
        block = PairBlock(alpha)
        z = np.array([0.0, 0.3, 0.999, 1.0, 1.7, 2.5, 40.0, 1e3])   # Btilde's two terms cancel to ~ eps z as z grows
        for form in (block, block.by_quadrature):
            assert np.all(np.abs(form(z, 0 * z) / RadialBlock(alpha)(z) - 1) < 4e-16 * (4 + z))
        with mpmath.workdps(30):
            def K(z, c):
                pts = [0, -c / z, 1] if z > 0 and 0 < -c / z < 1 else [0, 1]
                return mpmath.quad(lambda s: s ** (1 + alpha) * abs(s * z + c) ** (alpha + 2), pts)
            for zz, ww in cases:
                z, w = mpmath.mpf(zz), mpmath.mpf(ww)
                ref = (K(z, 1 + w) - K(z, 1 - w) - K(z, -1 + w) + K(z, -1 - w)) / (4 * w * (alpha + 1) * (alpha + 2))
                for form in (block, block.by_quadrature) if zz <= 1e3 else (block,):
                    got = form(np.array([zz]), np.array([ww]))[0]
                    assert abs(got - float(ref)) < 1e-13 * float(ref), (alpha, zz, ww, form)


def test_uniform_pair_block_closed_form_agrees_with_its_quadrature_form():
    # the two forms of B_2 on 6000 random (z, w), w down to 1e-8 and z next to the kink 1 (each branch of the closed
    # form); z <= 100, where the quadrature form's two terms do not cancel
    from momentck.numeric.uniform_private import PairBlock
    rng = np.random.default_rng(1)
    z = np.concatenate([3 * rng.random(3000), 10 ** rng.uniform(-3, 2, 2000), 1 + rng.normal(0, 1e-3, 1000)])
    w = np.concatenate([rng.random(4000), 10 ** rng.uniform(-8, 0, 2000)])
    for alpha in (0.7, 1.5):
        block = PairBlock(alpha)
        assert np.max(np.abs(block(z, w) / block.by_quadrature(z, w) - 1)) < 3e-14, alpha


@pytest.mark.parametrize("alpha", ["3/2"])  # 7/10 passes too (MATH.md §4); one alpha keeps the suite's time down
def test_sin_k4_blocks_agree_with_stable_sin(alpha, monkeypatch):
    # atoms: the collapsed diagonal pair is an atom at 2 sqrt(2) beta, the cycle is cut into ordering cells
    # (production levels: the row values are closed forms), the diagonal triangle's psi rule at the kinks
    monkeypatch.setattr(FourierWeights, "mixture_from_k", 5)  # the frequency rules' blocks, not the mixture
    import momentck.numeric.fourier_shared as shared
    monkeypatch.setattr(shared, "_LEVELS", _COARSE)
    model = Model(f"stable(alpha={alpha})", "normal", "sin(scale=4/5)")
    ours, theirs = FourierWeights(model), StableSinWeights(model)
    for s in _k4_blocks():
        (a, ea), (b, eb) = ours(s), theirs(s)
        assert ea < 1e-8 and abs(a - b) <= ea + eb + 1e-14, s.key


def test_uniform_four_cycle_agrees_with_stable_sin_inputs(monkeypatch):
    # k = 4 with uniform inputs, the 4-cycle (homogeneous in its four shared inputs: the cube's facet pyramids):
    # sin's atoms (ordering cells, closed row values) against the cube-facet quadrature of stable-sin-inputs;
    # coarse facet steps (estimate 7e-10, error 1e-12; production 1e-15, MATH.md); 7/10 passes too
    import momentck.numeric.fourier_shared as shared
    monkeypatch.setattr(shared, "_CYCLE", _COARSE_CYCLE)
    model = Model("stable(alpha=3/2)", "uniform", "sin(scale=4/5)")
    cycle = next(s for s in enumerate_shapes(4) if s.rows == 4)
    (a, ea), (b, eb) = FourierWeights(model)(cycle), StableSinInputs(model)(cycle)
    assert ea < 1e-8 and abs(a - b) <= ea + eb + 1e-14


@pytest.mark.parametrize("name", ["tanh", "atan", "erf"])
def test_collapsed_sigma_matches_quadrature(name):
    # the density of |omega| for two diagonal frequencies: the spline table against mpmath quadrature in phi
    import mpmath
    m = SineMeasure(name, 0.8)
    fw = FourierWeights(Model("stable(alpha=7/10)", "normal", f"{name}(scale=4/5)"))
    table = fw._collapsed_sigma(2)
    for r in (1e-3, 0.03, 0.5, 1.7, 6.0, 15.0):
        def g(p):
            return m.sigma(np.array([r * float(mpmath.cos(p))]))[0] * m.sigma(np.array([r * float(mpmath.sin(p))]))[0]
        ref = float(2 * r * mpmath.quad(g, [0, 1e-6, 1e-3] + mpmath.linspace(0.02, mpmath.pi / 4, 30)))
        assert abs(table(np.array([r]))[0] - ref) < 1e-11 * ref, (r, ref)


@pytest.mark.parametrize("name, inputs", [("tanh", "normal"), ("atan", "normal"), ("atan", "uniform")])
def test_cycle_of_three_is_the_triangle(name, inputs, monkeypatch):
    # the same block by two quadratures: the cycle's tensor rule on a facet (no cut) and the triangle's ordering
    # cone in Duffy coordinates; each level's difference bounds its error (uniform: the cube's facet pyramids,
    # h^(L+P)/((L+P)(2h)^L) on L facets and 2^L orthants, against the cone's six orderings)
    import momentck.numeric.fourier_shared as shared
    monkeypatch.setattr(shared, "_CYCLE", _COARSE_CYCLE)
    fw = FourierWeights(Model("stable(alpha=3/2)", inputs, name))
    (c0, _), (c1, cs) = fw._cycle(3, 0), fw._cycle(3, 1)
    (t0, _), (t1, ts) = fw._triangle(0), fw._triangle(1)
    assert abs(c1 - t1) <= abs(c1 - c0) + abs(t1 - t0) + 1e-14 * (cs + ts)
    assert abs(c1 - t1) < 1e-6 * abs(t1)


@pytest.mark.parametrize("name", ["tanh", "atan", "erf"])
def test_sigma_mass_is_the_integral_of_sigma(name):
    # the diagonal option omega = 0 of the k = 3 two-row block is sigma's total mass (sup f^2)
    m = SineMeasure(name, 0.7)
    total = integrate.quad(m.sigma, 0, 1, limit=200)[0] + integrate.quad(m.sigma, 1, 300, limit=400)[0]  # sigma < e^-100 beyond
    assert abs(total - m.mass) < 1e-9


def test_normal_radial_block_matches_quadrature():
    # int_0^inf r^(m-1) e^(-r^2/2) E_Z |r A + s Z|^alpha dr: the 2F1 closed form (a Laplace transform of 1F1)
    # against quadrature in r of the Gaussian absolute moment E|b + sZ|^alpha = s^alpha E|Z|^alpha 1F1(-alpha/2; 1/2; -b^2/2s^2)
    import mpmath
    from momentck.numeric.fourier_shared import _normal_radial_block
    for alpha, m in ((1.5, 3.5), (0.7, 2.7)):
        block = _normal_radial_block(alpha, m)
        ez = 2 ** (alpha / 2) * mpmath.gamma((alpha + 1) / 2) / mpmath.sqrt(mpmath.pi)
        for A, s in ((0.8, 1.3), (2.0, 0.05), (0.0, 1.0), (1.7, 0.0)):
            def inner(r):
                if s == 0:
                    return abs(r * A) ** alpha
                return s ** alpha * ez * mpmath.hyp1f1(-alpha / 2, 0.5, -(r * A) ** 2 / (2 * s * s))
            ref = mpmath.quad(lambda r: r ** (m - 1) * mpmath.exp(-r * r / 2) * inner(r), [0, 1, 4, mpmath.inf])
            got = block(np.array([A]), np.array([s]))[0]
            assert abs(got - float(ref)) < 1e-13 * float(ref), (alpha, A, s, got, ref)


def test_sparse_rademacher_entries_agree_with_exact_sums():
    # Psi(u) = c (1 - cos u): the same method, a smooth exponent; sparse-signs sums Poisson degrees exactly
    model = Model("sparse(c=3/2, entries=rademacher)", "rademacher", "atan(scale=7/10)")
    ours, theirs = FourierWeights(model), SparseSignWeights(model)
    for s in _shapes(2):
        (a, ea), (b, eb) = ours(s), theirs(s)
        assert abs(a - b) <= ea + eb, s.key


def _stable_abs_moment(inputs, alpha):
    """``E|x|^alpha`` of the input law (unit variance)."""
    return {"normal": 2 ** (alpha / 2) * gamma((alpha + 1) / 2) / sqrt(pi),
            "rademacher": 1.0, "uniform": 3 ** (alpha / 2) / (alpha + 1)}[inputs]


@pytest.mark.parametrize("inputs", ["normal", "rademacher", "uniform"])
def test_h1_is_a_one_dimensional_stable_integral(inputs):
    # given the inputs a pre-activation is alpha-stable with scale (E|x|^alpha)^(1/alpha):
    # h_1 = E tanh(s Z)^2 with Z standard symmetric stable (scipy's S1 form, E e^{itZ} = e^{-|t|^alpha})
    alpha = 1.3
    scale = _stable_abs_moment(inputs, alpha) ** (1 / alpha)
    pdf = stats.levy_stable(alpha, 0.0).pdf
    z = np.linspace(0, 60, 1201)
    body = 2 * integrate.simpson(np.tanh(scale * z) ** 2 * pdf(z), x=z)
    tail = 2 * stats.levy_stable(alpha, 0.0).sf(60.0)  # tanh^2 = 1 - O(e^-120) there
    model = Model("stable(alpha=13/10)", inputs, "tanh")
    value, err = FourierWeights(model)(enumerate_shapes(1)[0])
    assert err < 1e-10 and abs(value - (body + tail)) < 1e-12


def test_stable_tanh_m2_depends_on_the_input_law():
    # issue 9's non-universality: stable(1), tanh, phi = psi = 1; the m_2 differ by far more than their bounds
    m2 = {x: limiting_moments(Model("stable(alpha=1)", x, "tanh"), 2, cache=False, progress=False)
          for x in ("normal", "rademacher", "uniform")}
    for x, y in (("normal", "rademacher"), ("normal", "uniform"), ("rademacher", "uniform")):
        bound = m2[x].spectral_error[1] + m2[y].spectral_error[1]
        assert abs(m2[x][1] - m2[y][1]) > 100 * bound


@pytest.mark.parametrize("spec", [("stable(alpha=1)", "rademacher", "tanh"),
                                  ("stable(alpha=1)", "normal", "tanh"),
                                  ("stable(alpha=1)", "uniform", "tanh"),
                                  ("sparse(c=2, entries=normal)", "uniform", "tanh")])
def test_new_cells_agree_with_simulation(spec):
    model = Model(*spec, phi=1, psi=1)
    assert_moments_match_simulation(model, 2, 2000, reps=4, seed=3, max_error=1e-8)


def test_stable_tanh_k3_with_normal_inputs_agrees_with_simulation(monkeypatch):
    import momentck.numeric.fourier_shared as shared
    monkeypatch.setattr(shared, "_TRIANGLE", _COARSE)
    monkeypatch.setattr(shared, "_LEVELS", _COARSE)  # bounds <= 2e-6, far below the standard errors (2e-3 to 3e-2)
    model = Model("stable(alpha=7/10)", "normal", "tanh", phi=1, psi=1)
    assert_moments_match_simulation(model, 3, 2000, reps=4, seed=5)


def test_stable_tanh_k3_with_uniform_inputs_agrees_with_simulation(monkeypatch):
    # the diagonal row's private uniform input (radial block B, t inside the frequency integral), the
    # three-input rests and the triangle on the cube; coarse levels (bounds far below the standard errors)
    import momentck.numeric.fourier_shared as shared
    monkeypatch.setattr(shared, "_TRIANGLE", _COARSE)
    monkeypatch.setattr(shared, "_LEVELS", _COARSE)
    # (16 replicates: with 4 the heavy-tailed m_3's standard error came out a third of its size)
    model = Model("stable(alpha=3/2)", "uniform", "tanh", phi=1, psi=1)
    assert_moments_match_simulation(model, 3, 1000, reps=16, seed=1)


def test_four_slot_rows_agree_with_simulation(monkeypatch):
    # k = 4 with rademacher inputs: rows of four slots (3-simplex cells); the engine's m_1..m_4 within 4 SE
    # (16 replicates: with 4 the standard errors themselves are too rough, m_1's came out half its size).
    # Coarser quadrature levels keep it fast: bounds <= 2e-6, far below the standard errors (the production
    # levels give the same values to 1e-10: 0.5328476039, 0.8533898207, 1.8543804876, 4.6742821979); the
    # production run against n = 2000, 16 replicates (seed 1) is in MATH.md (z = -0.43, 0.07, 0.37, 0.57)
    import momentck.numeric.fourier as fourier
    for name, steps in (("_STEPS4", (1 / 3, 1 / 6)), ("_RSTEPS4", (1 / 3, 1 / 6)), ("_STEPS", (1 / 4, 1 / 8)),
                        ("_RSTEPS", (1 / 6, 1 / 12))):
        monkeypatch.setattr(fourier, name, steps)
    model = Model("stable(alpha=3/2)", "rademacher", "tanh", phi=1, psi=1)
    assert_moments_match_simulation(model, 4, 1000, reps=16, seed=1)


def test_walks_beyond_max_k_are_refused_with_the_limit():
    model = Model("stable(alpha=1)", "uniform", "tanh")
    assert select(model, 3)[0] is FourierWeights
    method, why = select(model, 4)
    assert method is None and "k <= 3, not k = 4" in why
    with pytest.raises(MomentckError, match="k <= 3, not k = 4"):
        limiting_moments(model, 4, method="numeric", cache=False, progress=False)
    with pytest.raises(MomentckError, match="fourier needs activation tanh or atan or erf or sin"):
        FourierWeights(Model("sparse(c=2, entries=normal)", "uniform", "poly(1, 1)"))


@pytest.mark.parametrize("spec, reference", [(("sparse(c=2, entries=normal)", "normal", "sin(scale=4/5)"), "sinweights"),
                                             (("sparse(c=2, entries=rademacher)", "uniform", "sin"), "sparse_tables")])
def test_sparse_weights_with_shared_gauss_rules_agree_with_exact_methods(spec, reference):
    # the non-homogeneous exponent: the shared inputs of m_2's two-row block by tensor rules
    from momentck.numeric.sinweights import SparseNormalSinWeights
    from momentck.numeric.sparse_tables import SparseTableWeights
    model = Model(*spec)
    ours = FourierWeights(model)
    theirs = {"sinweights": SparseNormalSinWeights, "sparse_tables": SparseTableWeights}[reference](model)
    for s in _shapes(2):
        (a, ea), (b, eb) = ours(s), theirs(s)
        assert abs(a - b) <= ea + eb + 1e-14, s.key


def test_normal_sinc_mean_matches_quadrature_in_every_branch():
    # E sinc(aA) sinc(bA), A standard normal: the closed form and its two Taylor branches against QUADPACK
    import mpmath
    from momentck.numeric.fourier import _normal_sinc_mean
    for a, b in [(2.0, 1.3), (0.5, 0.5), (3.0, 1e-5), (3.0, 2e-3), (1e-4, 3e-5), (2.0, 0.0), (40.0, 3.0)]:
        def g(x):
            return mpmath.sinc(a * x) * mpmath.sinc(b * x) * mpmath.exp(-x * x / 2)
        ref = 2 * mpmath.quad(g, mpmath.linspace(0, 13, 105)) / mpmath.sqrt(2 * mpmath.pi)
        assert abs(_normal_sinc_mean(np.array([a]), np.array([b]))[0] - float(ref)) < 1e-14


def test_three_column_normal_sinc_mean_matches_quadrature_in_every_branch():
    # E sinc(aA) sinc(bA) sinc(cA) (and four columns): the third divided difference of G3 (c >= 1), Gauss-Legendre
    # over U_3 of F_2 with its Taylor branches (b < 1e-2, a < 1e-2), and the private input's F_1 (both branches)
    import mpmath
    from momentck.numeric.fourier import _box_gauss, _normal_sinc_mean3
    for a, b, c in [(5.0, 3.0, 2.0), (80.0, 1.5, 1.0), (3.0, 0.9, 0.5), (20.0, 5e-3, 1e-3), (7.0, 0.02, 0.009),
                    (5e-3, 3e-3, 1e-3), (0.5, 0.3, 0.2), (100.0, 100.0, 99.0)]:
        def g(x):
            return mpmath.sinc(a * x) * mpmath.sinc(b * x) * mpmath.sinc(c * x) * mpmath.exp(-x * x / 2)
        ref = 2 * mpmath.quad(g, mpmath.linspace(0, 13, 14 + int(13 * a))) / mpmath.sqrt(2 * mpmath.pi)
        got = _normal_sinc_mean3(np.array([a]), np.array([b]), np.array([c]))[0]
        assert abs(got - float(ref)) < 1e-14, (a, b, c)
    from momentck.numeric.fourier import _normal_sinc_mean4
    for a, b, c, d in [(5.0, 3.0, 2.0, 1.5), (40.0, 20.0, 3.0, 1.2), (3.0, 0.9, 0.5, 0.2), (7.0, 2.0, 0.02, 9e-3)]:
        def g4(x):
            sincs = mpmath.sinc(a * x) * mpmath.sinc(b * x) * mpmath.sinc(c * x) * mpmath.sinc(d * x)
            return sincs * mpmath.exp(-x * x / 2)
        ref = 2 * mpmath.quad(g4, mpmath.linspace(0, 13, 14 + int(13 * a))) / mpmath.sqrt(2 * mpmath.pi)
        got = _normal_sinc_mean4(np.array([a]), np.array([b]), np.array([c]), np.array([d]))[0]
        assert abs(got - float(ref)) < 1e-14, (a, b, c, d)
    for s, a in [(0.3, 2.0), (7.0, 1.5), (-9.0, 3.0), (1.2, 4e-3)]:
        ref = mpmath.quad(lambda u: mpmath.exp(-(s + a * u) ** 2 / 2), [-1, 0, 1]) / 2
        assert abs(_box_gauss(np.array(s), np.array(a)) - float(ref)) < 1e-15 * (1 + 1 / a) + 1e-300, (s, a)


#: coarse steps of sparse weights' three-slot rows and shared Gauss rules (k = 3 in seconds)
_SPARSE_COARSE3 = {"_SSTEPS": (1 / 4, 1 / 6), "_RSTEPS": (1 / 6, 1 / 8), "_GAUSS3": (6, 8)}


@pytest.mark.parametrize("activation", ["tanh", "atan(scale=7/10)"])
def test_sparse_uniform_k3_blocks_agree_with_exact_sums(activation, monkeypatch):
    # sparse rademacher entries (Psi = c (1 - cos u)) through the same Gauss-Legendre tensor over the shared
    # uniform inputs as normal entries: the private uniform input's E_y Psi(A + B y) and the triangle, against
    # sparse-tables (float64-exact); production levels: errors <= 2e-15 (tanh), estimates 7e-11
    import momentck.numeric.fourier as fourier
    from momentck.numeric.sparse_tables import SparseTableWeights
    for name, steps in _SPARSE_COARSE3.items():
        monkeypatch.setattr(fourier, name, steps)
    model = Model("sparse(c=2, entries=rademacher)", "uniform", activation)
    ours, theirs = FourierWeights(model), SparseTableWeights(model)
    for s in enumerate_shapes(3):
        (a, ea), (b, eb) = ours(s), theirs(s)
        assert ea < 1e-6 and abs(a - b) <= ea + eb + 1e-14, (s.key, a, b, ea)


def test_sparse_uniform_k4_two_row_blocks_agree_with_exact_sums(monkeypatch):
    # k = 4's two-row blocks (max_k stays 3: the blocks with four shared inputs are not reached): two private
    # uniform inputs at a block (row (d, d, o, o)) and two rows (d, o, o), against sparse-tables; very coarse
    # levels (Gauss (3, 4) per input, four-slot steps (1/3, 1/4) and radial (1/4, 1/6); at Gauss (4, 6) and the
    # coarse steps of the rademacher-input tests: errors 8e-9 against estimates 9e-7)
    import momentck.numeric.fourier as fourier
    from momentck.numeric.sparse_tables import SparseTableWeights
    _coarse_sparse_steps(monkeypatch)
    for name, steps in (("_GAUSS3", (3, 4)), ("_SSTEPS4", (1 / 3, 1 / 4)), ("_SRSTEPS4", (1 / 4, 1 / 6))):
        monkeypatch.setattr(fourier, name, steps)
    model = Model("sparse(c=2, entries=rademacher)", "uniform", "tanh")
    ours, theirs = FourierWeights(model), SparseTableWeights(model)
    for s in enumerate_shapes(4):
        if len(s.blocks) == 1 and len(s.blocks[0]) == 2 and s.pairs[0][1] == 2:
            (a, ea), (b, eb) = ours(s), theirs(s)
            assert ea < 1e-4 and abs(a - b) <= ea + eb + 1e-14, (s.key, a, b, ea)


def test_sparse_normal_uniform_k3_agrees_with_simulation(monkeypatch):
    # sparse normal entries with uniform inputs at k = 3: the three-column rests, the private input's erf form
    # and the Gauss-Legendre tensor over the shared inputs; coarse levels (bounds far below the standard errors)
    import momentck.numeric.fourier as fourier
    for name, steps in _SPARSE_COARSE3.items():
        monkeypatch.setattr(fourier, name, steps)
    model = Model("sparse(c=2, entries=normal)", "uniform", "tanh", phi=1, psi=1)
    assert_moments_match_simulation(model, 3, 1000, reps=16, seed=1)


def test_direct_calls_beyond_the_limit_say_so():
    shape = next(s for s in enumerate_shapes(4) if s.pairs == (((0, 1), 4),))
    with pytest.raises(MomentckError, match="only walks up to k = 3"):
        FourierWeights(Model("stable(alpha=1)", "uniform", "tanh"))(shape)
    with pytest.raises(MomentckError, match="only walks up to k = 3"):   # normal inputs: the mixture's, not these
        fw = FourierWeights(Model("stable(alpha=1)", "normal", "tanh"))
        fw.mixture_from_k = 5
        fw(shape)


#: coarse steps of the four-slot rows of sparse weights (simplex, radial) and of the smaller rows, so that
#: k = 4 runs in seconds; the production steps are measured in MATH.md
_SPARSE_COARSE = {"_SSTEPS4": (1 / 4, 1 / 5), "_SRSTEPS4": (1 / 5, 1 / 10), "_SSTEPS": (1 / 4, 1 / 8),
                  "_RSTEPS": (1 / 6, 1 / 12)}


def _coarse_sparse_steps(monkeypatch):
    import momentck.numeric.fourier as fourier
    for name, steps in _SPARSE_COARSE.items():
        monkeypatch.setattr(fourier, name, steps)


@pytest.mark.parametrize("activation", ["tanh", "erf(scale=4/5)"])
def test_sparse_four_slot_rows_agree_with_exact_sums(activation, monkeypatch):
    # Psi(u) = c (1 - cos u) goes through the same radial x simplex rule as sparse normal entries; sparse-signs
    # sums the Poisson degrees exactly.  Every shape of k = 4 (rows of four slots, both blocks' kinds); at these
    # coarse steps (tanh) estimates 8e-7 to 3e-5 against errors 1e-11 to 7e-9
    _coarse_sparse_steps(monkeypatch)
    model = Model("sparse(c=2, entries=rademacher)", "rademacher", activation)
    ours, theirs = FourierWeights(model), SparseSignWeights(model)
    for s in enumerate_shapes(4):
        (a, ea), (b, eb) = ours(s), theirs(s)
        assert ea < 1e-4 and abs(a - b) <= ea + eb + 1e-14, (s.key, a, b, ea)


def _tensor_nodes(self, kinds, blocks, cuts, group, level):
    """The former rule of smooth exponents: a tensor product of radial rules, one per slot, no symmetry
    reduction and no cells (the integrand is smooth inside the open orthant).  Its lower end is moved from
    1e-12 beta to 1e-18 beta: atan's sigma ~ -2 log(omega) at 0 left h_1 1.7e-13 off (against an mpmath sum
    over the Poisson degrees), above that rule's own estimate."""
    from momentck.numeric.frequency_rules import radial_rule
    m, n = self.measure, len(kinds)
    r, wr = radial_rule((1 / 8, 1 / 16)[level], m.beta, m.beta * 1e-18, m.top)
    rest = np.array(list(product(range(len(r)), repeat=n - 1)), dtype=int).reshape(len(r) ** (n - 1), n - 1)
    for i in range(len(r)):  # one chunk per first coordinate
        F = np.column_stack([np.full(len(rest), r[i]), r[rest]])
        w = wr[i] * np.prod(wr[rest], axis=1)
        yield F, w * self._densities(kinds, F), 0.0, None   # no (r, v) structure: the rest at every node


@pytest.mark.parametrize("activation", ["atan(scale=7/10)", "tanh"])
def test_sparse_normal_simplex_rule_agrees_with_a_tensor_rule(activation, monkeypatch):
    # sparse normal entries, k <= 3: the radial x simplex rule (cells, one fundamental domain, dropped nodes)
    # against a tensor product of one-dimensional rules over the whole orthant
    model = Model("sparse(c=2, entries=normal)", "rademacher", activation)
    ours = FourierWeights(model)
    values = {s.key: ours(s) for s in _shapes(3)}
    monkeypatch.setattr(FourierWeights, "_nodes", _tensor_nodes)
    theirs = FourierWeights(model)
    for s in _shapes(3):
        (a, ea), (b, eb) = values[s.key], theirs(s)
        assert ea < 1e-8 and abs(a - b) <= ea + eb, (s.key, a, b, ea, eb)


def test_sparse_normal_entries_agree_with_sparse_normal_signs():
    # k <= 2: conditioning on the inputs' sign patterns (Gaussian pre-activations), another representation
    from momentck.numeric.sparse_normal_signs import SparseNormalSignWeights
    model = Model("sparse(c=2, entries=normal)", "rademacher", "erf(scale=4/5)")
    ours, theirs = FourierWeights(model), SparseNormalSignWeights(model)
    for s in _shapes(2):
        (a, ea), (b, eb) = ours(s), theirs(s)
        assert ea < 1e-9 and abs(a - b) <= ea + eb, (s.key, a, b, ea, eb)


def test_sparse_normal_k4_agrees_with_simulation(monkeypatch):
    # m_1..m_4 through the engine (k <= 2 by sparse-normal-signs, k = 3, 4 by the four-slot rule) against
    # simulation at n = 1000, 16 replicates; coarse steps keep it fast (bounds far below the standard errors)
    _coarse_sparse_steps(monkeypatch)
    model = Model("sparse(c=2, entries=normal)", "rademacher", "tanh", phi=1, psi=1)
    assert_moments_match_simulation(model, 4, 1000, reps=16, seed=1)


#: coarse steps of the k = 4 blocks through Gaussian pair moments (production: MATH.md)
_COARSE_PAIR = ((1 / 6, 1 / 5), (1 / 8, 1 / 6))
_COARSE_TWO_BLOCKS = ((1 / 5, 1 / 3, 1 / 6, 1 / 5), (1 / 6, 1 / 4, 1 / 8, 1 / 6))


def _pair_blocks():
    """The k = 4 shapes of two rows (d, o, o) at one block and of two blocks through a row with four ends (two
    root markings)."""
    shapes = [s for s in enumerate_shapes(4) if s.diag == (1, 1) or len(s.blocks) == 2]
    assert len(shapes) == 3
    return shapes


@pytest.mark.parametrize("alpha", ["3/2", "7/10"])
@pytest.mark.parametrize("activation, reference", [("erf(scale=4/5)", StableErfWeights),
                                                   ("sin(scale=4/5)", StableSinWeights)])
def test_pair_moment_blocks_agree_with_conditioning_on_the_weights(alpha, activation, reference, monkeypatch):
    # the rows as sums of Gaussian pair moments over their frequency nodes, against stable-erf (exact to ~1e-13)
    # and stable-sin (atoms: one node per row, exact); coarse levels, the estimate must bound the error
    monkeypatch.setattr(FourierWeights, "mixture_from_k", 5)  # the frequency rules' blocks, not the mixture
    import momentck.numeric.fourier_shared as shared
    monkeypatch.setattr(shared, "_LEVELS", _COARSE)
    monkeypatch.setattr(shared, "_PAIR", _COARSE_PAIR)
    monkeypatch.setattr(shared, "_TWO_BLOCKS", _COARSE_TWO_BLOCKS)
    model = Model(f"stable(alpha={alpha})", "normal", activation)
    ours, theirs = FourierWeights(model), reference(model)
    for s in _pair_blocks():
        (a, ea), (b, eb) = ours(s), theirs(s)
        assert ea < 1e-5 and abs(a - b) <= ea + eb + 1e-15, s.key  # as the k = 3 blocks at coarse levels


@pytest.mark.parametrize("alpha", [0.7, 1.5])
def test_normal_pair_moment_matches_quadrature(alpha):
    # E|Z_1|^a |Z_2|^a at correlation rho: conditioning on Z_1, E|rho z + s Z|^a = s^a E|Z|^a 1F1(-a/2; 1/2; -(rho z)^2/2s^2)
    import mpmath
    from momentck.numeric.fourier_shared import normal_pair_moment
    moment = normal_pair_moment(alpha)
    m = 2 ** (alpha / 2) * mpmath.gamma((alpha + 1) / 2) / mpmath.sqrt(mpmath.pi)
    for rho in (0.0, 0.3, -0.8, 0.99, 1.0):
        s = mpmath.sqrt(1 - mpmath.mpf(rho) ** 2)
        if s == 0:
            ref = 2 ** alpha * mpmath.gamma(alpha + 0.5) / mpmath.sqrt(mpmath.pi)
        else:
            def g(z):
                inner = s ** alpha * m * mpmath.hyp1f1(-alpha / 2, 0.5, -(rho * z) ** 2 / (2 * s * s))
                return abs(z) ** alpha * inner * mpmath.exp(-z * z / 2)
            ref = 2 * mpmath.quad(g, [0, 1, 3, 8, 20]) / mpmath.sqrt(2 * mpmath.pi)
        assert abs(moment(np.array([rho]))[0] - float(ref)) < 1e-13 * float(ref), rho


def test_sparse_uniform_blocks_of_four_shared_inputs_are_refused():
    shape = next(s for s in enumerate_shapes(4) if s.pairs == (((0, 1), 4),))
    with pytest.raises(MomentckError, match="at most three shared inputs"):
        FourierWeights(Model("sparse(c=2, entries=normal)", "uniform", "tanh"))(shape)


def test_rademacher_shapes_sharing_their_longest_rows_share_a_key(monkeypatch):
    # affinity: the key is the set of a shape's longest rows (as memoised), so the k = 4 shapes whose four-slot rows
    # are equal (the two orderings of the pair block with a row (d, d, o, o); the pair block of four factors and the
    # three-row star; the two orderings of two blocks through a row of four ends; the rows (d, o, o) of the pair block
    # and of the triangle) share one; uniform inputs: None; normal inputs (the Gaussian mixture): the shapes of several
    # blocks, which read the messages of their order.
    # Spread over two processes with those keys, m_1..m_3 equal the serial ones to the last bit.
    from momentck import parallel
    from momentck.numeric.fourier import _rows
    fw = FourierWeights(Model("stable(alpha=3/2)", "rademacher", "tanh"))
    keys = {}
    for s in enumerate_shapes(4):
        kinds = tuple(sorted(k for k, _ in _rows(s)))
        keys.setdefault(fw.affinity(s), set()).add((len(s.blocks), kinds))
    def shape(blocks, *kinds):
        return blocks, tuple(sorted(kinds))
    four, two, dd, d = ("o",) * 4, ("o", "o"), ("d", "d", "o", "o"), ("d", "o", "o")
    assert keys.pop(None) == {shape(0, ("d",) * 4)}
    assert sorted(keys.values(), key=sorted) == sorted([
        {shape(1, dd, two)}, {shape(1, four, four), shape(1, four, two, two)}, {shape(2, four, two, two)},
        {shape(1, d, d), shape(1, d, two, two)}, {shape(1, two, two, two, two)}], key=sorted)
    assert FourierWeights(Model("stable(alpha=3/2)", "uniform", "tanh")).affinity(enumerate_shapes(4)[1]) is None
    normal = FourierWeights(Model("stable(alpha=3/2)", "normal", "tanh"))     # the mixture: its messages, on one worker
    assert {(len(s.blocks) > 1, normal.affinity(s)) for s in enumerate_shapes(4)} == {(True, "messages"), (False, None)}
    model = Model("stable(alpha=3/2)", "rademacher", "tanh")
    serial = limiting_moments(model, 3, cache=False, progress=False)
    monkeypatch.setattr(parallel, "TASK_MIN_SECONDS", 0.0)
    spread = limiting_moments(model, 3, cache=False, progress=False, workers=2)
    assert list(spread.spectral) == list(serial.spectral) and spread.spectral_error == serial.spectral_error
