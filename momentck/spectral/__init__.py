"""The limiting eigenvalue law of M (MATH.md §7): density, CDF, atoms, and pictures.

* :mod:`~momentck.spectral.entries`: K-entries as functions of the rows' local data;
* :mod:`~momentck.spectral.trees`: the Poisson block tree of a weight law;
* :mod:`~momentck.spectral.cavity`: population dynamics with the Silverstein step;
* :mod:`~momentck.spectral.silverstein`: free Poisson compression, Gaussian closed form;
* :mod:`~momentck.spectral.law`: :func:`spectral_law` and :class:`SpectralLaw`;
* :mod:`~momentck.spectral.plot`: figures (drawn with :mod:`momentck.plotting`).
"""

from .law import SpectralLaw, spectral_law

__all__ = ["SpectralLaw", "spectral_law"]
