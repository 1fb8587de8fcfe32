"""Exact moments against Monte Carlo (MATH.md §6): 4 standard errors, fixed seeds.

Polynomial activations are unbounded, so the replicate distribution of m_3 and m_4
is heavy-tailed (rare rows with large norm dominate) and the standard error is
itself noisy.  The models below keep the cubic term small enough that 40
replicates give relative standard errors below ~50% on m_4, and the sizes keep
each case to a few seconds.
"""

import numpy as np
import pytest

from momentck import Model
from momentck.engine import limiting_moments
from momentck.simulation import simulate

Z = 4.0   # standard errors allowed

CASES = [
    # (weights, inputs, activation, phi, psi), n, reps, seed
    (("sparse(c=2, entries=rademacher)", "rademacher", "poly(1, -1/10)", 1, "1/2"), 400, 40, 11),  # psi != 1
    (("sparse(c=1, entries=rademacher)", "normal", "poly(1, -1/10)", "1/2", 2), 300, 40, 12),      # phi != psi
]


@pytest.mark.parametrize("spec, n, reps, seed", CASES)
def test_sparse_exact_moments_match_simulation(spec, n, reps, seed):
    model = Model(*spec)
    exact = np.array(limiting_moments(model, 4).floats())
    mc = simulate(model, n, 4, reps=reps, seed=seed, progress=False)
    z = (mc.moments - exact) / mc.stderr
    assert np.all(np.abs(z) < Z), f"z-scores {z}, exact {exact}, mc {mc.moments} ± {mc.stderr}"
    assert np.all(mc.stderr / mc.moments < 0.5), "too few replicates for a meaningful check"


def test_simulation_detects_a_wrong_ratio_convention():
    # Enough data to accept the right m_2 and reject the one with phi and psi swapped
    spec, n, _, seed = CASES[0]
    mc = simulate(Model(*spec), n, 2, reps=200, seed=seed, progress=False)
    right = np.array(limiting_moments(Model(*spec), 2).floats())
    wrong = Model(spec[0], spec[1], spec[2], phi=spec[4], psi=spec[3])
    assert abs((mc.moments[1] - right[1]) / mc.stderr[1]) < Z
    assert abs((mc.moments[1] - limiting_moments(wrong, 2).floats()[1]) / mc.stderr[1]) > Z
