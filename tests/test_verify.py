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
    a, sa = _fit(ns, means, [0.01] * 4)
    assert abs(a - 3.0) < 1e-12 and sa > 0


def test_verify_without_limit_and_heavy_tail_flag():
    rep = verify(Model("stable(alpha=1)", "normal", "tanh"), 1, n=(100, 200), reps=4, seed=1)
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
