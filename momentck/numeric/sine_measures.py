"""Sine representations of bounded odd activations (MATH.md §4, numeric: the Fourier method).

A bounded odd activation is written ``f(x) = int_0^inf sin(xi x) mu(d xi)`` and its square
``f(x)^2 = int_0^inf (1 - cos(omega x)) sigma(d omega)``.  With ``f(x) = g(beta x)`` the
frequencies scale by ``beta``.  The densities (with respect to ``d xi``, ``d omega``) for
``beta = 1``:

=======  ====================================  ==========================================================
f        mu                                    sigma
=======  ====================================  ==========================================================
tanh     ``1 / sinh(pi xi / 2)``               ``omega / sinh(pi omega / 2)``
atan     ``e^-xi / xi``                        ``e^-omega (e^{2 omega} E_1(2 omega) + log(2 omega) + gamma) / omega``
erf      ``(2/pi) e^{-xi^2/4} / xi``           ``8 e^{-omega^2/8} D(omega / (2 sqrt 2)) / (pi^{3/2} omega)``
sin      the atom ``delta_1``                  the atom ``delta_2 / 2``
=======  ====================================  ==========================================================

(D is Dawson's integral, E_1 the exponential integral, gamma Euler's constant.)  sigma is the
cosine transform of ``sup f^2 - f^2``: for erf, ``1 - erf(h)^2`` has derivative
``-(4/sqrt pi) erf(h) e^{-h^2}`` and ``erf(h) = (2/sqrt pi) int_0^1 h e^{-h^2 t^2} dt`` reduce the
transform to ``int_0^{1/sqrt 2} e^{omega^2 (u^2 - 1)/4} du``; for atan, ``atan(h) = int_0^1 h/(1 + t^2 h^2) dt``
and partial fractions give ``(2/omega) int_0^1 (e^-omega - e^{-omega/t})/(1 - t^2) dt``, which integrates to
the form above.  The total masses of sigma are ``lim f^2`` (tanh, erf: 1; atan: pi^2/4) and, for
sin, 1/2 (the mean of sin^2).

Examples
--------
>>> import numpy as np
>>> from scipy.integrate import quad
>>> m = SineMeasure("tanh", 1.0)
>>> bool(abs(quad(lambda x: m.mu(x) * np.sin(0.7 * x), 0, 60)[0] - np.tanh(0.7)) < 1e-10)
True
"""

import functools

import mpmath
import numpy as np
from numpy.polynomial import chebyshev as cheb
from scipy import special

__all__ = ["SineMeasure", "SINE_MEASURES"]


def _tanh_mu(x):
    return 1 / np.sinh(np.pi * x / 2)


def _tanh_sigma(w):
    return w / np.sinh(np.pi * w / 2)


def _atan_mu(x):
    return np.exp(-x) / x


#: atan's sigma through ``s(w) = e^{2w} E_1(2w) + log(2w) + gamma``, smooth in ``u = log w``: pieces of
#: width ``_S_STEP`` in u on ``[_S_LO, _S_HI]``, a degree-``_S_DEGREE`` polynomial each
_S_LO, _S_HI, _S_STEP, _S_DEGREE = -18.5, 6.0, 1 / 8, 9


def _s_exact(w):
    """``s(w)`` in mpmath (30 digits): the float64 form cancels ``log 2w`` against ``e^{2w} E_1(2w)``
    and loses ``1e-8`` relative at ``w = 1e-8``."""
    with mpmath.workdps(30):
        x = 2 * mpmath.mpf(w)
        return float(mpmath.exp(x) * mpmath.e1(x) + mpmath.log(x) + mpmath.euler)


