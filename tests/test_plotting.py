"""momentck.plotting: figures come back drawn with the data given, under Agg."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import sympy  # noqa: E402

from momentck import Model, MomentckError, Sparse, explain, plotting  # noqa: E402


def test_limit_vs_mc_draws_the_values_and_error_bars():
    fig = plotting.limit_vs_mc([1.0, 2.0, 4.0], [1.1, 1.9, 4.2], [0.05, 0.1, 0.2], sigmas=2)
    ax = fig.axes[0]
    crosses = ax.lines[0]
    assert list(crosses.get_ydata()) == [1.0, 2.0, 4.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["$m_{1}$", "$m_{2}$", "$m_{3}$"]
    bars = ax.collections[0].get_segments()          # vertical error bars: mean ± 2 SE
    assert np.allclose([(s[0][1], s[1][1]) for s in bars], [(1.0, 1.2), (1.7, 2.1), (3.8, 4.6)])


def test_limit_vs_mc_groups_relative_and_length_checks():
    groups = {"a": ([2.0, 4.0], [2.2, 4.4], [0.2, 0.4]), "b": ([1.0, 2.0], [1.0, 2.0], [0.1, 0.1])}
    fig = plotting.limit_vs_mc(groups, relative_to=[2.0, 4.0])
    ys = [list(line.get_ydata()) for line in fig.axes[0].lines if len(line.get_ydata()) == 2]
    assert [1.0, 1.0] in ys and [0.5, 0.5] in ys
    with pytest.raises(MomentckError, match="same length"):
        plotting.limit_vs_mc([1.0], [1.0, 2.0], [0.1, 0.1])


def test_moments_vs_zscores_extrapolation_replicates_on_shared_panels():
    fig, axes = plotting.panels(2, 2)
    assert len(axes) == 4 and all(ax.figure is fig for ax in axes)
    assert plotting.moments_vs([1, 2], {"m": [1.0, 0.5], "e": ([1.0, 0.4], [0.1, 0.1])}, "c",
                               references={"limit": 0.3}, ax=axes[0]) is fig
    with pytest.raises(MomentckError, match="2 parameter values"):
        plotting.moments_vs([1, 2], {"m": [1.0]}, "c")
    plotting.zscores({"n=1": [0.5, -1.0], "n=2": [2.0, 0.1]}, ax=axes[1])
    assert [[b.get_height() for b in c] for c in axes[1].containers] == [[0.5, -1.0], [2.0, 0.1]]
    plotting.extrapolation([100, 200], [1.1, 1.05], [0.01, 0.01], limit=1.0, fit=(1.0, 10.0, 0.02), ax=axes[2])
    fit_line = [line for line in axes[2].lines if line.get_linestyle() == "--"][0]
    assert np.isclose(fit_line.get_ydata()[0], 1.0)  # a + b/n at 1/n = 0
    plotting.replicates([[1.0, 1.2], [0.5, 3.0, 0.7]], labels=["x", "y"], limit=1.0, ax=axes[3], logy=True)
    assert axes[3].get_yscale() == "log"


def test_eigenvalue_histogram_is_a_density_and_drops_zeros():
    ev = [np.array([0.0, 0.0, 1.0, 2.0]), np.array([0.0, 1.5, 2.5, 3.0])]
    fig = plotting.eigenvalue_histogram(ev, bins=3, drop_zeros=True, law=(np.array([1.0, 2.0]), np.array([0.2, 0.3])))
    ax = fig.axes[0]
    # nonzero values 1, 1.5 | 2, 2.5, 3 in bins [0,1), [1,2), [2,3]: densities 0, 2/5, 3/5
    outline = ax.patches[0].get_xy()
    assert np.isclose(outline[:, 1].max(), 0.6) and np.isclose(sorted(set(outline[:, 1]))[1], 0.4)
    assert list(ax.lines[0].get_ydata()) == [0.2, 0.3]
    with pytest.raises(MomentckError, match="no eigenvalues"):
        plotting.eigenvalue_histogram([np.zeros(3)], drop_zeros=True)


def test_eigenvalue_histograms_overlaid_share_bins_and_colors():
    fig = plotting.eigenvalue_histogram({"a": np.array([0.5, 1.5]), "b": [np.array([1.0]), np.array([3.0])]},
                                        bins=3, law={"b": (np.array([0.0, 3.0]), np.array([0.1, 0.1]))})
    ax = fig.axes[0]
    a_outline, b_outline = (p.get_xy() for p in ax.patches)
    assert a_outline[:, 0].min() == b_outline[:, 0].min() == 0.0 and a_outline[:, 0].max() == 3.0
    assert ax.lines[0].get_color() == "C1" and ax.lines[0].get_linestyle() == "--"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "b: limit"]


def test_contributions_bars_add_up_to_the_total():
    table = explain(Model("sparse(c=2, entries=rademacher)", "rademacher", "poly(1, -1/10)", psi="1/2"), 3)
    fig = plotting.contributions(table, logx=True)
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert np.isclose(sum(widths), float(table.total))
    c = sympy.Symbol("c", positive=True)
    symbolic = explain(Model(Sparse(c, "rademacher"), "rademacher", "poly(1, 1/10)"), 2)
    with pytest.raises(MomentckError, match="substitute"):
        plotting.contributions(symbolic)


def test_save_figure_only_with_a_folder(tmp_path, monkeypatch):
    fig = plotting.zscores([0.1, 0.2])
    monkeypatch.delenv(plotting.FIGURE_DIR, raising=False)
    assert plotting.save_figure(fig, "x") is None
    monkeypatch.setenv(plotting.FIGURE_DIR, str(tmp_path / "figs"))
    path = plotting.save_figure(fig, "x")
    assert path.endswith("x.png") and (tmp_path / "figs" / "x.png").read_bytes()[:4] == b"\x89PNG"
    plotting.show(fig)  # displays (IPython present) and closes
    import matplotlib.pyplot as plt
    assert fig.number not in plt.get_fignums()


def test_eigenvalue_histogram_caps_the_axis_above_the_tallest_bin():
    fig = plotting.eigenvalue_histogram(np.array([0.5, 1.5, 1.6]), bins=2, law=(np.array([0.01, 1.0]), np.array([1e3, 0.5])))
    # bins [0, 0.8), [0.8, 1.6]: densities 1/(3*0.8) and 2/(3*0.8); the curve's 1e3 is cut
    assert np.isclose(fig.axes[0].get_ylim()[1], 1.3 * 2 / (3 * 0.8))
