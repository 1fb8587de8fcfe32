"""The limiting eigenvalue law of M: density, CDF, atoms, moments (MATH.md §7).

:func:`spectral_law` computes it for Gaussian weights from the closed form of §5
(deterministic) and for sparse and stable weights by population dynamics on the
block tree (:mod:`momentck.spectral.cavity`).

From the Stieltjes transform ``s`` on a curve ``z = x + i eta(x)`` above the real axis,
the CDF is exact up to the two short vertical segments of the contour that
joins the real axis to the curve (Cauchy):

    F(b) - F(a) = (1/pi) Im int_a^b s(z(x)) z'(x) dx + (1/pi) int_0^{eta(a)} Re s(a + it) dt
                  - (1/pi) int_0^{eta(b)} Re s(b + it) dt,

and the vertical integrals are taken as ``eta Re s(x + i eta)`` (error ``O(eta^2 rho')``
where the density is smooth).  ``eta(x)`` shrinks near 0, where M may have an atom
and a hard edge (density ~ x^{-1/2} when gamma = 1).  The atom at 0,
``max(H({0}), 1 - 1/gamma)`` (MATH.md §7), is removed from ``s`` before and added back
after.  The error estimate adds the population noise (over independent populations, 3
standard errors), the curve's effect (the same CDF from the curve at twice the
height, difference / 3, as for a second-order error) and, for stable weights, the
cut's effect (the CDF is Richardson-extrapolated from the cuts eps and 1.5 eps; the size
of the step is added).

Moments ``m_k`` of the computed law are contour integrals of ``z^k s_M(z)`` over a
circle enclosing the spectrum (trapezoid rule in the angle), evaluated by the same
populations as the curve; their errors are Student-t intervals over the populations
(the coverage of 3 standard errors).  Populations are independent (their own seed
streams) and run on local processes when that pays; more are added while the noise keeps
the CDF error above the asked accuracy (at most 32).
"""

import functools
import math
import sys
import warnings

import numpy as np

from ..errors import MomentckError
from ..model import Model
from ..parallel import TASK_MIN_SECONDS, TaskSpreader
from ..resources import cpu_count
from ..validation import check_int
from .cavity import population_resolvent
from .entries import kernel_entries
from .silverstein import gaussian_density, gaussian_h_stieltjes, gaussian_support, subordinate
from .trees import tree_for

__all__ = ["SpectralLaw", "spectral_law"]

#: the smallest CDF error the population method is asked for
ACCURACY_FLOOR = 0.002
#: noise estimate of the CDF (3 standard errors of the mean of 4 runs) times sqrt(population size
#: x measured sweeps / 10), measured (sparse(c=3), tanh: 0.0065 at size 1000, 10 sweeps); 55% of the
#: asked accuracy goes to the noise (the curve's effect took 0.0023 there)
_NOISE_CONSTANT = 0.2
_NOISE_SHARE = 0.55
#: one-sided coverage of the moments' error (that of 3 normal standard errors, two-sided)
_MOMENT_COVERAGE = 0.99865
#: most grid points reported
_MAX_GRID = 100000
#: trapezoid nodes on the upper half of the moment contour
_CONTOUR_NODES = 48
#: measured sweeps per run: the noise falls like 1/sqrt(population x sweeps) (successive sweeps
#: are nearly independent), and a small population with many sweeps is cheaper (burn-in, cache)
_SWEEPS = 40
#: smallest population
_MIN_POPULATION = 200
#: burn-in sweeps; independent populations per curve (the noise is taken over them)
_BURN = 15
_RUNS = 4
#: most populations per curve (more are added while the noise keeps the error above the accuracy)
_MAX_RUNS = 32
#: the quick first run that places the default grid: populations, their size and sweeps
_PILOT_RUNS, _PILOT_SIZE, _PILOT_SWEEPS = 2, 300, 16
#: seconds per unit of work (members x lam^2 (x (lam/psi)^2 for general blocks) x points x sweeps),
#: rough (2 idle cores), only to decide whether spreading the populations over processes pays
_SECONDS_PER_UNIT = 1e-8


