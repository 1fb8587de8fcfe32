"""momentck: exact limiting spectral moments of conjugate-kernel random matrices
with heavy-tailed weights, checked against simulation.

See docs/MATH.md for the mathematics and conventions.
"""

from .activations import Activation, Poly, activation
from .errors import ConvergenceError, MomentckError, NotCovered, SpecError, TooMuchWork, WorkersLost
from .laws import (Gaussian, InputLaw, MomentInputs, Normal, Rademacher, Sparse, Stable,
                   Uniform, WeightLaw, input_law, weight_law)
from .model import Model
from .simulation import SimulationResult, memory_estimate, simulate
from .engine import MomentResult, explain, kernel_moments, limiting_moments
from .locallimit import local_limit_moments
from .verify import verify
from .spectral import SpectralLaw, spectral_law

__version__ = "0.1.0"

__all__ = [
    "Activation", "Poly", "activation", "MomentckError", "SpecError", "TooMuchWork", "NotCovered",
    "ConvergenceError", "WorkersLost",
    "Gaussian", "InputLaw", "MomentInputs", "Normal", "Rademacher", "Sparse", "Stable",
    "Uniform", "WeightLaw", "input_law", "weight_law", "Model",
    "SimulationResult", "simulate", "memory_estimate",
    "MomentResult", "explain", "kernel_moments", "limiting_moments", "local_limit_moments", "verify",
    "SpectralLaw", "spectral_law",
]
