"""Error classes say what kind of problem it is; integer checks live in momentck.validation."""

import numpy as np
import pytest

import momentck
from momentck import (ConvergenceError, Model, MomentckError, NotCovered, TooMuchWork, WorkersLost,
                      compression, engine, shapes, simulation, validation)
from momentck.locallimit import local_limit_moments


def test_error_classes_are_momentck_errors_and_exported():
    for cls, builtin in ((NotCovered, NotImplementedError), (ConvergenceError, RuntimeError),
                         (WorkersLost, RuntimeError), (TooMuchWork, ValueError)):
        assert issubclass(cls, MomentckError) and issubclass(cls, builtin)
        assert cls.__name__ in momentck.__all__
    assert not issubclass(NotCovered, ConvergenceError) and not issubclass(ConvergenceError, NotCovered)


@pytest.mark.parametrize("call", [
    lambda: engine.limiting_moments(Model("stable(alpha=1.5)", "normal", "tanh"), 7),     # beyond k = 6
    lambda: engine.limiting_moments(Model("stable(alpha=1.5)", "normal", "sin"), 7),      # beyond k = 6
    lambda: engine.limiting_moments(Model("stable(alpha=1.5)", "uniform", "erf"), 4, method="numeric"),  # beyond k = 3
    lambda: local_limit_moments(Model("gaussian", "normal", "tanh"), 2, samples=10),
])
def test_not_implemented_is_not_covered(call):
    with pytest.raises(NotCovered):
        call()


@pytest.mark.parametrize("call", [
    lambda: engine.limiting_moments(Model("gaussian", "normal", "tanh"), 0),
    lambda: simulation.simulate(Model("gaussian", "normal", "tanh"), 10, 2, reps=0),
    lambda: engine.limiting_moments(Model("gaussian", "normal", "tanh"), 2, method="nope"),
])
def test_bad_input_is_a_plain_momentck_error(call):
    with pytest.raises(MomentckError) as info:
        call()
    assert type(info.value) is MomentckError


def test_one_integer_check_for_every_module():
    assert engine._check_k is shapes._check_k is compression._check_k is validation.check_k
    assert simulation._check_int is validation.check_int
    # numpy integers are integers everywhere (compression refused them before)
    assert len(list(compression.noncrossing_partitions(np.int64(3)))) == 5      # Catalan number C_3
    assert len(shapes.enumerate_shapes(np.int64(3))) == 4
    for bad in (0, 1.0, True, "2"):
        with pytest.raises(MomentckError, match=f"k must be an integer >= 1, got {bad!r}"):
            validation.check_k(bad)