class SpectralLaw:
    """The limiting spectral law of M on a grid.

    Attributes
    ----------
    x, density : ndarray
        Grid and density of the continuous part (the atoms are apart).
    atoms : list of (float, float)
        ``(location, mass)``.
    error : float
        Estimate of the sup error of :meth:`cdf` on the grid.
    support : list of (float, float)
        Intervals carrying the continuous part (atoms apart).  Gaussian weights: the exact
        support, edges to 1e-9 (bisection on the closed form).  Sparse and stable weights:
        where the computed law has mass visible at its error (every window of width
        ``4 details["support_resolution"]`` around a point holding more than ``error``):
        gaps where the density vanishes and the bulk's edges, to about the resolution; an
        unbounded tail ends where its mass falls below the error.
    model : Model
    details : dict
        Method and parameters (eta, population size, sweeps, eps for stable weights, ...).
    """

    def __init__(self, model, x, density, cdf_x, cdf_f, atoms, error, moments, moment_errors,
                 details, support=()):
        self.model, self.x, self.density = model, x, density
        self.support = [(float(a), float(b)) for a, b in support]
        self._cx, self._cf = cdf_x, cdf_f
        self.atoms, self.error, self.details = atoms, float(error), details
        self._moments, self._moment_errors = moments, moment_errors

    def cdf(self, x):
        """CDF at ``x`` (atoms at or below x included)."""
        x = np.asarray(x, dtype=float)
        out = np.interp(x, self._cx, self._cf, left=0.0, right=self._cf[-1])
        for loc, mass in self.atoms:
            out = out + mass * (x >= loc)
        return np.clip(out, 0.0, 1.0)

    def quantile(self, p):
        """Smallest ``x`` with ``cdf(x) >= p`` (bisection on :meth:`cdf` to 1e-12 of the support).

        ``p`` in (0, 1); where the computed total mass stays below ``p`` (the CDF's
        error), the right end of the support.
        """
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 < p < 1:
            raise MomentckError(f"quantile(p): p must be a number in (0, 1), got {p!r}")
        lo = min([float(self._cx[0])] + [float(a) for a, _ in self.atoms])
        hi = float(self._cx[-1])
        if float(self.cdf(lo)) >= p:
            return lo
        if float(self.cdf(hi)) < p:
            return hi
        tol = 1e-12 * max(hi - lo, 1e-300)
        while hi - lo > tol:
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if float(self.cdf(mid)) >= p else (mid, hi)
        return hi

    def moments(self, k):
        """``m_1..m_k`` of the computed law (k <= 8) with their error estimates."""
        k = check_int(k, "moments(k): k", 1, len(self._moments))
        return [float(v) for v in self._moments[:k]], [float(v) for v in self._moment_errors[:k]]

    def to_dict(self):
        """A JSON-able dict: ``x``, ``density``, ``cdf``, ``atoms``, ``support``, ``error``, ``model``, ``details``."""
        return {"x": [float(v) for v in self.x], "density": [float(v) for v in self.density],
                "cdf": [float(v) for v in self.cdf(self.x)],
                "atoms": [[float(a), float(b)] for a, b in self.atoms],
                "support": [[a, b] for a, b in self.support],
                "error": self.error, "model": self.model.to_dict(), "details": self.details}

    def plot(self, ax=None, **kwargs):
        """Draw the density and atoms; returns the figure (see :mod:`momentck.spectral.plot`)."""
        from .plot import plot_law
        return plot_law(self, ax=ax, **kwargs)

    def __repr__(self):
        return (f"SpectralLaw({self.model!r}, {len(self.x)} points on [{self.x[0]:.4g}, {self.x[-1]:.4g}], "
                f"atoms={[(round(a, 6), round(b, 6)) for a, b in self.atoms]}, error={self.error:.2g})")


# ---------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------

