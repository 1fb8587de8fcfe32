"""Figures of the limiting law, composed from :mod:`momentck.plotting`.

:func:`plot_law` draws the density of the continuous part, the atoms as vertical
spikes labelled with their mass, optionally a Monte Carlo eigenvalue histogram of
the same model underneath and further laws (e.g. the Gaussian-weight law with the
same activation) for contrast.  It returns the figure.  The drawing itself (density
curves, atoms, histograms) lives in :mod:`momentck.plotting`, which the notebooks use.
"""

import numpy as np

from .. import plotting

__all__ = ["plot_law"]


def _label(law):
    m = law.model
    return f"{m.weights.spec}, {m.inputs.spec}, {m.activation.spec}"


def plot_law(law, ax=None, eigenvalues=None, compare=(), title=None):
    """Draw a :class:`~momentck.spectral.law.SpectralLaw`; returns the figure.

    Parameters
    ----------
    law : SpectralLaw
    ax : matplotlib Axes, optional
    eigenvalues : array, optional
        Simulated eigenvalues of M (pooled): a histogram of the nonzero ones, scaled so
        that its area is their fraction; the fraction of exact zeros goes in the legend.
    compare : sequence of SpectralLaw
        Further laws drawn as dashed lines.
    """
    fig, ax = plotting._axes(ax, figsize=(7.5, 4.5))
    lo, hi = float(law.x[0]), float(law.x[-1])
    if eigenvalues is not None:
        ev = np.asarray(eigenvalues, dtype=float).ravel()
        zero = np.abs(ev) <= 1e-9 * max(np.max(np.abs(ev)), 1e-300)
        plotting._histogram(ax, ev[~zero], 80, lo, hi, total=len(ev), color="0.8", edgecolor="0.65",
                            linewidth=0.4,
                            label=f"simulated eigenvalues ({len(ev)}; exact zeros {zero.mean():.3f})")
    # a hard edge (density ~ x^{-1/2}) would flatten the picture: cap the axis, say so
    top = max(float(np.quantile(law.density, 0.97)) * 1.6, 1e-12)
    ax.set_ylim(0, 1.08 * top)
    plotting.density(law, ax, color="C0", lw=1.6, label=f"limit: {_label(law)}", atoms=True,
                     atom_height=0.85 * top)
    for other in compare:
        plotting.density(other, ax, color="C3", lw=1.3, ls="--", label=f"limit: {_label(other)}")
    if np.max(law.density) > 1.08 * top:
        ax.annotate(f"density up to {np.max(law.density):.3g} (clipped)", (lo, top), xytext=(8, -12),
                    textcoords="offset points", fontsize=8, color="C0")
    ax.set_xlim(lo - 0.02 * (hi - lo), hi)
    ax.set_ylim(0, 1.08 * top)
    ax.set_xlabel("eigenvalue of M = YY^T/m")
    ax.set_ylabel("density")
    m = law.model
    ax.set_title(title or f"limiting spectral law, phi = {m.phi}, psi = {m.psi} (CDF error {law.error:.2g})",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    return fig
