"""Figures for moments, Monte Carlo checks and spectra (the notebooks' plots).

Every function draws on ``ax`` when given (so figures can be composed) or on a new
figure, and returns the :class:`matplotlib.figure.Figure`.  matplotlib is imported
only when a function is called (``pip install 'momentck[plot]'``); nothing here
calls ``show``, so the functions work under the non-interactive Agg backend.

=========================  ====================================================
function                   draws
=========================  ====================================================
:func:`panels`             a new figure with a grid of axes to pass as ``ax``
:func:`moments_vs`         curves (with optional error bars) against a parameter
:func:`limit_vs_mc`        limiting moments beside Monte Carlo means ± SE
:func:`zscores`            z-scores by order with the ±bound band
:func:`extrapolation`      Monte Carlo means against 1/n, the a + b/n fit, the limit
:func:`replicates`         per-replicate values (heavy-tailed replicates stand out)
:func:`eigenvalue_histogram`  histogram of eigenvalues, optionally with a density
:func:`density`            a density curve (and its atoms) of a limiting law
:func:`contributions`      shape contributions to h_k from :func:`momentck.explain`
=========================  ====================================================

:func:`show` displays a figure once in a notebook (also inside widget callbacks);
:func:`save_figure` writes a figure under ``$MOMENTCK_FIGURE_DIR`` when that is set
(``docs/make_figures.py`` sets it to build the README gallery) and does nothing
otherwise.  :func:`momentck.spectral.plot.plot_law` (``SpectralLaw.plot``, ``momentck
plot``) composes its figure from :func:`density` and the histogram here.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> fig = limit_vs_mc([1.0, 2.0], [1.01, 1.97], [0.02, 0.03])
>>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
['$m_{1}$', '$m_{2}$']
"""

import os

import numpy as np

from .errors import MomentckError

__all__ = ["panels", "moments_vs", "limit_vs_mc", "zscores", "extrapolation", "replicates",
           "eigenvalue_histogram", "density", "contributions", "show", "save_figure"]

#: environment variable naming the folder :func:`save_figure` writes to
FIGURE_DIR = "MOMENTCK_FIGURE_DIR"


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MomentckError("plotting needs matplotlib: pip install 'momentck[plot]'") from exc
    return plt