def _check_grid(grid):
    if grid is None:
        return None
    if isinstance(grid, str):
        parts = grid.split(":")
        if len(parts) != 3:
            raise MomentckError(f"grid {grid!r}: write a:b:N (start, stop, number of points)")
        try:
            grid = (float(parts[0]), float(parts[1]), int(parts[2]))
        except ValueError:
            raise MomentckError(f"grid {grid!r}: write a:b:N with numbers a < b and an integer N >= 2") from None
    if isinstance(grid, tuple) and len(grid) == 3:
        a, b, n = grid
        n = check_int(n, "grid: the number of points", 2, _MAX_GRID)
        grid = np.linspace(float(a), float(b), n)
    x = np.asarray(grid, dtype=float)
    if x.ndim != 1 or not 2 <= len(x) <= _MAX_GRID or not np.all(np.isfinite(x)):
        raise MomentckError(f"grid must hold 2 to {_MAX_GRID} finite points (or be a:b:N)")
    if not np.all(np.diff(x) > 0):
        raise MomentckError("grid must be strictly increasing (a < b in a:b:N)")
    return x


def _check_accuracy(accuracy, floor):
    if isinstance(accuracy, bool) or not isinstance(accuracy, (int, float)) or not 0 < accuracy < 1:
        raise MomentckError(f"accuracy must be a number in (0, 1) (a sup error of the CDF), got {accuracy!r}")
    if accuracy < floor:
        raise MomentckError(f"accuracy {accuracy:g} is beyond reach of this method; it reaches {floor:g} "
                            "(population dynamics on the block tree; Gaussian weights: 1e-9)")
    return float(accuracy)


# ---------------------------------------------------------------------------
# Gaussian weights: closed form
# ---------------------------------------------------------------------------

def _gaussian(model, grid):
    from ..gaussian import gaussian_thetas
    try:
        t1, t2 = (float(v) for v in gaussian_thetas(model.activation))
        psi, gamma = float(model.psi), float(model.gamma)
    except (OverflowError, TypeError) as exc:
        raise MomentckError(f"the Gaussian closed form cannot be evaluated in float64 for {model!r}") from exc
    if not (all(math.isfinite(v) for v in (t1, t2)) and t2 > 0 and 1e-6 <= psi <= 1e6 and 1e-6 <= gamma <= 1e6
            and 1e-12 < t1 < 1e12):
        raise MomentckError("the Gaussian closed form needs 1e-6 <= psi, phi/psi <= 1e6, 0 < theta_1 < 1e12 and "
                            f"theta_2 = (E f'(z))^2 > 0; got psi = {psi:g}, phi/psi = {gamma:g}, theta = ({t1:g}, {t2:g})")
    p0 = max(0.0, 1.0 - 1.0 / gamma)
    # fine grid x = top u^2 for the CDF: the density may blow up like x^{-1/2} at 0 (gamma = 1),
    # which dx = 2 top u du cancels; square-root edges elsewhere give trapezoid errors ~ h^{3/2}
    top = (1 + math.sqrt(gamma)) ** 2 * (t1 - t2 + t2 * (1 + 1 / math.sqrt(psi)) ** 2) * 1.05
    u = np.linspace(0.0, 1.0, 100001)
    fine = top * u * u
    dens = gaussian_density(fine, t1, t2, psi, gamma)
    g = dens * 2 * top * u
    g[0] = max(2 * g[1] - g[2], 0.0)          # the limit u -> 0 (the density itself is 0 at x = 0)
    du = u[1] - u[0]
    cf = np.concatenate(([0.0], np.cumsum((g[1:] + g[:-1]) / 2 * du)))
    mass = cf[-1] + p0
    x = _quantile_grid(fine, cf + p0, 400) if grid is None else grid
    density = gaussian_density(x, t1, t2, psi, gamma)
    atoms = [(0.0, p0)] if p0 > 0 else []
    s_h = lambda w: gaussian_h_stieltjes(w, t1, t2, psi)          # noqa: E731
    z, dz = _contour(top)
    moments = _contour_moments(z, dz, subordinate(s_h, z, gamma))
    err = abs(1 - mass) + 1e-9
    support = gaussian_support(t1, t2, psi, gamma, fine, dens)
    return SpectralLaw(model, x, density, fine, cf, atoms, err, moments, [err * top ** k for k in range(1, 9)],
                       {"method": "gaussian closed form (MATH.md §5)", "theta1": t1, "theta2": t2}, support=support)


