"""The ``momentck`` command line: the simulate contract, demo, help, one-line errors."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from momentck import Model, simulate
from momentck.cli import SANITY_M1, demo_rows, main

CONTRACT = ["simulate", "--weights", "sparse(c=2, entries=rademacher)", "--inputs", "rademacher",
            "--activation", "tanh", "--phi", "1", "--psi", "1", "--n", "200", "--k", "3",
            "--reps", "4", "--seed", "1", "--json"]
REQUIRED = ("moments", "stderr", "n", "d", "m", "reps", "seed")


def run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_simulate_json_contract(capsys):
    code, out, err = run(capsys, CONTRACT)
    assert code == 0
    data = json.loads(out)
    for key in REQUIRED:
        assert key in data
    assert len(data["moments"]) == 3 and len(data["stderr"]) == 3
    assert all(isinstance(x, float) for x in data["moments"] + data["stderr"])
    assert (data["n"], data["d"], data["m"], data["reps"], data["seed"]) == (200, 200, 200, 4, 1)
    assert data["model"]["weights"] == "sparse(c=2, entries=rademacher)"
    # the same numbers as the Python API
    res = simulate(Model("sparse(c=2, entries=rademacher)", "rademacher", "tanh"), 200, 3, reps=4, seed=1)
    assert data["moments"] == [float(x) for x in res.moments]
    assert out.count("\n") == 1                      # one JSON object on one line


def test_simulate_fractions_and_decimals(capsys):
    code, out, _ = run(capsys, ["simulate", "--phi", "1/2", "--psi", "0.5", "--n", "100", "--k", "1",
                                "--reps", "2", "--json", "--weights", " gaussian ", "--inputs", "normal",
                                "--activation", "erf(scale=1/2)"])
    assert code == 0
    data = json.loads(out)
    assert (data["n"], data["d"], data["m"]) == (100, 50, 100)
    assert data["model"]["phi"] == "1/2" and data["model"]["psi"] == "1/2"


def test_simulate_defaults_and_table(capsys):
    code, out, _ = run(capsys, ["simulate", "--n", "120", "--reps", "2"])
    assert code == 0
    assert "sparse(c=2, entries=rademacher)" in out and "rademacher" in out and "tanh" in out
    lines = [ln.split() for ln in out.splitlines() if ln.strip()[:1].isdigit()]
    assert [ln[0] for ln in lines] == ["1", "2", "3"]            # default k = 3
    assert "reps=2 seed=1" in out                                   # default seed 1
    assert abs(float(lines[0][1]) - SANITY_M1) < 0.1


def test_simulate_single_replicate_has_null_stderr(capsys):
    code, out, _ = run(capsys, ["simulate", "--n", "60", "--reps", "1", "--k", "2", "--json"])
    assert code == 0 and json.loads(out)["stderr"] == [None, None]


@pytest.mark.parametrize("suffix", [".npy", ".txt", ".csv"])
def test_eigenvalues_out(capsys, tmp_path, suffix):
    path = tmp_path / f"ev{suffix}"
    code, out, _ = run(capsys, ["simulate", "--n", "50", "--reps", "2", "--k", "3", "--json",
                                "--eigenvalues-out", str(path)])
    assert code == 0
    if suffix == ".npy":
        ev = np.load(path)
    else:
        ev = np.loadtxt(path, delimiter="," if suffix == ".csv" else None)
    assert ev.shape == (2, 50)
    per = json.loads(out)["per_replicate"]
    np.testing.assert_allclose(np.mean(ev ** 3, axis=1), [row[2] for row in per], rtol=1e-9)


def test_eigenvalues_out_unwritable(capsys, tmp_path):
    code, _, err = run(capsys, ["simulate", "--n", "30", "--reps", "1", "--eigenvalues-out",
                                str(tmp_path / "missing" / "ev.npy")])
    assert code != 0 and err.startswith("momentck: error: --eigenvalues-out")


def test_demo(capsys):
    code, out, _ = run(capsys, ["demo", "--n", "300", "--reps", "3", "--no-progress"])
    assert code == 0
    assert "0.4969146756" in out
    rows = demo_rows(n=300, reps=3, progress=False)
    assert [r["j"] for r in rows] == [1, 2, 3]
    assert rows[0]["exact"] == SANITY_M1 and rows[1]["exact"] is None
    assert abs(rows[0]["z"]) < 4
    code, out, _ = run(capsys, ["demo", "--n", "100", "--reps", "2", "--k", "1", "--json"])
    assert json.loads(out)["rows"][0]["exact"] == SANITY_M1


def test_demo_rows_other_model_has_no_exact_values():
    rows = demo_rows(Model("gaussian", "normal", "tanh"), n=50, k=2, reps=2, progress=False)
    assert all(r["exact"] is None and r["z"] is None for r in rows)


def test_help_shows_examples(capsys):
    code, out, _ = run(capsys, ["--help"])
    assert code == 0
    assert "examples:" in out and "momentck simulate --weights" in out and "momentck demo" in out
    code, out, _ = run(capsys, ["simulate", "--help"])
    assert code == 0 and "--eigenvalues-out" in out and "example" in out
    code, out, _ = run(capsys, ["--version"])
    assert code == 0 and "momentck" in out


BAD = [
    (["simulate", "--weights", "stable(alpha=2)"], "alpha"),
    (["simulate", "--weights", "stable(alpha=0)"], "alpha"),
    (["simulate", "--weights", "sparse(c=0)"], "c"),
    (["simulate", "--weights", "sparse(c=-2, entries=rademacher)"], "c"),
    (["simulate", "--phi", "0"], "phi"),
    (["simulate", "--psi", "-1/3"], "psi (= d/n) must be > 0"),
    (["simulate", "--phi", "-0.5"], "phi (= d/m) must be > 0"),
    (["simulate", "--n", "-5"], "n must be"),
    (["simulate", "--phi", "one"], "phi"),
    (["simulate", "--k", "0"], "k must be"),
    (["simulate", "--reps", "0"], "reps must be"),
    (["simulate", "--seed", "-3"], "seed"),
    (["simulate", "--n", "3", "--psi", "1/4"], "too small"),
    (["simulate", "--n", "many"], "--n"),
    (["simulate", "--activation", "poly(a1=1, a2=1)"], "odd"),
    (["simulate", "--activation", "poly(1, 1, 1"], "activation"),
    (["simulate", "--activation", "relu"], "unknown activation"),
    (["simulate", "--activation", "poly(1,,2)"], "empty"),
    (["simulate", "--inputs", "cauchy"], "unknown inputs"),
    (["simulate", "--inputs", "moments(mu4=3)"], "cannot be sampled"),
    (["simulate", "--weights", "sparse(c=2"], "weights"),
    (["simulate", "--weights", "levy"], "unknown weights"),
    (["simulate", "--bogus"], "unrecognized"),
    (["frobnicate"], "invalid choice"),
    ([], "choose a command"),
]


@pytest.mark.parametrize("argv, match", BAD)
def test_bad_input_one_line_error(capsys, argv, match):
    code, out, err = run(capsys, argv)
    assert code != 0
    assert out == ""
    assert err.startswith("momentck: error: ") and err.endswith("\n")
    assert err.count("\n") == 1, err
    assert match in err
    assert "Traceback" not in err


def test_warning_is_one_line(capsys):
    code, _, err = run(capsys, ["simulate", "--weights", "stable(alpha=1.95)", "--n", "30",
                                "--reps", "1", "--k", "1"])
    assert code == 0
    assert err.startswith("momentck: warning: stable(alpha=39/20)") and err.count("\n") == 1


def _console_script():
    exe = shutil.which("momentck", path=os.path.dirname(sys.executable)) or shutil.which("momentck")
    if exe is None:
        pytest.skip("console script momentck is not installed")
    return exe


def test_console_script_subprocess():
    exe = _console_script()
    out = subprocess.run([exe] + CONTRACT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for key in REQUIRED:
        assert key in data
    bad = subprocess.run([exe, "simulate", "--weights", "stable(alpha=3)"], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines() == [bad.stderr.strip()]
    assert bad.stderr.startswith("momentck: error: stable weights: alpha must be in (0, 2)")


def test_python_m_momentck_cli():
    out = subprocess.run([sys.executable, "-m", "momentck.cli", "simulate", "--n", "40", "--reps", "1",
                          "--k", "1", "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["n"] == 40
