"""verify(): limiting values, Monte Carlo at several n, trend and local limit in one table."""

import json

import numpy as np

from momentck import Model
from momentck.cli import main
from momentck.verify import _fit, verify


def test_verify_sparse_polynomial_agrees():
    model = Model("sparse(c=3/2, entries=rademacher)", "rademacher", "poly(1, -1/30)", psi="1/2")
    rep = verify(model, 3, n=(150, 300), reps=12, seed=2, local_samples=800)
    assert rep.ok, str(rep)
    assert [r["j"] for r in rep.rows] == [1, 2, 3]
    assert all(len(r["mc"]) == 2 and r["extrapolated"] is not None for r in rep.rows)
    assert all(r["z_local"] is not None for r in rep.rows)
    assert "local limit" in str(rep)


def test_verify_flags_wrong_limit():
    # feed verify a model whose limit differs from what is simulated: not ok
    model = Model("sparse(c=3/2, entries=rademacher)", "rademacher", "poly(1, -1/30)", psi="1/2")
    rep = verify(model, 2, n=(300,), reps=30, seed=2, local_samples=None)
    for r in rep.rows:
        r["exact"] *= 1.2
        for c in r["mc"]:
            c["z"] = (c["mean"] - r["exact"]) / c["stderr"]
    assert not rep.ok


def test_trend_fit_recovers_a_plus_b_over_n():
    ns = [100, 200, 400, 800]
    means = [3.0 + 5.0 / n for n in ns]
    a, sa, b = _fit(ns, means, [0.01] * 4)
    assert abs(a - 3.0) < 1e-12 and sa > 0 and abs(b - 5.0) < 1e-9


def test_verify_without_limit_and_heavy_tail_flag():
    rep = verify(Model("stable(alpha=1)", "uniform", "tanh"), 4, n=(100, 200), reps=4, seed=1)  # numeric: k <= 3
    assert rep.rows[0]["exact"] is None and any("no limiting value" in w for w in rep.warnings)
    assert any("stable weights: finite-size" in w for w in rep.warnings)
    rep = verify(Model("stable(alpha=1)", "normal", "sin"), 1, n=(400,), reps=6, seed=1)
    assert rep.rows[0]["exact"] is not None and rep.ok


def test_cli_verify_json(capsys):
    code = main(["verify", "--activation", "poly(1, -1/30)", "--weights", "sparse(c=3/2, entries=rademacher)",
                 "--k", "2", "--n", "150", "300", "--reps", "6", "--local-samples", "300", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["n"] == [150, 300] and len(out["rows"]) == 2
    assert np.isfinite(out["rows"][0]["exact"])


def test_verify_marks_finite_size_bias():
    # m_1 of the default model (exact 0.4969146756, MATH.md §6) at tiny n carries an O(1/n) bias of
    # several standard errors with 400 replicates; the a + b/n fit explains it and extrapolates to
    # within 1 standard error of the limit, so those cells are marked and the report is ok.
    m = Model("sparse(c=2, entries=rademacher)", "rademacher", "tanh", psi="1/2")
    rep = verify(m, 2, n=(12, 24, 48, 96), reps=400, seed=3, local_samples=None, progress=False)
    first = rep.rows[0]
    assert first["mc"][0]["z"] > 5 and first["mc"][0]["finite_size"]
    assert abs(first["z_extrapolated"]) < 2
    assert rep.ok and " b" in str(rep) and "finite-size bias" in str(rep)


def test_verify_does_not_excuse_a_wrong_extrapolation():
    cells = [{"n": 100, "mean": 1.5, "stderr": 0.01, "z": 50.0}, {"n": 200, "mean": 1.25, "stderr": 0.01, "z": 25.0}]
    from momentck.verify import _mark_finite_size
    _mark_finite_size(cells, 1.0, 50.0, za=0.5)                   # fit explains both, a agrees
    assert [c["finite_size"] for c in cells] == [True, True]
    _mark_finite_size(cells, 1.0, 50.0, za=8.0)                   # extrapolation disagrees
    assert [c["finite_size"] for c in cells] == [False, False]
    _mark_finite_size(cells, 1.0, 0.0, za=0.5)                    # fit does not pass through the means
    assert [c["finite_size"] for c in cells] == [False, False]


def test_verify_refuses_repeated_sizes(capsys):
    code = main(["verify", "--n", "200", "200", "--no-progress"])
    _, err = capsys.readouterr()
    assert code != 0 and err.startswith("momentck: error: n must list distinct sizes") and err.count("\n") == 1