def _axes(ax, figsize=(5.5, 3.8)):
    """``(figure, axes)``: ``ax`` and its figure, or a new figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    fig, ax = _pyplot().subplots(figsize=figsize, layout="constrained")
    return fig, ax


def panels(ncols=2, nrows=1, width=4.6, height=3.6, sharey=False):
    """A new figure with ``nrows × ncols`` axes: ``(figure, [axes, ...])`` row by row.

    ``sharey=True`` gives all panels one y scale (to compare effect sizes across panels).
    """
    fig, axes = _pyplot().subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                                   layout="constrained", squeeze=False, sharey=sharey)
    return fig, list(axes.ravel())


def _series(value):
    """``(y, yerr)`` from an array or a ``(y, yerr)`` pair."""
    if isinstance(value, tuple) and len(value) == 2:
        y, err = value
        return np.asarray(y, float), None if err is None else np.asarray(err, float)
    return np.asarray(value, float), None


def _order_labels(count, symbol):
    return [f"${symbol}_{{{j}}}$" for j in range(1, count + 1)]


def moments_vs(x, curves, xlabel, ylabel="moment", references=None, ax=None, logx=False,
               logy=False, title=None):
    """Curves against a parameter, with error bars where given.

    Parameters
    ----------
    x : sequence of float
        The parameter values (shared by all curves).
    curves : dict
        ``label -> y`` or ``label -> (y, yerr)``; curves with ``yerr`` are drawn as
        error bars (±yerr), the others as lines (with markers up to 20 points).
    xlabel, ylabel : str
    references : dict, optional
        ``label -> value``: horizontal dashed lines (e.g. a limit).
    ax : matplotlib Axes, optional
    logx, logy : bool
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax)
    x = np.asarray(x, float)
    for i, (label, value) in enumerate(curves.items()):
        y, err = _series(value)
        if y.shape != x.shape:
            raise MomentckError(f"curve {label!r} has {y.size} values for {x.size} parameter values")
        color = f"C{i}"
        if err is None:
            ax.plot(x, y, "o-" if x.size <= 20 else "-", color=color, label=label, ms=4)
        else:
            ax.errorbar(x, y, yerr=err, fmt="o", color=color, label=label, ms=4, capsize=3)
    for i, (label, value) in enumerate((references or {}).items()):
        ax.axhline(float(value), ls="--", lw=1, color=f"C{i}" if len(references) > 1 else "k",
                   label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    return fig


def limit_vs_mc(limit, mc=None, stderr=None, labels=None, symbol="m", ax=None, title=None, sigmas=1,
                relative_to=None):
    """Limiting moments (crosses) beside Monte Carlo means with ``sigmas`` × SE bars.

    Parameters
    ----------
    limit, mc, stderr : sequence of float
        One value per order j = 1..k (or per label).  A missing limit is NaN (not drawn).
        Several models side by side: ``limit`` a dict ``label -> (limit, mc, stderr)``
        (``mc`` and ``stderr`` then omitted); each model gets its own color.
    labels : sequence of str, optional
        Tick labels; default ``m_1 .. m_k``.
    symbol : str
        Letter of the default labels.
    sigmas : float
        Error bars span ``± sigmas * stderr``.
    relative_to : sequence of float, optional
        Divide every value (and error) by these, one per order: puts orders of
        different sizes on one scale.

    Returns
    -------
    matplotlib.figure.Figure
    """
    groups = limit if isinstance(limit, dict) else {None: (limit, mc, stderr)}
    fig, ax = _axes(ax)
    width = 0.7 / len(groups)
    count = None
    for i, (name, triple) in enumerate(groups.items()):
        lim, mean, se = (np.asarray(v, float) for v in triple)
        if not lim.shape == mean.shape == se.shape or (count is not None and lim.size != count):
            raise MomentckError("limit, mc and stderr must have the same length for every model")
        count = lim.size
        if relative_to is not None:
            scale = np.asarray(relative_to, float)
            lim, mean, se = lim / scale, mean / scale, se / scale
        pos = np.arange(count) + (i - (len(groups) - 1) / 2) * width
        color = "C3" if name is None else f"C{i}"
        ax.plot(pos - 0.06, lim, "x", color="k" if name is None else color, ms=8, mew=2,
                label="limit" if name is None else None)
        ax.errorbar(pos + 0.06, mean, yerr=sigmas * se, fmt="o", color=color, mfc="white", capsize=4,
                    ms=4, label=f"Monte Carlo ± {sigmas:g} SE" if name is None else name)
    if None not in groups:
        ax.plot([], [], "kx", ms=8, mew=2, label="limit")
        ax.errorbar([], [], yerr=[], fmt="o", color="k", mfc="white", capsize=4, ms=4,
                    label=f"Monte Carlo ± {sigmas:g} SE")
    ax.set_xticks(np.arange(count), labels if labels is not None else _order_labels(count, symbol))
    ax.set(title=title)
    if relative_to is not None:
        ax.set_ylabel("divided by the reference limit")
    ax.legend(fontsize=7)
    return fig


def zscores(z, labels=None, bound=4, ax=None, title=None):
    """z-scores as bars with the ``±bound`` band shaded.

    ``z`` is one value per label, or a dict ``series label -> values`` drawn as grouped bars.
    """
    fig, ax = _axes(ax)
    groups = z if isinstance(z, dict) else {None: z}
    count = len(next(iter(groups.values())))
    pos = np.arange(count)
    width = 0.8 / len(groups)
    for i, (name, values) in enumerate(groups.items()):
        values = np.asarray(values, float)
        if values.size != count:
            raise MomentckError("every z-score series needs the same length")
        ax.bar(pos + (i - (len(groups) - 1) / 2) * width, values, width, color=f"C{i}", label=name)
    ax.axhspan(-bound, bound, color="0.9", zorder=0, label=f"|z| < {bound:g}")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(pos, labels if labels is not None else _order_labels(count, "m"))
    ax.set(ylabel="z = (Monte Carlo − limit) / SE", title=title)
    ax.legend(fontsize=8)
    return fig


def extrapolation(ns, means, stderr, limit=None, fit=None, ax=None, title=None, label="Monte Carlo"):
    """Monte Carlo means against ``1/n`` with SE bars, the ``a + b/n`` fit and the limit at 0.

    Parameters
    ----------
    ns, means, stderr : sequence
    limit : float, optional
        Drawn as a star at ``1/n = 0``.
    fit : tuple, optional
        ``(a, b)`` of the fit ``a + b/n``, drawn as a dashed line down to 0, or
        ``(a, b, se_a)`` to draw the intercept's error bar too.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax)
    inv = 1.0 / np.asarray(ns, float)
    ax.errorbar(inv, means, yerr=stderr, fmt="o", color="C0", capsize=3, ms=4, label=label)
    if fit is not None:
        a, b = fit[0], fit[1]
        grid = np.linspace(0, inv.max() * 1.05, 50)
        ax.plot(grid, a + b * grid, "--", color="C0", lw=1, label="a + b/n")
        if len(fit) > 2:
            ax.errorbar([0], [a], yerr=[fit[2]], fmt="s", color="C0", mfc="white", capsize=3,
                        label="extrapolated a")
    if limit is not None:
        ax.plot([0], [float(limit)], "k*", ms=11, label="limit")
    ax.set(xlabel="1/n", title=title)
    ax.set_xlim(left=-0.03 * inv.max())
    ax.legend(fontsize=8)
    return fig


def replicates(per_replicate, labels=None, limit=None, ax=None, title=None, ylabel="value", logy=False):
    """Per-replicate values as strips, one column per group, with each group's mean.

    Parameters
    ----------
    per_replicate : list of sequences
        One sequence of replicate values per group (e.g. per n or per model).
    labels : sequence of str, optional
    limit : float or sequence of float, optional
        Horizontal marks (one value, or one per group).
    ylabel : str
    logy : bool

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax)
    rng = np.random.default_rng(0)  # jitter only: positions carry no information
    for i, values in enumerate(per_replicate):
        values = np.asarray(values, float)
        ax.plot(i + rng.uniform(-0.15, 0.15, values.size), values, "o", color="C0", alpha=0.6, ms=4)
        ax.plot([i - 0.3, i + 0.3], [values.mean()] * 2, color="C3", lw=2,
                label="mean" if i == 0 else None)
    if limit is not None:
        lims = np.broadcast_to(np.asarray(limit, float), (len(per_replicate),))
        for i, value in enumerate(lims):
            ax.plot([i - 0.3, i + 0.3], [value] * 2, "k--", lw=1, label="limit" if i == 0 else None)
    ax.set_xticks(range(len(per_replicate)),
                  labels if labels is not None else [str(i) for i in range(len(per_replicate))])
    ax.set(ylabel=ylabel, title=title)
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    return fig


