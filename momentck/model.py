"""The conjugate-kernel model ``Y = f(WX)``, ``M = Y Y^T / m`` (MATH.md §1).

A :class:`Model` bundles a weight law, an input law, an activation and the two
aspect ratios ``phi = d/m`` and ``psi = d/n`` (Pennington–Worah convention); the
same object feeds the simulator and the exact engine.
"""

import math

import sympy

from .activations import Activation, activation
from .errors import MomentckError
from .laws import InputLaw, Stable, WeightLaw, input_law, weight_law
from .specs import positive_number
from .validation import check_int

__all__ = ["Model", "MAX_SIZE"]

#: largest d or m a simulation may ask for (W is n×d, X is d×m; far beyond memory)
MAX_SIZE = 1e12


class Model:
    """A two-layer conjugate-kernel model.

    Parameters
    ----------
    weights : WeightLaw or str
        ``gaussian``, ``sparse(c=..., entries=...)`` or ``stable(alpha=...)``.
    inputs : InputLaw or str
        ``normal``, ``rademacher`` or ``uniform``.
    activation : Activation or str
        ``tanh``, ``erf``, ``sin``, ``atan`` or ``poly(a1, a3, ...)``.
    phi, psi : number or sympy expression
        ``phi = d/m`` and ``psi = d/n``; decimals and strings like ``"1/3"`` are
        kept exact.  The ratio of the free compression is ``gamma = n/m = phi/psi``.

    Examples
    --------
    >>> Model("sparse(c=2, entries=rademacher)", "rademacher", "tanh", phi=1, psi="1/2")
    Model(weights='sparse(c=2, entries=rademacher)', inputs='rademacher', activation='tanh', phi=1, psi=1/2)
    """

    def __init__(self, weights, inputs, activation_, phi=1, psi=1):
        self.weights = _typed(weight_law, weights, WeightLaw, "weights")
        self.inputs = _typed(input_law, inputs, InputLaw, "inputs")
        self.activation = _typed(activation, activation_, Activation, "activation")
        self.phi = positive_number(phi, "phi (= d/m)")
        self.psi = positive_number(psi, "psi (= d/n)")
        for p in (1, 3, 5):
            if self.inputs.moment(p) != 0:  # pragma: no cover - built-in laws are symmetric
                raise MomentckError(f"input law {self.inputs.spec} is not symmetric (mu_{p} != 0)")
        if isinstance(self.weights, Stable) and not self.activation.bounded:
            raise MomentckError(
                f"activation {self.activation.spec} is unbounded, but stable weights have infinite "
                "moments: use a bounded activation (tanh, erf, sin, atan)")

    @property
    def gamma(self):
        """Ratio ``n/m = phi/psi`` of the free Poisson compression."""
        return self.phi / self.psi

    @property
    def free_symbols(self):
        out = set(self.phi.free_symbols) | set(self.psi.free_symbols)
        out |= self.weights.free_symbols | self.activation.free_symbols
        return out

    def sizes(self, n):
        """Matrix sizes ``(n, d, m)`` with ``d = round(psi n)`` and ``m = round(psi n / phi)``."""
        if self.free_symbols & (set(self.phi.free_symbols) | set(self.psi.free_symbols)):
            raise MomentckError("cannot size matrices with symbolic phi or psi")
        n = check_int(n, "n", 1)
        psi, phi = float(self.psi), float(self.phi)
        d_real, m_real = psi * n, psi * n / phi if phi > 0 else math.inf
        if not (math.isfinite(m_real) and math.isfinite(d_real)) or max(d_real, m_real) > MAX_SIZE:
            raise MomentckError(
                f"phi = {sympy.N(self.phi, 3)}, psi = {sympy.N(self.psi, 3)} at n = {n} give d = psi n "
                f"= {d_real:.3g}, m = psi n / phi = {m_real:.3g}: too large to sample; "
                f"allowed: d, m <= {MAX_SIZE:.0e}")
        d = int(round(d_real))
        m = int(round(m_real))
        if d < 2 or m < 2:
            raise MomentckError(
                f"n = {n} is too small for phi = {self.phi}, psi = {self.psi}: it gives d = {d}, m = {m}; "
                "need d >= 2 and m >= 2")
        return n, d, m

    def to_dict(self):
        return {"weights": self.weights.spec, "inputs": self.inputs.spec,
                "activation": self.activation.spec, "phi": str(self.phi), "psi": str(self.psi)}

    @property
    def key(self):
        """A stable string identifying the model (used for caching)."""
        return "|".join(f"{k}={v}" for k, v in self.to_dict().items())

    def __repr__(self):
        return ("Model(weights={weights!r}, inputs={inputs!r}, activation={activation!r}, "
                "phi={phi}, psi={psi})").format(**self.to_dict())

    def __eq__(self, other):
        return isinstance(other, Model) and other.key == self.key

    def __hash__(self):
        return hash(self.key)


def _typed(parser, value, cls, what):
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        return parser(value)
    raise MomentckError(f"{what} must be a spec string or a {cls.__name__}, got {value!r}")


