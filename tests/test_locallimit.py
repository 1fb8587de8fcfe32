"""The local-limit sampler: an independent, unbiased check of the walk expansion."""

import numpy as np
import pytest

from momentck import Model
from momentck.engine import kernel_moments
from momentck.errors import MomentckError
from momentck.locallimit import local_limit_moments

Z = 4.0
SPEC = ("sparse(c=3/2, entries=rademacher)", "rademacher", "poly(1, -1/30)")


def test_local_limit_agrees_with_exact_engine_to_k5():
    model = Model(*SPEC, phi=1, psi="1/2")
    r = local_limit_moments(model, 5, samples=3000, seed=3, copies=128)
    exact = np.array(kernel_moments(model, 5).floats())
    z = (r.kernel - exact) / r.stderr
    assert np.all(np.abs(z) < Z), z
    assert np.all(r.stderr / r.kernel < 0.05)          # a sharp check, not a vacuous one
    # the same samples reject the kernel moments of psi = 1 (fewer rows per column)
    wrong = np.array(kernel_moments(Model(*SPEC, phi=1, psi=1), 5).floats())
    assert np.any(np.abs((r.kernel - wrong) / r.stderr) > Z)


def test_local_limit_tanh_sanity_value():
    model = Model("sparse(c=2, entries=rademacher)", "rademacher", "tanh")
    r = local_limit_moments(model, 1, samples=3000, seed=5, copies=64)
    assert abs(r.kernel[0] - 0.4969146756) < Z * r.stderr[0]


def test_local_limit_refuses_what_it_cannot_do():
    with pytest.raises(MomentckError, match="sparse weights"):
        local_limit_moments(Model("gaussian", "normal", "tanh"), 2)
    with pytest.raises(MomentckError, match="samples"):
        local_limit_moments(Model(*SPEC), 2, samples=1)