def _density_curve(law):
    if isinstance(law, tuple):
        return np.asarray(law[0], float), np.asarray(law[1], float)
    return np.asarray(law.x, float), np.asarray(law.density, float)


def density(law, ax=None, color="k", ls="-", lw=1.2, label=None, atoms=False, atom_height=None):
    """Draw a density curve (and optionally its atoms as labelled spikes) on ``ax``.

    ``law`` is ``(x, density)`` or an object with ``.x``, ``.density`` (the absolutely
    continuous part) and ``.atoms`` (``(location, mass)`` pairs), e.g. a
    :class:`momentck.spectral.SpectralLaw`.  With ``atoms=True`` each atom is a vertical
    spike of height ``atom_height`` (default: 85% of the axis top) labelled with its mass.
    """
    fig, ax = _axes(ax)
    ax.plot(*_density_curve(law), color=color, ls=ls, lw=lw, label=label)
    for loc, mass in (getattr(law, "atoms", ()) if atoms else ()):
        top = atom_height if atom_height is not None else 0.85 * ax.get_ylim()[1]
        ax.vlines(loc, 0, top, color="C2", lw=3)
        ax.plot([loc], [top], marker="v", color="C2")
        ax.annotate(f"atom at {loc:g}: mass {mass:.3f}", (loc, top), xytext=(8, -16),
                    textcoords="offset points", color="C2", fontsize=9)
    return fig


def _pooled(eigenvalues, drop_zeros):
    ev = np.concatenate([np.ravel(e) for e in eigenvalues]) if isinstance(eigenvalues, (list, tuple)) \
        else np.ravel(np.asarray(eigenvalues, float))
    ev = ev[ev != 0] if drop_zeros else ev
    if ev.size == 0:
        raise MomentckError("no eigenvalues to plot")
    return ev


def _histogram(ax, ev, bins, lo, hi, total=None, **style):
    """Histogram of ``ev`` on ``bins`` equal bins of ``[lo, hi]`` as a density: counts / (total × width).

    ``total`` defaults to the count inside ``[lo, hi]`` (area 1); a larger total (e.g. with
    the exact zeros counted) gives area = the fraction drawn.  Returns the bar heights.
    """
    edges = np.linspace(lo, hi, bins + 1)
    inside = ev[(ev >= lo) & (ev <= hi)]
    total = inside.size if total is None else total
    heights, _, _ = ax.hist(inside, bins=edges, weights=np.full(inside.size, 1.0 / (total * (edges[1] - edges[0]))),
                            **style)
    return heights