@functools.cache
def _s_table():
    """Monomial coefficients (degree, pieces) of s on each piece in ``t in [-1, 1]``, interpolated at
    Chebyshev points (within 3e-15 relative of mpmath; built in ~0.1 s)."""
    t = np.cos(np.pi * (np.arange(_S_DEGREE + 1) + 0.5) / (_S_DEGREE + 1))
    pieces = int(round((_S_HI - _S_LO) / _S_STEP))
    coeffs = np.empty((pieces, _S_DEGREE + 1))
    for j in range(pieces):
        u = _S_LO + (j + (t + 1) / 2) * _S_STEP
        values = [_s_exact(np.exp(x)) for x in u]
        coeffs[j] = cheb.cheb2poly(cheb.chebfit(t, values, _S_DEGREE))
    return np.ascontiguousarray(coeffs.T)


def _atan_s(w):
    """``s(w)`` for ``0 < w <= e^_S_HI``: the table, and below ``e^_S_LO`` (x = 2w < 2e-8) its series
    ``x + 3x^2/4 - (x + x^2/2)(gamma + log x) + O(x^3 log x)`` (from ``E_1 = -gamma - log x + Ein x``)."""
    coeffs = _s_table()
    y = (np.log(w) - _S_LO) / _S_STEP
    j = np.clip(y.astype(np.intp), 0, coeffs.shape[1] - 1)
    t = 2 * (y - j) - 1
    s = coeffs[-1][j]
    for c in coeffs[-2::-1]:
        s *= t
        s += c[j]
    x = 2 * w
    return np.where(y < 0, x + 0.75 * x * x - (x + x * x / 2) * (np.euler_gamma + np.log(x)), s)


def _atan_sigma(w):
    w = np.minimum(w, 300.0)  # e^-300: below every weight that matters
    return np.exp(-w) / w * _atan_s(w)   # a table: scipy's E_1 costs ~4x as much at every node


def _erf_mu(x):
    return 2 / np.pi * np.exp(-x * x / 4) / x


def _erf_sigma(w):
    return 8 / (np.pi ** 1.5 * w) * np.exp(-w * w / 8) * special.dawsn(w / (2 * np.sqrt(2)))


#: name -> (mu density, sigma density, frequency beyond which both are below e^-40 (beta = 1; erf: sigma ~ e^{-omega^2/8}),
#: total mass of sigma = lim f^2, tail exponent q: the densities decay like e^{-c x^q}); sin: atoms
SINE_MEASURES = {
    "tanh": (_tanh_mu, _tanh_sigma, 80 / np.pi, 1.0, 1),
    "atan": (_atan_mu, _atan_sigma, 40.0, np.pi ** 2 / 4, 1),
    "erf": (_erf_mu, _erf_sigma, 18.0, 1.0, 2),
    "sin": None,
}


class SineMeasure:
    """The measures mu (of f) and sigma (of f^2) of ``f(beta x)``, as densities or atoms.

    Parameters
    ----------
    name : str
        One of :data:`SINE_MEASURES`.
    beta : float
        The activation's scale.
    """

    def __init__(self, name, beta):
        self.name, self.beta = name, float(beta)
        entry = SINE_MEASURES[name]
        #: ``(mu atom, sigma atom, sigma atom's mass)`` for atomic measures, else None
        self.atoms = (self.beta, 2 * self.beta, 0.5) if entry is None else None
        #: the total mass of sigma (independent of beta)
        self.mass = 0.5 if entry is None else entry[3]
        if entry is not None:
            self._mu, self._sigma, top, _, self.tail = entry
            self.top = top * self.beta

    def radial_top(self, n):
        """A radius beyond which a product of n densities at ``r v`` (``sum v = 1``) is below e^-40:
        ``prod e^{-c (r v_t)^q} <= e^{-c r^q n^(1 - q)}``, so ``top n^((q - 1)/q)``."""
        return self.top * n ** ((self.tail - 1) / self.tail)

    def mu(self, x):
        """Density of mu at ``x > 0``."""
        return self._mu(x / self.beta) / self.beta

    def sigma(self, w):
        """Density of sigma at ``w > 0``."""
        return self._sigma(w / self.beta) / self.beta
