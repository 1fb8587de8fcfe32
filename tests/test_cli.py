"""The ``momentck`` command line: the simulate contract, demo, help, one-line errors."""

import json
from fractions import Fraction
import math
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
    assert abs(rows[0]["exact"] - SANITY_M1) < 1e-10 and rows[1]["exact"] is not None
    assert abs(rows[0]["z"]) < 4
    code, out, _ = run(capsys, ["demo", "--n", "100", "--reps", "2", "--k", "2", "--json"])
    sections = json.loads(out)["sections"]
    assert abs(sections[0]["rows"][0]["exact"] - SANITY_M1) < 1e-10
    assert [sec["model"]["weights"] for sec in sections][2] == "stable(alpha=1)"
    assert all(abs(r["z"]) < 4 for r in sections[2]["rows"])
    sections = sections[1:]
    # the exact-engine section: m_1 of sparse(c=2) rademacher x rademacher, f = x - x^3/10:
    # E R^2 - E R^4 / 5 + E R^6 / 100 with E R^2 = 2, E R^4 = 2 + 12, E R^6 = 2 + 60 + 120
    assert sections[0]["rows"][0]["exact"] == float(Fraction(2) - Fraction(14, 5) + Fraction(182, 100))


def test_demo_rows_uses_the_engine_for_polynomial_models():
    rows = demo_rows(Model("sparse(c=2, entries=rademacher)", "rademacher", "poly(1, -1/10)", 1, "1/2"),
                     n=300, k=2, reps=10, progress=False)
    assert rows[0]["exact"] == float(Fraction(2) - Fraction(14, 5) + Fraction(182, 100))
    assert all(abs(r["z"]) < 4 for r in rows)


def test_demo_rows_other_model_has_no_exact_values():
    rows = demo_rows(Model("stable(alpha=1)", "uniform", "tanh"), n=50, k=4, reps=2,
                     progress=False)  # numeric weights cover k <= 3 only (uniform inputs)
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


def test_moments_json_exact_strings_parse_back(capsys):
    import sympy
    from momentck.engine import limiting_moments
    argv = ["moments", "--weights", "sparse(c=2, entries=rademacher)", "--inputs", "rademacher",
            "--activation", "poly(1, -1/6)", "--phi", "1", "--psi", "1/2", "--k", "3", "--json"]
    code, out, _ = run(capsys, argv)
    assert code == 0
    obj = json.loads(out)
    assert {"moments", "kernel_moments", "exact", "method"} <= set(obj)
    want = limiting_moments(Model("sparse(c=2, entries=rademacher)", "rademacher", "poly(1, -1/6)",
                                  1, "1/2"), 3)
    assert [sympy.sympify(x) for x in obj["exact"]] == list(want.spectral)
    assert obj["moments"] == [float(x) for x in want.spectral]
    assert obj["exact"][0] == "43/18" and obj["method"] == "symbolic"


def test_moments_table_latex_and_errors(capsys):
    code, out, _ = run(capsys, ["moments", "--activation", "poly(1, -1/6)", "--k", "2"])
    assert code == 0 and "43/18" in out
    code, out, _ = run(capsys, ["moments", "--activation", "poly(1, -1/6)", "--k", "2", "--latex"])
    assert code == 0 and "\\begin{align*}" in out
    code, _, err = run(capsys, ["moments", "--weights", "sparse(c=2, entries=normal)", "--inputs", "uniform",
                                "--activation", "tanh", "--k", "4"])
    assert code == 1 and err.startswith("momentck: error: no method applies: activation tanh is not")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    code, out, _ = run(capsys, ["moments", "--activation", "tanh", "--k", "2", "--truncation", "5",
                                "--method", "symbolic"])
    assert code == 0 and "Taylor truncation 5" in out and "not of f" in out
    code, _, err = run(capsys, ["moments", "--activation", "poly(1, -1/6)", "--k", "11"])
    assert code == 1 and "--force" in err
    code, _, err = run(capsys, ["moments", "--weights", "stable(alpha=1)", "--activation", "erf", "--k", "5"])
    assert code == 1 and "infinite" in err and "k <= 4, not k = 5" in err


def test_explain_table_and_json(capsys):
    argv = ["explain", "--activation", "poly(1, -1/6)", "--k", "3"]
    code, out, _ = run(capsys, argv)
    # 41493407/7776 is h_3 at c = 2, psi = 1, derived independently in test_engine.py
    assert code == 0 and "total h_3 = 41493407/7776" in out
    code, out, _ = run(capsys, argv + ["--json"])
    obj = json.loads(out)
    assert [r["walks"] for r in obj["rows"]] == [1, 1, 2, 1]
    assert obj["total"] == "41493407/7776"


# ---------------------------------------------------------------------------
# Hardening (issue 13): strict JSON, no tracebacks, no hangs, no silent NaN
# ---------------------------------------------------------------------------

def strict_json(text):
    """json.loads that refuses NaN and Infinity (which Python's json writes by default)."""
    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")
    return json.loads(text, parse_constant=refuse)