def _quantile_grid(xs, F, n, lo=1e-3, hi=1 - 1e-3):
    a = xs[min(np.searchsorted(F, lo), len(xs) - 1)]
    b = xs[min(np.searchsorted(F, hi), len(xs) - 1)]
    if b <= a:
        b = a + (xs[-1] - xs[0]) / 100
    return np.linspace(a, b, n)


def _contour(top, left=None, nodes=_CONTOUR_NODES):
    """Upper half of a circle through ``-left`` and ``top``: nodes and trapezoid weights ``dz``."""
    left = 0.25 * top if left is None else left
    c, r = (top - left) / 2, (top + left) / 2
    th = np.pi * (np.arange(nodes) + 0.5) / nodes
    z = c + r * np.exp(1j * th)
    dz = 1j * r * np.exp(1j * th) * (np.pi / nodes)
    return z, dz


def _contour_moments(z, dz, s, kmax=8):
    """``m_k = -Im(int_upper z^k s dz)/pi`` (the lower half is the conjugate)."""
    return [float(-np.imag(np.sum(z ** k * s * dz)) / np.pi) for k in range(1, kmax + 1)]


# ---------------------------------------------------------------------------
# sparse and stable weights: population dynamics
# ---------------------------------------------------------------------------

def _default_eps(model):
    a = float(model.weights.alpha)
    return 0.3 if a >= 1 else 0.4


def _population_size(accuracy):
    """Members per population: ``population x sweeps / 10 = (C / (share x accuracy))^2``."""
    n = math.ceil((_NOISE_CONSTANT / (_NOISE_SHARE * accuracy)) ** 2 * 10 / _SWEEPS)
    return int(np.clip(n, _MIN_POPULATION, 50000))


def _row_bound(tree, entries, psi, rng, count=4000):
    """A high quantile of Gershgorin row sums of K (to size a first grid)."""
    w = tree.sample_w(count, rng)
    s_mem = w * w + tree.rest(count, rng)
    ncol = rng.poisson(tree.lam, count)
    owner = np.repeat(np.arange(count), ncol)
    v = tree.sample_w(len(owner), rng)
    s = np.bincount(owner, v * v, count) + tree.rest(count, rng)
    L = rng.poisson(tree.lam / psi, len(owner))
    col = np.repeat(np.arange(len(owner)), L)
    mem = rng.integers(0, count, len(col))
    off = np.abs(entries.off(s[owner[col]], s_mem[mem], v[col] * w[mem]))
    rows = entries.diag(s) + np.bincount(owner[col], off, count)
    return float(np.quantile(rows, 0.9999))


def _atom_at_zero(gamma, h0):
    """``mu_M({0}) = max(H({0}), 1 - 1/gamma)`` (MATH.md §7)."""
    return max(h0, 1.0 - 1.0 / gamma, 0.0)


def _curve(x, eta):
    """Heights eta(x): eta far from 0, down to eta/1000 near 0 (atom, hard edge)."""
    return np.clip(0.25 * np.abs(x), eta / 1000, eta)


def _cdf_from_curve(x, h, s, p0):
    """CDF on the internal grid from s on the curve x + i h(x) (see module docstring).

    The vertical segment from b to b + i h is integrated to second order:
    ``int_0^h Re s(b + it) dt = h Re s(z) + (h^2/2) Im s'(z) + O(h^3)``, with
    ``s'(z) = (ds/dx) / (1 + i h'(x))`` along the curve (Cauchy–Riemann).
    """
    z = x + 1j * h
    s = s + p0 / z
    dzdx = 1 + 1j * np.gradient(h, x)
    g = s * dzdx
    integral = np.concatenate(([0.0], np.cumsum((g.imag[1:] + g.imag[:-1]) / 2 * np.diff(x))))
    ds = np.gradient(s, x) / dzdx
    vertical = h * s.real + h * h / 2 * ds.imag
    F = (integral + vertical[0] - vertical) / np.pi
    dens = np.gradient(F, x)
    return F, dens


