"""momentck: exact limiting spectral moments of conjugate-kernel random matrices
with heavy-tailed weights, checked against simulation.

See MATH.md (shipped as ``momentck/MATH.md`` in the docs) for conventions.
"""

from .activations import Activation, Poly, activation
from .errors import MomentckError, SpecError, TooMuchWork
from .laws import (Gaussian, InputLaw, MomentInputs, Normal, Rademacher, Sparse, Stable,
                   Uniform, WeightLaw, input_law, weight_law)
from .model import Model
from .simulation import SimulationResult, simulate

__version__ = "0.1.0"

__all__ = [
    "Activation", "Poly", "activation", "MomentckError", "SpecError", "TooMuchWork",
    "Gaussian", "InputLaw", "MomentInputs", "Normal", "Rademacher", "Sparse", "Stable",
    "Uniform", "WeightLaw", "input_law", "weight_law", "Model",
    "SimulationResult", "simulate",
]