def one_line_error(capsys, argv, match=""):
    code, out, err = run(capsys, argv)
    assert code != 0 and out == "", (out, err)
    assert err.startswith("momentck: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert match in err, err
    return err


@pytest.mark.parametrize("argv", [
    ["verify", "--n", "60", "--k", "2", "--reps", "1", "--local-samples", "50", "--json", "--no-progress"],
    ["demo", "--n", "60", "--k", "2", "--reps", "1", "--json", "--no-progress"],
    ["moments", "--psi", "1e-300", "--k", "3", "--json"],
])
def test_json_is_strict(capsys, argv):
    code, out, err = run(capsys, argv)
    assert code == 0, err
    data = strict_json(out)
    if "null" in out and argv[0] != "moments":
        assert any("written as null" in note for note in data["notes"])


def test_json_nonfinite_is_null_with_a_note(capsys):
    # psi = 1e-300: h_j ~ psi^-(j-1) overflows float64 for j >= 3; the exact strings keep the values
    code, out, _ = run(capsys, ["moments", "--psi", "1e-300", "--k", "3", "--json"])
    data = strict_json(out)
    assert data["moments"][2] is None and data["exact"][2].isdigit() is False
    assert any("moments[2]" in note and "null" in note for note in data["notes"])


def test_simulate_nan_never_exits_zero(capsys):
    # stable(alpha=0.01) gave NaN moments with exit 0 (k = 2) and a LinAlgError traceback (k = 3)
    for k in ("2", "3"):
        code, out, err = run(capsys, ["simulate", "--weights", "stable(alpha=0.01)", "--inputs", "normal",
                                      "--activation", "tanh", "--n", "200", "--k", k, "--reps", "2", "--json"])
        assert code == 0, err
        data = strict_json(out)
        assert all(isinstance(x, float) and math.isfinite(x) for x in data["moments"])
    one_line_error(capsys, ["simulate", "--n", "50", "--k", "1000", "--reps", "2", "--json"], "overflows float64")


@pytest.mark.parametrize("argv, match", [
    (["verify", "--n", "200", "200"], "distinct"),
    (["moments", "--k", "1000"], "walk shapes"),
    (["explain", "--k", "1000"], "walk shapes"),
    (["simulate", "--phi", "1e-308"], "too large to sample"),
    (["simulate", "--phi", "1e-400"], "exponent"),
    (["simulate", "--phi", "1e5000"], "exponent"),
    (["moments", "--phi", "1e999999999"], "exponent"),                     # used to hang
    (["moments", "--activation", "poly(a99999999=1, a1=1)"], "at most 199"),  # used to hang (1.3 GB)
    (["moments", "--truncation", "99999999", "--force"], "--truncation must be"),
    (["demo", "--k", "0"], "--k must be an integer >= 1"),
    (["moments", "--digits", "0", "--activation", "poly(1, 1)"], "--digits must be"),
    (["simulate", "--n", "9" * 5000], "--n must be"),
])
def test_former_tracebacks_and_hangs_are_one_line(capsys, argv, match):
    err = one_line_error(capsys, argv, match)
    assert len(err) < 600


def test_error_quotes_at_most_80_characters_of_input(capsys):
    err = one_line_error(capsys, ["moments", "--activation", "relu" + "x" * 10_000], "unknown activation")
    assert len(err) < 300


def test_empty_or_pickled_checkpoint_is_one_line(capsys, tmp_path):
    empty = tmp_path / "run.npz"
    empty.write_bytes(b"")
    one_line_error(capsys, ["simulate", "--n", "40", "--reps", "2", "--checkpoint", str(empty)], "empty")
    pickled = tmp_path / "obj.npz"
    np.savez(pickled, params=np.array([{"a": 1}], dtype=object))
    err = one_line_error(capsys, ["simulate", "--n", "40", "--reps", "2", "--checkpoint", str(pickled)])
    assert "allow_pickle" not in err and "Python objects" in err


@pytest.mark.parametrize("option, name", [("--eigenvalues-out", "missing/e.npy"), ("--checkpoint", "missing/run.npz"),
                                          ("--eigenvalues-out", "e.json"), ("--eigenvalues-out", "."),
                                          ("--checkpoint", ".")])
def test_output_paths_checked_before_any_work(capsys, tmp_path, monkeypatch, option, name):
    import momentck.cli as cli

    def no_work(*args, **kwargs):
        raise AssertionError("the simulation started")
    monkeypatch.setattr(cli, "simulate", no_work)
    path = str(tmp_path / name) if name != "." else str(tmp_path)
    one_line_error(capsys, ["simulate", "--n", "40", option, path], option)
    assert not os.path.exists(tmp_path / "e.json")


def test_digits_noted_on_the_symbolic_route(capsys):
    code, out, _ = run(capsys, ["moments", "--activation", "poly(1, -1/6)", "--k", "2", "--digits", "30",
                                "--json"])
    assert code == 0
    assert any("--digits 30" in n and "exact" in n for n in strict_json(out)["notes"])


def test_no_truncation_advice_for_stable_weights(capsys):
    err = one_line_error(capsys, ["moments", "--weights", "stable(alpha=1)", "--activation", "tanh", "--k", "5"],
                         "no method applies")
    assert "truncation" not in err
    assert "momentck simulate" in err                        # the way to an estimate is named
    err = one_line_error(capsys, ["moments", "--weights", "sparse(c=2, entries=normal)", "--inputs", "uniform"],
                         "no method applies")
    assert "--truncation 7" in err                           # finite Lévy moments: truncation can run


def test_help_describes_the_whole_demo(capsys):
    code, out, _ = run(capsys, ["--help"])
    assert "compare m_1 with" not in out and "m_1..m_4 of three embedded models" in out
