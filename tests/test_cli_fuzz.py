"""Property-based test of the command line: generated, often hostile, specs and numbers.

Every subcommand is fed specs and numbers drawn from valid values and from hostile
ones (huge and tiny exponents, NaN/inf strings, empty, unicode, very long strings,
negatives, fractions).  Each run must either exit 0 with strict JSON whose numbers
are all finite, or exit non-zero with exactly one ``momentck: error:`` line on
stderr (other stderr lines may only be ``momentck: warning:`` lines) -- never a
traceback, and never slower than the hypothesis deadline (``methods``, which has no
``--json``, must print its tables or refuse in one line).  The work a generated
case can request is bounded (n <= 48, k <= 2 for the engine, reps <= 3, no
``--force``) so the module runs in well under 30 s; the profile is derandomized,
so CI sees the same cases every time.
"""

import json
import math
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from momentck.cli import build_parser, main

FUZZ = settings(derandomize=True, deadline=timedelta(seconds=10), database=None, print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

#: every subcommand must be fuzzed here
FUZZED = {"simulate", "moments", "explain", "verify", "demo", "methods", "density", "plot"}

HOSTILE_NUMBERS = ["nan", "NaN", "inf", "-inf", "Infinity", "1e999999999", "1e-999999999", "1e5000",
                   "1e-400", "1e308", "1e-308", "1e309", "9" * 400, "0." + "0" * 500 + "1", "",
                   " ", "-0", "0", "-1", "1/0", "0/0", "3/-4", "1e3/7", "½", "٣", "1_000", "0x10",
                   "+1", ".5", "5.", "1e", "e5", "1/3/5", "--", "abc", "x" * 10_000, "1,5", "2\n3",
                   "\u2028", "1e-5", "1e5", "1e300", "1e-300"]


def mostly(valid, hostile):
    """``valid`` about 9 times in 10, else ``hostile``: each field is usually sane, so that whole
    commands run often enough while every field is still attacked.  (Hypothesis favours small
    integers, hence hostile at the top of the range.)"""
    return st.integers(0, 9).flatmap(lambda i: hostile if i == 9 else valid)


def _fraction():
    return st.builds(lambda p, q: f"{p}/{q}", st.integers(-20, 20), st.integers(-20, 20))


def hostile_numbers():
    return st.one_of(st.sampled_from(HOSTILE_NUMBERS), _fraction(),
                     st.decimals(allow_nan=True, allow_infinity=True).map(str),
                     st.integers(-10 ** 30, 10 ** 30).map(str), st.text(max_size=12))


def numbers(valid=("1", "1/2", "2", "0.3", "5/3", "1e-3", "0.25", "3")):
    """Strings that may or may not be numbers: mostly valid small ones, else hostile ones."""
    return mostly(st.sampled_from(valid), hostile_numbers())


def ratios():
    """phi / psi for simulating commands: small valid values, or values refused outright
    (a valid ratio such as 1e-5 would ask for m = 10^5 n samples: real work, not fuzzing)."""
    return mostly(st.sampled_from(["1", "1/2", "2", "0.75", "3/2"]),
                  st.sampled_from([h for h in HOSTILE_NUMBERS if h not in ("1e-5", "1e5")]))


def small_ints(lo, hi, hostile=("0", "-1", "-7", "1e3", "x", "", "2.5", "9" * 40, "١", " 3")):
    return mostly(st.integers(lo, hi).map(str), st.sampled_from(hostile))


def weights():
    return mostly(
        st.one_of(st.sampled_from(["gaussian", "sparse(c=2, entries=rademacher)", "sparse(c=2, entries=normal)",
                                   "stable(alpha=1)", "stable(alpha=0.01)", "stable(alpha=1/1000)"]),
                  st.builds("sparse(c={}, entries={})".format, numbers(("1", "2", "3/2", "0.5")),
                            st.sampled_from(["rademacher", "normal"])),
                  st.builds("stable(alpha={})".format, numbers(("0.5", "1", "3/2", "0.05", "1.95")))),
        st.one_of(st.sampled_from(["sparse(c=2", "stable", "gaussian()", "sparse(c=2, c=3)", "levy", "",
                                   "sparse(c=100)", "stable(alpha=1, beta=0)", "sparse(c=2, entries=x)"]),
                  st.builds("stable(alpha={})".format, hostile_numbers()), st.text(max_size=30)))


def inputs():
    return mostly(st.sampled_from(["normal", "rademacher", "uniform"]),
                  st.one_of(st.sampled_from(["moments(mu4=3)", "cauchy", ""]),
                            st.builds("moments(mu4={}, mu{}=1)".format, numbers(), st.integers(0, 10 ** 6)),
                            st.text(max_size=20)))


def activations():
    names = st.sampled_from(["tanh", "erf", "sin", "atan"])
    return mostly(
        st.one_of(names, st.builds("{}(scale={})".format, names, numbers()),
                  st.builds(lambda cs: f"poly({', '.join(cs)})", st.lists(numbers(), min_size=2, max_size=3))),
        st.one_of(st.builds("poly(a{}={}, a1=1)".format, st.integers(0, 10 ** 9), numbers()),
                  st.sampled_from(["poly(1, 1e300)", "poly(a2=1)", "relu", "poly()", "tanh(1)",
                                   "poly(" + "1," * 300 + "1)", "erf(scale=1e-300)", "atan(scale=1e300)"]),
                  st.text(max_size=30)))


def model_args(simulating):
    ratio = ratios() if simulating else numbers()
    return st.builds(lambda w, i, a, phi, psi: [f"--weights={w}", f"--inputs={i}", f"--activation={a}",
                                                f"--phi={phi}", f"--psi={psi}"],
                     weights(), inputs(), activations(), ratio, ratio)


def _finite_numbers(obj):
    if isinstance(obj, float):
        return math.isfinite(obj)
    if isinstance(obj, dict):
        return all(_finite_numbers(v) for v in obj.values())
    if isinstance(obj, list):
        return all(_finite_numbers(v) for v in obj)
    return True


def _strict_json(text):
    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")
    return json.loads(text, parse_constant=refuse)


def check(capsys, argv, as_json):
    capsys.readouterr()                                     # nothing left from an earlier example
    code = main(argv + (["--json"] if as_json else []))     # an exception here is a traceback
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert "Traceback" not in err
    assert all(line.startswith(("momentck: warning: ", "momentck: error: ")) for line in lines), err
    if code == 0:
        assert not any(line.startswith("momentck: error: ") for line in lines), err
        if as_json:
            data = _strict_json(out)
            assert out.count("\n") == 1 and _finite_numbers(data), out
        else:
            assert out
    else:
        assert out == "", out
        assert sum(line.startswith("momentck: error: ") for line in lines) == 1, err
        assert len(err) < 2000, err


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("MOMENTCK_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "fuzz-cache"))


@pytest.fixture(scope="module", autouse=True)
def _warm_imports():
    """Import the lazily loaded libraries (scipy.special, mpmath, tqdm) outside the deadline."""
    for argv in (["moments", "--k", "1", "--no-cache"], ["simulate", "--n", "20", "--k", "1", "--reps", "1",
                                                          "--no-progress", "--json"]):
        main(argv)


def test_every_subcommand_is_fuzzed():
    parser = build_parser()
    assert set(parser._subparsers._group_actions[0].choices) == FUZZED


@settings(FUZZ, max_examples=200)
@given(model=model_args(True), n=small_ints(8, 48), k=small_ints(1, 4), reps=small_ints(1, 3),
       extra=mostly(st.sampled_from([[], ["--dtype=float32"], ["--seed=3"]]),
                    st.sampled_from([["--seed=-1"], ["--workers=0"], ["--eigenvalues-out=/nonexistent/e.npy"],
                                     ["--checkpoint=/nonexistent/c.npz"], ["--dtype=float16"], ["--k=1000"],
                                     ["--eigenvalues-out=e.json"]])),
       as_json=st.booleans())
def test_fuzz_simulate(capsys, model, n, k, reps, extra, as_json):
    check(capsys, ["simulate", *model, f"--n={n}", f"--k={k}", f"--reps={reps}", "--no-progress", *extra],
          as_json)


@settings(FUZZ, max_examples=150)
@given(cmd=st.sampled_from(["moments", "explain"]), model=model_args(False),
       k=small_ints(1, 2, hostile=("0", "-1", "1000", "x", "", "99999999999999999999999")),
       extra=mostly(st.sampled_from([[], ["--digits=7"], ["--method=numeric"], ["--method=symbolic"],
                                     ["--truncation=5"], ["--latex"], ["--no-cache"]]),
                    st.sampled_from([["--digits=0"], ["--digits=1e9"], ["--truncation=2"],
                                     ["--truncation=99999999"], ["--method=bogus"]])),
       as_json=st.booleans())
def test_fuzz_engine(capsys, cmd, model, k, extra, as_json):
    check(capsys, [cmd, *model, f"--k={k}", "--no-progress", *extra], as_json and "--latex" not in extra)


@settings(FUZZ, max_examples=40)
@given(model=model_args(True), k=small_ints(1, 2), sizes=st.lists(small_ints(24, 40), min_size=1, max_size=3),
       reps=small_ints(1, 3), local=small_ints(0, 30), as_json=st.booleans())
def test_fuzz_verify(capsys, model, k, sizes, reps, local, as_json):
    check(capsys, ["verify", *model, f"--k={k}", "--n", *sizes, f"--reps={reps}", f"--local-samples={local}",
                   "--no-progress"], as_json)


@settings(FUZZ, max_examples=8)
@given(n=small_ints(30, 40), k=small_ints(1, 2), reps=small_ints(1, 2), as_json=st.booleans())
def test_fuzz_demo(capsys, n, k, reps, as_json):
    check(capsys, ["demo", f"--n={n}", f"--k={k}", f"--reps={reps}", "--no-progress"], as_json)


@settings(FUZZ, max_examples=8)
@given(extra=st.lists(st.sampled_from(["--reasons", "--json", "--k=3", "x", "--reasons=1", "-h"]), max_size=2))
def test_fuzz_methods(capsys, extra):
    check(capsys, ["methods", *extra], as_json=False)


def law_model_args():
    """Models for ``density`` / ``plot``: Gaussian weights (closed form, fast) with generated inputs,
    activations and ratios, or other weights with uniform inputs (no K-entries: refused before any
    population dynamics, which would be real work)."""
    gauss = st.builds(lambda i, a, phi, psi: ["--weights=gaussian", f"--inputs={i}", f"--activation={a}",
                                              f"--phi={phi}", f"--psi={psi}"],
                      inputs(), activations(), numbers(), numbers())
    other = st.builds(lambda w: [f"--weights={w}", "--inputs=uniform", "--activation=tanh"], weights())
    return mostly(gauss, other)


def law_extra():
    return mostly(st.sampled_from([[], ["--grid=0:2:7"], ["--seed=3"], ["--grid=0.5:1:3"]]),
                  st.sampled_from([["--grid=2:0:5"], ["--grid=0:1"], ["--grid=0:1:1"], ["--grid=a:b:c"],
                                   ["--grid=nan:1:5"], ["--grid=0:inf:5"], ["--accuracy=0"], ["--accuracy=1e-9"],
                                   ["--accuracy=nan"], ["--seed=-1"], ["--eps=-1"], ["--grid=0:1:99999999999"]]))


@settings(FUZZ, max_examples=40)
@given(model=law_model_args(), extra=law_extra(), as_json=st.booleans())
def test_fuzz_density(capsys, model, extra, as_json):
    check(capsys, ["density", *model, "--no-progress", *extra], as_json)


@settings(FUZZ, max_examples=6)
@given(model=law_model_args(), extra=law_extra(), out=mostly(st.just("law.png"), st.sampled_from(
    ["/nonexistent/law.png", "law.xyz", ""])))
def test_fuzz_plot(capsys, tmp_path, model, extra, out):
    path = str(tmp_path / out) if out and not out.startswith("/") else out
    check(capsys, ["plot", *model, "--n=40", "--reps=1", "--no-progress", "-o", path, *extra], as_json=False)