def _internal_grid(lo, hi, eta):
    """Uniform spacing eta (trapezoid error ~ e^{-2 pi} of the smoothing) plus geometric points
    towards 0 when 0 is in range."""
    x = np.arange(lo, hi + eta / 2, eta)
    if lo < 0 < hi:
        g = np.geomspace(eta / 4000, eta * 4, 48)
        x = np.union1d(x, np.concatenate((-g, g, [0.0])))
    return x


def _population_law(model, grid, accuracy, seed, eps, size, progress):
    root = np.random.SeedSequence(seed)
    rng = np.random.default_rng(root.spawn(1)[0])
    entries = kernel_entries(model)
    tree = tree_for(model, eps, rng)
    gamma, psi = float(model.gamma), float(model.psi)
    top = (1 + math.sqrt(gamma)) ** 2 * _row_bound(tree, entries, psi, rng)
    N = _population_size(accuracy) if size is None else int(size)
    trees = [tree]
    if tree.m_small > 0:
        trees.append(tree_for(model, 1.5 * eps, rng))
    sizes = [N, max(N // 2, _MIN_POPULATION)][:len(trees)]
    job = (entries, gamma, psi, root)
    with _Bar(progress, _PILOT_SWEEPS * _PILOT_RUNS * (grid is None)
              + _RUNS * (_SWEEPS + _BURN) * len(trees)) as bar:
        if grid is None:
            pilot = _Curves(job, [tree], [_PILOT_SIZE], (-0.02 * top, top, top / 100), None,
                            _PILOT_SWEEPS // 2, _PILOT_SWEEPS // 2, bar, runs=_PILOT_RUNS).summary(0)
            Fp = np.maximum.accumulate(pilot["F"] + pilot["p0"] * (pilot["x"] >= 0))
            lo, hi = _quantile_grid(pilot["x"], Fp / Fp[-1], 2)[[0, -1]]
            grid = np.linspace(max(lo, 0.0), hi, 400)
        span = grid[-1] - grid[0]
        eta = max(span / 250, 2 * np.min(np.diff(grid)))
        curve = (min(grid[0], 0.0) - 4 * eta, grid[-1] + 4 * eta, eta)
        curves = _Curves(job, trees, sizes, curve, _contour(max(top, grid[-1] * 1.5)), _SWEEPS, _BURN, bar)
        main, err, parts = _estimate(curves)
        while size is None and err > accuracy and curves.runs < _MAX_RUNS:
            more = _more_runs(curves.runs, parts, accuracy)
            if more == 0:
                break
            bar.grow(more * (_SWEEPS + _BURN) * len(trees))
            curves.add(more)
            main, err, parts = _estimate(curves)
    moments, merr = main["moments"], main["moment_errors"]
    p0 = main["p0"]
    density = np.clip(np.interp(grid, main["x"], main["dens"]), 0.0, None)
    atoms = [(0.0, p0)] if p0 > max(1e-6, main["h0_spread"]) else []
    if size is None and err > accuracy:
        warnings.warn(f"the estimated CDF error {err:.2g} exceeds the asked accuracy {accuracy:g}: "
                      f"{_error_parts(parts)} after {curves.runs} populations of {N}; the part that more "
                      f"populations cannot lower is {parts['eta'] + parts['cut']:.2g} (eta: the curve's height, at "
                      "least 2 grid steps: a finer grid lowers it; cut: stable weights, lower with eps)",
                      stacklevel=3)
    details = {"method": "population dynamics on the block tree (MATH.md §7)", "population": N,
               "sweeps": _SWEEPS, "burn_in": _BURN, "runs": curves.runs, "eta": eta, "noise": parts["noise"],
               "eta_error": parts["eta"], "H_atom_at_0": main["h0"], "seed": seed,
               "support_resolution": 2 * eta}
    if len(trees) > 1:
        details["eps"], details["eps_error"] = tree.eps, parts["cut"]
    support = _visible_support(main["x"], main["F"], err, 2 * eta)
    return SpectralLaw(model, grid, density, main["x"], main["F"], atoms, err, moments, merr, details,
                       support=support)


def _error_parts(parts):
    return ", ".join(f"{name} {value:.2g}" for name, value in parts.items() if value)


def _estimate(curves):
    """The law (Richardson-extrapolated in the cut for stable weights), its CDF error and the
    error's parts: ``noise`` (falls like 1/sqrt(populations)), ``eta`` and ``cut`` (do not)."""
    main = curves.summary(0)
    parts = {"noise": main["noise"], "eta": main["eta_error"], "cut": 0.0}
    if len(curves.trees) > 1:
        other = curves.summary(1)
        cut, carried, main = _cut_effect(main, other, _cut_order(curves.trees[0].alpha))
        parts["cut"], parts["noise"] = cut, parts["noise"] + carried
        main["moment_errors"] = [e + abs(a - b) for e, a, b in
                                 zip(main["moment_errors"], main["moments"], other["moments"])]
    return main, sum(parts.values()), parts


def _more_runs(runs, parts, accuracy):
    """Populations to add so that the noise (falling like 1/sqrt(runs)) fits the accuracy with
    the other parts; 0 where those parts alone exceed it."""
    room = accuracy - parts["eta"] - parts["cut"]
    if room <= 0:
        return 0
    want = math.ceil(runs * (parts["noise"] / room) ** 2 * 1.1)
    return int(np.clip(want - runs, _RUNS // 2, _MAX_RUNS - runs))


def _visible_support(x, F, error, width):
    """Intervals where the continuous part has mass visible at the CDF's error: the 2-width windows
    around x holding more than ``error`` (edges to about ``width``; an unbounded tail ends where
    its windows hold less than the error)."""
    Fm = np.maximum.accumulate(F)
    inside = np.interp(x + width, x, Fm) - np.interp(x - width, x, Fm) > error
    return _intervals(x, inside, lo=0.0)


def _intervals(x, inside, lo=-np.inf):
    """Maximal runs of ``inside`` as ``(first x, last x)``, clipped below at ``lo``."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], inside.astype(np.int8), [0]))))
    return [(max(float(x[a]), lo), float(x[b - 1])) for a, b in zip(edges[::2], edges[1::2])]


def _cut_order(alpha):
    """Order p of the cut's error ~ eps^p for alpha-stable weights: ``4 - alpha``.

    The small incidences enter exactly in mean (:mod:`momentck.spectral.cavity`); what is
    left are the fluctuations replaced by means (a column's screening ``q``, the sum over a
    row's small columns) and the cubic term of the couplings, each of size
    ``int_{|w| <= eps} w^4 nu(dw) ~ eps^{4 - alpha}`` (MATH.md §7).
    """
    return 4.0 - float(alpha)


def _cut_effect(main, other, order):
    """Stable weights: the Richardson step in the cut from the runs at eps and 1.5 eps.

    For a cut error ~ eps^p, ``F_0 = F_eps + (F_eps - F_{1.5 eps}) / (1.5^p - 1)``,
    p = :func:`_cut_order`.  The error estimate is the size of that correction (it covers
    the remaining error while the true order exceeds log((1.5^p + 1)/2)/log 1.5, 1.78 for
    alpha = 1.2) plus the coarse run's noise carried by it.
    Returns that size, the carried noise and the extrapolated curve.
    """
    r = 1.0 / (1.5 ** order - 1.0)
    F = main["F"] + r * (main["F"] - other["F"])
    p0 = max(0.0, main["p0"] + r * (main["p0"] - other["p0"]))
    dens = main["dens"] + r * (main["dens"] - other["dens"])
    return (float(np.max(np.abs(F - main["F"]))), r * (other["noise"] + abs(p0 - main["p0"])),
            {**main, "F": F, "p0": p0, "dens": dens})


class _Bar:
    """One tqdm bar over every sweep of a law (default: when stderr is a terminal); populations
    spread over processes advance it as each wave of them finishes."""

    def __init__(self, progress, total):
        show = sys.stderr.isatty() if progress is None else bool(progress)
        self._bar = None
        if show and total:
            from tqdm import tqdm
            self._bar = tqdm(total=total, desc="cavity sweeps", leave=False, file=sys.stderr)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.close()

    def update(self, n=1):
        if self._bar is not None:
            self._bar.update(n)

    def grow(self, n):
        if self._bar is not None:
            self._bar.total += n
            self._bar.refresh()


def _dtype(tree, entries):
    """complex64 on the curve for rank-one blocks (Sherman–Morrison; memory-bound sparse
    products: 1.6x faster; sparse(3)/tanh: CDF within 5e-9 of complex128), else complex128 (the
    general block eliminations were slower in complex64).  The moment contour stays in complex128
    (there m_6 needs relative precision ~ m_6 / r^6 of s_M)."""
    return np.complex64 if hasattr(entries, "factor") and tree.m_small == 0 else np.complex128


def _population_chunk(jobs, entries, z, fixed, gamma, psi, sweeps, burn, wide=0, bar=None):
    """Population runs ``(tree, size, seed sequence)`` -> their results (module level: picklable)."""
    return [population_resolvent(tree, entries, z, gamma, psi, N, sweeps, burn, np.random.default_rng(stream),
                                 fixed=fixed, bar=bar, dtype=_dtype(tree, entries), wide=wide)
            for tree, N, stream in jobs]


def _populations(jobs, entries, z, fixed, gamma, psi, sweeps, burn, bar, wide):
    """Independent population runs, in job order; spread over local processes (one BLAS thread
    each, :class:`momentck.parallel.TaskSpreader`) when their estimated time is worth it.  Each
    run has its own seed sequence: the results are the same bits however they are spread."""
    work = sum(N * tree.lam ** 2 * (1 + (tree.lam / psi) ** 2 * (tree.m_small > 0 or
                                                               not hasattr(entries, "factor")))
               for tree, N, _ in jobs)
    seconds = _SECONDS_PER_UNIT * work * len(z) * (sweeps + burn)
    if seconds < TASK_MIN_SECONDS or cpu_count() < 2:
        return _population_chunk(jobs, entries, z, fixed, gamma, psi, sweeps, burn, wide, bar=bar)
    func = functools.partial(_population_chunk, entries=entries, z=z, fixed=fixed, gamma=gamma, psi=psi,
                             sweeps=sweeps, burn=burn, wide=wide)
    out = []
    with TaskSpreader() as spread:
        workers = cpu_count()
        for w in range(0, len(jobs), workers):            # in waves, so that the bar moves
            wave = jobs[w:w + workers]
            out.extend(spread.map(func, wave, seconds=seconds))
            bar.update(len(wave) * (sweeps + burn))
    return out


class _Curves:
    """Independent populations per tree on the curve (and the moment contour), and what they give:
    the CDF on the curve, its noise (3 standard errors of the mean over populations) and the
    curve's effect, the atom at 0, moments.  :meth:`add` runs more populations."""

    def __init__(self, job, trees, sizes, curve, contour, sweeps, burn, bar, runs=_RUNS):
        self.entries, self.gamma, self.psi, self.root = job
        self.trees, self.sizes, self.contour, self.bar = trees, sizes, contour, bar
        self.sweeps, self.burn = sweeps, burn
        lo, hi, eta = curve
        self.x = _internal_grid(lo, hi, eta)
        self.h = _curve(self.x, eta)
        self.x2 = self.x[::3]
        self.h2 = 2 * _curve(self.x2, eta)
        self.t = np.array([1e-5, 1e-6]) * max(hi, 1e-12)
        self.cz = np.zeros(0, dtype=complex) if contour is None else contour[0]
        self.z = np.concatenate((self.x + 1j * self.h, self.x2 + 1j * self.h2, self.cz))
        self.results = [[] for _ in trees]
        self.runs = 0
        self.add(runs)

    def add(self, runs):
        jobs = [(tree, N, stream) for tree, N in zip(self.trees, self.sizes) for stream in self.root.spawn(runs)]
        out = _populations(jobs, self.entries, self.z, 1j * self.t, self.gamma, self.psi, self.sweeps, self.burn,
                           self.bar, len(self.cz))
        for i in range(len(self.trees)):
            self.results[i].extend(out[i * runs:(i + 1) * runs])
        self.runs += runs

    def summary(self, i):
        part, x, t, gamma = self.results[i], self.x, self.t, self.gamma
        n1, n2 = len(x), len(x) + len(self.x2)
        s_m = np.array([r["s_M"] for r in part])
        h0s = np.array([t * r["s_H_fixed"].imag for r in part])
        h0 = float(np.clip(h0s[:, 1].mean(), 0.0, 1.0))
        p0 = _atom_at_zero(gamma, h0)
        mean = s_m.mean(axis=0)
        F, dens = _cdf_from_curve(x, self.h, mean[:n1], p0)
        F2, _ = _cdf_from_curve(self.x2, self.h2, mean[n1:n2], p0)
        Fr = np.array([_cdf_from_curve(x, self.h, s[:n1], p0)[0] for s in s_m])
        Fr += np.maximum(h0s[:, 1], 1 - 1 / gamma)[:, None] * (x >= 0)
        runs = len(part)
        out = {"x": x, "F": F, "dens": dens, "p0": p0, "h0": h0,
               "noise": float(3 * np.max(Fr.std(axis=0, ddof=1)) / math.sqrt(runs)),
               "eta_error": float(np.max(np.abs(F2 - F[::3])) / 3), "h0_spread": float(h0s[:, 1].std(ddof=1))}
        if self.contour is not None:
            per_run = np.array([_contour_moments(self.cz, self.contour[1], s[n2:]) for s in s_m])
            out["moments"] = list(per_run.mean(axis=0))
            # the coverage of 3 standard errors (99.73%) with the standard error estimated from the
            # runs themselves: Student's t with runs - 1 degrees of freedom (9.2 at 4 runs, 3.3 at 16)
            from scipy.stats import t as student_t
            scale = float(student_t.ppf(_MOMENT_COVERAGE, runs - 1))
            out["moment_errors"] = list(scale * per_run.std(axis=0, ddof=1) / math.sqrt(runs))
        return out


def spectral_law(model, grid=None, accuracy=0.01, seed=0, eps=None, size=None, progress=None):
    """The limiting eigenvalue law of M: density on a grid, CDF, atoms, error.

    Parameters
    ----------
    model : Model
    grid : None, (a, b, N), "a:b:N" or increasing array
        Where to report the density; default: 400 points between the 0.1% and 99.9%
        quantiles (found by a quick first run).
    accuracy : float
        Wanted sup error of the CDF (population size and populations follow from it); at least 0.002 for sparse and stable weights.  Where the part of the
        error that more populations cannot lower (the curve's height on a coarse grid, the
        cut for stable weights) exceeds it, a warning names that part.
    seed : int
    eps : float, optional
        Stable weights: incidences with ``|w| > eps`` are tree edges (default 0.3 for
        alpha >= 1, else 0.4); the rest is in the row norms and a mean-field term.  The
        CDF is extrapolated to eps -> 0 from the cuts eps and 1.5 eps (Richardson); the
        error estimate adds the size of that step.
    size : int, optional
        Population size (default from ``accuracy``: 331 at 0.01, 1323 at 0.005, each of at
        least 4 populations running 40 measured sweeps; up to 32 populations while the
        noise keeps the error above ``accuracy``).  Given, exactly 4 populations of it.
    progress : bool or None
        Progress bar (default: when stderr is a terminal).

    Returns
    -------
    SpectralLaw

    Examples
    --------
    >>> law = spectral_law(Model("gaussian", "normal", "tanh", phi="1/2", psi=1), grid=(0, 2, 5))
    >>> [round(float(v), 4) for v in law.cdf([0.5, 3.0])]
    [0.7117, 1.0]
    """
    if not isinstance(model, Model):
        raise MomentckError(f"spectral_law needs a Model, got {model!r}")
    x = _check_grid(grid)
    if getattr(model.weights, "name", None) == "gaussian":
        _check_accuracy(accuracy, 1e-9)
        if model.free_symbols:
            raise MomentckError("the spectral law needs numeric parameters (no symbols)")
        return _gaussian(model, x)
    _check_accuracy(accuracy, ACCURACY_FLOOR)
    seed = check_int(seed, "seed", 0)
    if eps is None and getattr(model.weights, "name", None) == "stable":
        eps = _default_eps(model)
    return _population_law(model, x, accuracy, int(seed), eps, size, progress)