def eigenvalue_histogram(eigenvalues, ax=None, bins=60, label=None, law=None, law_label="limit",
                         drop_zeros=False, xmax=None, title=None, color="C0", logy=False):
    """Histogram (as a density) of eigenvalues pooled over replicates.

    Parameters
    ----------
    eigenvalues : array, list of arrays, or dict
        One array per replicate, or one pooled array.  A dict ``label -> eigenvalues``
        overlays one step histogram per entry (colors C0, C1, ...; common bins).
    bins : int
    label : str, optional
        Legend entry (single histogram).
    law : tuple or object or dict, optional
        A density to draw over the histogram: ``(x, density)`` or an object with
        ``.x`` and ``.density`` (the absolutely continuous part); with a dict of
        eigenvalues, a dict with some of the same labels (drawn dashed in their color).
    law_label : str
        Legend entry of a single ``law``.
    drop_zeros : bool
        Leave out exact zeros (the ``n - m`` zero eigenvalues when ``m < n``).
    xmax : float, optional
        Right end of the bins (default: the largest eigenvalue); beyond it, in no bin.
    color : str
        Color of a single histogram.
    logy : bool
        Log density axis.  The axis stops a little above the tallest bin, so a density
        curve with a hard edge at 0 is cut there.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax)
    groups = eigenvalues if isinstance(eigenvalues, dict) else {label: eigenvalues}
    pooled = {name: _pooled(ev, drop_zeros) for name, ev in groups.items()}
    lo = min(0.0, min(float(ev.min()) for ev in pooled.values()))
    hi = float(xmax) if xmax is not None else max(float(ev.max()) for ev in pooled.values())
    single = not isinstance(eigenvalues, dict)
    peak = 0.0
    for i, (name, ev) in enumerate(pooled.items()):
        heights = _histogram(ax, ev, bins, lo, hi, histtype="stepfilled" if single else "step",
                             alpha=0.35 if single else 1.0, color=color if single else f"C{i}", label=name)
        peak = max(peak, float(np.max(heights)))
    laws = law if isinstance(law, dict) else {None: law}
    for i, name in enumerate(pooled):
        curve = laws.get(name if not single else None)
        if curve is not None:
            density(curve, ax, color="k" if single else f"C{i}", ls="-" if single else "--",
                    label=law_label if single else f"{name}: limit")
    ax.set(xlabel="eigenvalue of M", ylabel="density", title=title)
    if logy:
        ax.set_yscale("log")
    if peak > 0:  # a hard edge (density ~ x^{-1/2}) would flatten the histograms: cap the axis
        ax.set_ylim(top=peak * (3.0 if logy else 1.3))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return fig


def contributions(table, ax=None, title=None, logx=False):
    """Bar chart of the shape contributions ``N_k(S) ψ^{-(r(S)-1)} w(S)`` to ``h_k``.

    ``table`` is an :func:`momentck.explain` table with numeric contributions (substitute
    symbols first).  Bars are labelled by shape and colored by the number of rows r(S).
    """
    fig, ax = _axes(ax)
    try:
        values = [float(r["contribution"]) for r in table.rows]
    except TypeError as exc:
        raise MomentckError("contributions must be numbers: substitute the symbols first") from exc
    pos = np.arange(len(values))
    ax.barh(pos, values, color=[f"C{r['rows'] - 1}" for r in table.rows])
    ax.set_yticks(pos, [f"{r['shape']}  (N={r['walks']})" for r in table.rows], fontsize=7)
    ax.invert_yaxis()
    from matplotlib.patches import Patch
    handles = [Patch(color=f"C{rows - 1}", label=f"r(S) = {rows}")
               for rows in sorted({r["rows"] for r in table.rows})]
    ax.set(xlabel=f"contribution to $h_{{{table.k}}}$ (total {float(table.total):.6g})", title=title)
    if logx:
        ax.set_xscale("log")
    ax.legend(handles=handles, fontsize=8)
    return fig


def show(fig):
    """Display ``fig`` in a notebook and release it from pyplot (so it is shown once).

    For notebook cells and the callbacks of interactive widgets; outside IPython it
    only closes the figure.
    """
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is there in notebooks
        display = None
    if display is not None:
        display(fig)
    _pyplot().close(fig)


def save_figure(fig, name, folder=None):
    """Write ``fig`` as ``<name>.png`` under ``folder`` or ``$MOMENTCK_FIGURE_DIR``.

    Returns the path written, or None when neither is set (the notebooks call this
    unconditionally; only ``docs/make_figures.py`` sets the variable).
    """
    folder = folder if folder is not None else os.environ.get(FIGURE_DIR)
    if not folder:
        return None
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{name}.png")
    fig.savefig(path, dpi=110)
    return path
