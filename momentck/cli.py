"""The ``momentck`` command line.

Each subcommand is a pair ``_add_<name>(subparsers)`` / ``_run_<name>(args)``;
the model options shared by subcommands come from :func:`_add_model_options`
and are turned into a :class:`~momentck.model.Model` by :func:`_model_from_args`.
Every :class:`~momentck.errors.MomentckError` and every usage error becomes one
line ``momentck: error: ...`` on stderr and a non-zero exit status.  Every
``--json`` output goes through :func:`_print_json`: strict JSON, with any
non-finite number written as ``null`` and named in ``notes``.
"""

import argparse
import json
import math
import os
import re
import sys
import warnings

import numpy as np

from . import __version__
from .activations import MAX_DEGREE
from .errors import MomentckError
from .model import Model
from .specs import quote
from .simulation import simulate
from . import engine

__all__ = ["main", "demo_rows", "DEFAULT_MODEL", "SANITY_M1"]

PROG = "momentck"

#: the embedded default model (MATH.md §6): weights, inputs, activation, phi, psi
DEFAULT_MODEL = {"weights": "sparse(c=2, entries=rademacher)", "inputs": "rademacher",
                 "activation": "tanh", "phi": "1", "psi": "1"}
#: MATH.md §6: h_1 = m_1 of the default model (exact finite sum over Poisson(2) row degrees)
SANITY_M1 = 0.4969146756
#: significant digits of numeric weights when --digits is not given
DEFAULT_DIGITS = 15
#: the demo's model with exact moments from the engine (polynomial activation, psi != 1)
EXACT_DEMO_MODEL = {"weights": "sparse(c=2, entries=rademacher)", "inputs": "rademacher",
                    "activation": "poly(1, -1/10)", "phi": "1", "psi": "1/2"}
#: the demo's heavy-tailed model (alpha-stable weights; numeric weights, MATH.md §4)
STABLE_DEMO_MODEL = {"weights": "stable(alpha=1)", "inputs": "normal", "activation": "erf",
                     "phi": "1", "psi": "1"}

EXAMPLES = """\
examples:
  momentck demo
      limiting m_1..m_4 of three embedded models (sparse weights with tanh, a polynomial
      activation with exact rational moments, stable weights with erf) next to Monte Carlo

  momentck simulate --weights 'sparse(c=2, entries=rademacher)' --inputs rademacher \\
      --activation tanh --phi 1 --psi 1 --n 2000 --k 3 --reps 4 --seed 1 --json
      Monte Carlo estimates of m_1..m_3 with standard errors, as one JSON object

  momentck simulate --weights 'stable(alpha=1.5)' --inputs normal \\
      --activation 'erf(scale=2)' --phi 1/2 --psi 1/3 --n 1500 --k 4

  momentck moments --weights 'sparse(c=2, entries=rademacher)' --inputs rademacher \\
      --activation 'poly(1, -1/6)' --phi 1 --psi 1/2 --k 4 --json
      exact limiting moments m_1..m_4 (and kernel moments h_1..h_4)

  momentck explain --weights 'sparse(c=2, entries=normal)' --inputs normal \\
      --activation 'poly(1, 1/5)' --psi 1/2 --k 3
      the walk shapes behind h_3, term by term

  momentck verify --weights 'sparse(c=2, entries=rademacher)' --inputs rademacher \\
      --activation 'poly(1, -1/10)' --psi 1/2 --k 3 --n 250 500 1000
      limiting moments against Monte Carlo at several n, and the local limit

specs (whitespace-insensitive):
  weights     gaussian | sparse(c=<number>, entries=rademacher|normal) | stable(alpha=<number in (0,2)>)
  inputs      normal | rademacher | uniform
  activation  tanh | erf | sin | atan | poly(<a1>, <a3>, ...), each optionally name(scale=<number>)
  numbers     integers, decimals or fractions such as 1/3 (kept exact)

conventions: W is n×d, X is d×m, Y = f(WX), M = YY^T/m; phi = d/m, psi = d/n.
"""


class _UsageError(Exception):
    """An argparse-level problem, reported as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # "argument --n: must be an integer >= 1, ..." -> "--n must be an integer >= 1, ..."
        raise _UsageError(re.sub(r"^argument (\S+): must be", r"\1 must be", message))


def _formatter(prog):
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=30)


# ---------------------------------------------------------------------------
# Shared model options
# ---------------------------------------------------------------------------

def _add_model_options(parser):
    """Add ``--weights --inputs --activation --phi --psi`` (defaults: the demo model)."""
    g = parser.add_argument_group("model")
    g.add_argument("--weights", default=DEFAULT_MODEL["weights"], metavar="SPEC",
                   help="weight law: gaussian | sparse(c=.., entries=rademacher|normal) | "
                        "stable(alpha=..) (default: %(default)s)")
    g.add_argument("--inputs", default=DEFAULT_MODEL["inputs"], metavar="SPEC",
                   help="input law: normal | rademacher | uniform (default: %(default)s)")
    g.add_argument("--activation", default=DEFAULT_MODEL["activation"], metavar="SPEC",
                   help="odd activation: tanh | erf | sin | atan | poly(a1, a3, ...), "
                        "optionally name(scale=..) (default: %(default)s)")
    g.add_argument("--phi", default=DEFAULT_MODEL["phi"], metavar="RATIO",
                   help="phi = d/m, e.g. 1, 0.5 or 1/3 (default: %(default)s)")
    g.add_argument("--psi", default=DEFAULT_MODEL["psi"], metavar="RATIO",
                   help="psi = d/n, e.g. 1, 0.5 or 1/3 (default: %(default)s)")


def _model_from_args(args):
    """The :class:`Model` described by the options of :func:`_add_model_options`."""
    return Model(args.weights, args.inputs, args.activation, phi=args.phi, psi=args.psi)


def _progress_flag(args):
    return False if getattr(args, "no_progress", False) else None


def _fmt(x):
    return "-" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.10g}"


_INTEGER = re.compile(r"^\s*[+-]?\d{1,18}\s*$", re.ASCII)


def _int_arg(minimum, maximum=None):
    """An argparse ``type``: an integer in ``[minimum, maximum]``."""
    allowed = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"

    def parse(text):
        value = int(text) if _INTEGER.match(text) else None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"must be an integer {allowed}, got {quote(text)}")
        return value
    return parse


def _json_clean(obj, path, bad):
    """``obj`` with numpy scalars made Python and non-finite floats made None (paths into ``bad``)."""
    if isinstance(obj, (float, np.floating)):
        if math.isfinite(obj):
            return float(obj)
        bad.append(path)
        return None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.ndarray):
        obj = obj.tolist()
    if isinstance(obj, dict):
        return {k: _json_clean(v, f"{path}.{k}" if path else str(k), bad) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_clean(v, f"{path}[{i}]", bad) for i, v in enumerate(obj)]
    return obj


def _print_json(obj):
    """Print ``obj`` (a dict) as strict JSON: the one JSON writer of every subcommand.

    A non-finite number (NaN, an overflow to infinity) has no JSON form: it is
    written as ``null`` and its place is named in the list ``notes``.
    """
    bad = []
    out = _json_clean(obj, "", bad)
    if bad:
        shown = ", ".join(bad[:8]) + (f" and {len(bad) - 8} more" if len(bad) > 8 else "")
        out["notes"] = list(out.get("notes") or []) + [
            f"not a finite float64 (undefined, e.g. a standard error of one replicate, or an "
            f"overflow), written as null: {shown}"]
    print(json.dumps(out, allow_nan=False))


#: suffixes of --eigenvalues-out and the writers
_EIGENVALUE_FORMATS = (".npy", ".txt", ".csv")


def _check_output_path(path, option):
    """Refuse, before any work, an output file that could not be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise MomentckError(f"{option}: {quote(path)} is a folder; give a file name")
    if not os.path.isdir(folder):
        raise MomentckError(f"{option}: folder {quote(folder)} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise MomentckError(f"{option}: cannot write {quote(path)} (permission denied)")


# ---------------------------------------------------------------------------
# simulate
# ---------------------------------------------------------------------------

def _add_simulate(subparsers):
    p = subparsers.add_parser(
        "simulate", formatter_class=_formatter,
        help="Monte Carlo estimates of (1/n) tr M^j, j = 1..k",
        description="Monte Carlo estimates of E[(1/n) tr M^j], j = 1..k, at finite size: "
                    "d = round(psi n), m = round(psi n / phi).",
        epilog="example:\n  momentck simulate --weights 'sparse(c=2, entries=rademacher)' "
               "--inputs rademacher \\\n      --activation tanh --phi 1 --psi 1 --n 2000 --k 3 "
               "--reps 4 --seed 1 --json")
    _add_model_options(p)
    g = p.add_argument_group("simulation")
    g.add_argument("--n", type=_int_arg(1), default=1000, help="width n (default: %(default)s)")
    g.add_argument("--k", type=_int_arg(1), default=3, help="number of moments (default: %(default)s)")
    g.add_argument("--reps", type=_int_arg(1), default=4,
                   help="independent replicates (default: %(default)s)")
    g.add_argument("--seed", type=_int_arg(0), default=1, help="non-negative seed (default: %(default)s)")
    g.add_argument("--json", action="store_true", help="print one JSON object")
    g.add_argument("--eigenvalues-out", metavar="FILE",
                   help="save the eigenvalues of M, one row per replicate "
                        "(FILE.npy binary; FILE.txt or FILE.csv text)")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="precision of the matrices: float32 about halves the memory; its moments "
                        "agree with float64 to 1e-5 relative or better (default: %(default)s)")
    g.add_argument("--checkpoint", metavar="FILE",
                   help="save each finished replicate to FILE (.npz) and, when FILE exists, "
                        "resume from it (same parameters only)")
    _add_distributed_options(p, "replicates")
    p.set_defaults(run=_run_simulate)


def _add_distributed_options(p, what):
    """``--workers N`` / ``--scheduler ADDRESS``: where the independent ``what`` are computed."""
    d = p.add_argument_group("distributed (Dask: pip install 'momentck[distributed]')")
    d.add_argument("--workers", type=_int_arg(1), metavar="N",
                   help=f"compute the {what} on a local Dask cluster of N worker processes "
                        "(one BLAS thread each; the results do not depend on N)")
    d.add_argument("--scheduler", metavar="ADDRESS",
                   help=f"compute the {what} on the Dask cluster whose scheduler is at ADDRESS "
                        "(e.g. tcp://10.0.0.1:8786)")


def _where(args):
    """``scheduler=`` / ``workers=`` keywords from ``--workers`` / ``--scheduler``."""
    if args.workers is not None and args.scheduler is not None:
        raise MomentckError("give --workers N (a local cluster) or --scheduler ADDRESS, not both")
    if args.workers is not None:
        return {"scheduler": "processes", "workers": args.workers}
    if args.scheduler is not None:
        return {"scheduler": args.scheduler}
    return {}


def _run_simulate(args):
    model = _model_from_args(args)
    where = _where(args)
    if args.eigenvalues_out is not None:
        if not args.eigenvalues_out.lower().endswith(_EIGENVALUE_FORMATS):
            raise MomentckError(f"--eigenvalues-out: {quote(args.eigenvalues_out)} has no known suffix; "
                                "allowed: .npy (binary), .txt or .csv (text)")
        _check_output_path(args.eigenvalues_out, "--eigenvalues-out")
    if args.checkpoint is not None:
        _check_output_path(args.checkpoint, "--checkpoint")
    res = simulate(model, args.n, args.k, reps=args.reps, seed=args.seed,
                   eigenvalues=args.eigenvalues_out is not None, progress=_progress_flag(args),
                   dtype=args.dtype, checkpoint=args.checkpoint, **where)
    if args.eigenvalues_out is not None:
        _save_eigenvalues(args.eigenvalues_out, np.vstack(res.eigenvalues))
    if args.json:
        _print_json(res.to_dict())
        return 0
    print(f"model: weights={model.weights.spec} inputs={model.inputs.spec} "
          f"activation={model.activation.spec} phi={model.phi} psi={model.psi}")
    print(f"sizes: n={res.n} d={res.d} m={res.m}; reps={res.reps} seed={res.seed}"
          + ("" if res.dtype == "float64" else f"; dtype={res.dtype}"))
    print(f"{'j':>3}  {'(1/n) tr M^j':>16}  {'stderr':>12}")
    for j, (mom, se) in enumerate(zip(res.moments, res.stderr), start=1):
        print(f"{j:>3}  {_fmt(float(mom)):>16}  {_fmt(float(se)):>12}")
    return 0


def _save_eigenvalues(path, eigs):
    try:
        if path.lower().endswith((".txt", ".csv")):
            np.savetxt(path, eigs, delimiter="," if path.lower().endswith(".csv") else " ")
        else:                                       # .npy (checked by _run_simulate)
            with open(path, "wb") as fh:
                np.save(fh, eigs)
    except OSError as exc:
        raise MomentckError(f"--eigenvalues-out: cannot write {path!r}: {exc.strerror}") from exc


# ---------------------------------------------------------------------------
# moments and explain (the exact engine)
# ---------------------------------------------------------------------------

def _add_engine_options(p, k_default, json_help, latex_help):
    """Model options, engine options and the --json / --latex output switches."""
    _add_model_options(p)
    p.add_argument("--json", action="store_true", help=json_help)
    p.add_argument("--latex", action="store_true", help=latex_help)
    g = p.add_argument_group("exact engine")
    g.add_argument("--k", type=_int_arg(1), default=k_default, help="order (default: %(default)s)")
    g.add_argument("--method", default="auto", choices=("auto", "symbolic", "numeric"),
                   help="auto: symbolic whenever it gives the true moment, else numeric where "
                        "implemented (default: %(default)s)")
    g.add_argument("--digits", type=_int_arg(5, 1000), default=None,
                   help=f"significant digits of numeric weights (default: {DEFAULT_DIGITS}); the "
                        "symbolic route is exact and ignores it")
    g.add_argument("--truncation", type=_int_arg(3, MAX_DEGREE), default=None, metavar="ORDER",
                   help="Taylor order for a non-polynomial activation (the result is then the "
                        "moment of the Taylor polynomial, not of f)")
    g.add_argument("--force", action="store_true", help="run even when the estimated work is large")
    g.add_argument("--no-cache", action="store_true", help="do not read or write the on-disk cache")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_distributed_options(p, "shape weights")


def _engine_kwargs(args):
    return {"method": args.method, "truncation": args.truncation, "force": args.force,
            "progress": _progress_flag(args), "cache": not args.no_cache,
            "digits": DEFAULT_DIGITS if args.digits is None else args.digits, **_where(args)}


def _digits_notes(args, method):
    """A note when ``--digits`` was given but the exact (symbolic) route does not use it."""
    if args.digits is not None and method != "numeric":
        return [f"--digits {args.digits} applies to numeric weights; the {method} route is exact"]
    return []


def _add_moments(subparsers):
    p = subparsers.add_parser(
        "moments", formatter_class=_formatter,
        help="exact limiting moments m_1..m_k (and kernel moments h_1..h_k)",
        description="Exact limiting spectral moments m_j = lim E[(1/n) tr M^j] and kernel moments "
                    "h_j, j = 1..k, from the block-tree walk expansion (MATH.md §2-§4).",
        epilog="example:\n  momentck moments --weights 'sparse(c=2, entries=rademacher)' "
               "--inputs rademacher \\\n      --activation 'poly(1, -1/6)' --k 4 --json")
    _add_engine_options(p, 4, "print one JSON object", "print the moments as LaTeX")
    p.set_defaults(run=_run_moments)


def _run_moments(args):
    model = _model_from_args(args)
    res = engine.limiting_moments(model, args.k, **_engine_kwargs(args))
    res.notes.extend(_digits_notes(args, res.method))
    if args.json:
        _print_json(res.to_dict())
        return 0
    if args.latex:
        print(res.latex())
        return 0
    print(f"model: {model!r}")
    print(f"method: {res.method}" + (f", Taylor truncation {res.truncation}" if res.truncation else ""))
    hf, mf = res.floats("kernel"), res.floats("spectral")
    numeric = res.method == "numeric"
    print(f"{'j':>3}  {'m_j':>20}  {'h_j':>20}  " + (f"{'error(m_j)':>10}  m_j (the digits its error supports)"
                                                     if numeric else "exact m_j"))
    for j in range(args.k):
        if numeric:
            e = res.spectral_error[j]
            print(f"{j + 1:>3}  {_fmt(mf[j]):>20}  {_fmt(hf[j]):>20}  {e:>10.2g}  "
                  f"{engine.supported_digits(res.spectral[j], e, res.digits)}")
        else:
            print(f"{j + 1:>3}  {_fmt(mf[j]):>20}  {_fmt(hf[j]):>20}  {res.spectral[j]}")
    for note in res.notes:
        print(f"note: {note}")
    return 0


def _add_explain(subparsers):
    p = subparsers.add_parser(
        "explain", formatter_class=_formatter,
        help="the walk shapes behind h_k, term by term",
        description="Table of the shapes S of closed walks of length k with N_k(S), r(S), the exact "
                    "weight w(S) and the contribution N_k(S) psi^-(r(S)-1) w(S) to h_k (MATH.md §3).")
    _add_engine_options(p, 3, "print the rows as JSON", "print a LaTeX tabular")
    p.set_defaults(run=_run_explain)


def _run_explain(args):
    model = _model_from_args(args)
    kw = _engine_kwargs(args)
    table = engine.explain(model, args.k, **kw)
    table.notes.extend(_digits_notes(args, "numeric" if table.error is not None else "symbolic"))
    if args.json:
        _print_json({"model": model.to_dict(), "k": args.k, "rows": table.to_dicts(),
                     "total": str(table.total), "error": table.error, "notes": table.notes})
    elif args.latex:
        print(table.latex())
    else:
        print(table)
    return 0


def _add_verify(subparsers):
    p = subparsers.add_parser(
        "verify", formatter_class=_formatter,
        help="limiting moments against Monte Carlo at several n (and the local limit)",
        description="One table: the limiting m_j (exact engine, when it applies), Monte Carlo means "
                    "and standard errors at each n with z-scores, the a + b/n extrapolation, and for "
                    "sparse weights the local-limit estimates of h_j (MATH.md §6).")
    _add_model_options(p)
    g = p.add_argument_group("verification")
    g.add_argument("--k", type=_int_arg(1), default=3, help="order (default: %(default)s)")
    g.add_argument("--n", type=_int_arg(1), nargs="+", default=[250, 500, 1000],
                   help="distinct sizes to simulate (default: %(default)s)")
    g.add_argument("--reps", type=_int_arg(1), default=20, help="replicates per n (default: %(default)s)")
    g.add_argument("--seed", type=_int_arg(0), default=0, help="seed (default: %(default)s)")
    g.add_argument("--local-samples", type=_int_arg(0), default=2000,
                   help="trees for the local-limit sampler, 0 to skip (default: %(default)s)")
    g.add_argument("--json", action="store_true", help="print one JSON object")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=_run_verify)


def _run_verify(args):
    from .verify import verify
    model = _model_from_args(args)
    rep = verify(model, args.k, n=args.n, reps=args.reps, seed=args.seed,
                 local_samples=args.local_samples or None, progress=_progress_flag(args))
    if args.json:
        _print_json({"model": model.to_dict(), "k": args.k, "n": rep.ns, "reps": rep.reps,
                     "seed": rep.seed, "rows": rep.rows, "warnings": rep.warnings, "ok": rep.ok})
    else:
        print(rep)
    return 0


# ---------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------

def demo_rows(model=None, n=1000, k=3, reps=4, seed=1, progress=None):
    """Rows of the demo table: Monte Carlo moments of ``model`` next to known values.

    Parameters
    ----------
    model : Model, optional
        Default: :data:`DEFAULT_MODEL`.
    n, k, reps, seed, progress
        As in :func:`momentck.simulate`.

    Returns
    -------
    list of dict
        One per ``j = 1..k`` with keys ``j``, ``exact`` (float or None where no
        value is known), ``monte_carlo``, ``stderr`` and ``z`` (the difference
        in standard errors, or None).  Limiting values come from the engine when a
        method applies (symbolic or numeric), else from the sanity value of
        MATH.md §6 for the default model.

    Examples
    --------
    >>> rows = demo_rows(n=200, k=2, reps=2, progress=False)
    >>> [r["j"] for r in rows], round(rows[0]["exact"], 10)
    ([1, 2], 0.4969146756)
    """
    if model is None:
        model = Model(DEFAULT_MODEL["weights"], DEFAULT_MODEL["inputs"], DEFAULT_MODEL["activation"],
                      phi=DEFAULT_MODEL["phi"], psi=DEFAULT_MODEL["psi"])
    res = simulate(model, n, k, reps=reps, seed=seed, progress=progress)
    default = model == Model(DEFAULT_MODEL["weights"], DEFAULT_MODEL["inputs"],
                             DEFAULT_MODEL["activation"], DEFAULT_MODEL["phi"], DEFAULT_MODEL["psi"])
    known = {1: SANITY_M1} if default else {}
    try:
        exact = engine.limiting_moments(model, k, progress=False).floats()
    except MomentckError:
        exact = None
    if exact:
        known = dict(enumerate(exact, start=1))
    rows = []
    for j in range(1, k + 1):
        mc, se = float(res.moments[j - 1]), float(res.stderr[j - 1])
        exact = known.get(j)
        z = None if exact is None or not se > 0 else (mc - exact) / se
        rows.append({"j": j, "exact": exact, "monte_carlo": mc, "stderr": se, "z": z})
    return rows


def _add_demo(subparsers):
    p = subparsers.add_parser(
        "demo", formatter_class=_formatter,
        help="limiting m_1..m_k of three embedded models next to Monte Carlo",
        description=f"Limiting m_1..m_k of the default model ({DEFAULT_MODEL['weights']}, "
                    f"{DEFAULT_MODEL['inputs']} inputs, {DEFAULT_MODEL['activation']}; m_1 = {SANITY_M1}, "
                    f"MATH.md §6) and exact rational m_1..m_k of {EXACT_DEMO_MODEL['weights']}, "
                    f"{EXACT_DEMO_MODEL['inputs']} inputs, {EXACT_DEMO_MODEL['activation']}, "
                    f"psi = {EXACT_DEMO_MODEL['psi']}, and numeric m_1..m_k (k <= 5) of "
                    f"{STABLE_DEMO_MODEL['weights']}, {STABLE_DEMO_MODEL['inputs']} inputs, "
                    f"{STABLE_DEMO_MODEL['activation']}, each next to Monte Carlo.")
    p.add_argument("--n", type=_int_arg(1), default=1000, help="width n (default: %(default)s)")
    p.add_argument("--k", type=_int_arg(1), default=4, help="number of moments (default: %(default)s)")
    p.add_argument("--reps", type=_int_arg(1), default=20, help="replicates (default: %(default)s)")
    p.add_argument("--seed", type=_int_arg(0), default=1, help="seed (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=_run_demo)


def _run_demo(args):
    models = [("default model: limiting moments (numeric weights, exact Poisson sums) vs Monte Carlo",
               DEFAULT_MODEL, args.k),
              ("polynomial activation: exact rational moments (symbolic engine) vs Monte Carlo",
               EXACT_DEMO_MODEL, args.k),
              ("heavy tails: alpha-stable weights with erf, numeric limit vs Monte Carlo",
               STABLE_DEMO_MODEL, min(args.k, 5))]
    out = []
    for title, spec, k in models:
        model = Model(spec["weights"], spec["inputs"], spec["activation"], phi=spec["phi"], psi=spec["psi"])
        rows = demo_rows(model, n=args.n, k=k, reps=args.reps, seed=args.seed,
                         progress=_progress_flag(args))
        out.append({"title": title, "model": spec, "rows": rows})
    if args.json:
        _print_json({"n": args.n, "reps": args.reps, "seed": args.seed, "sections": out})
        return 0
    for sec in out:
        spec = sec["model"]
        print(f"== {sec['title']}")
        print(f"model: weights={spec['weights']} inputs={spec['inputs']} "
              f"activation={spec['activation']} phi={spec['phi']} psi={spec['psi']}")
        print(f"Monte Carlo: n = {args.n}, {args.reps} replicates, seed {args.seed}")
        print(f"{'j':>3}  {'limit m_j':>16}  {'Monte Carlo':>16}  {'stderr':>10}  {'z':>6}")
        for r in sec["rows"]:
            exact = "-" if r["exact"] is None else f"{r['exact']:.10g}"
            z = "-" if r["z"] is None else f"{r['z']:+.2f}"
            print(f"{r['j']:>3}  {exact:>16}  {r['monte_carlo']:>16.10g}  {_fmt(r['stderr']):>10}  {z:>6}")
        print()
    print("z = (Monte Carlo - exact) / stderr; finite-size bias is O(1/n) for sparse weights and "
          "slower for stable ones, and polynomial activations give heavy-tailed replicates (rare rows "
          "dominate m_3, m_4).")
    return 0


# ---------------------------------------------------------------------------
# methods: the numeric weight registry and its coverage matrix
# ---------------------------------------------------------------------------

def _add_methods(subparsers):
    p = subparsers.add_parser(
        "methods", formatter_class=_formatter,
        help="the numeric weight methods and which models they cover",
        description="The registered numeric weight methods (cost, accuracy) and the coverage matrix "
                    "weights x inputs x activation -> method and largest k, computed from the registry.")
    p.add_argument("--reasons", action="store_true", help="list why each uncovered cell is refused")
    p.set_defaults(run=_run_methods)


def _run_methods(args):
    from .numeric import coverage_table, methods_table
    print(methods_table())
    print()
    print(coverage_table(reasons=args.reasons))
    return 0


# ---------------------------------------------------------------------------
# density and plot (the limiting eigenvalue law, momentck.spectral)
# ---------------------------------------------------------------------------

def _add_law_options(p):
    _add_model_options(p)
    g = p.add_argument_group("limiting law")
    g.add_argument("--grid", metavar="A:B:N",
                   help="N grid points from A to B (default: 400 points between the 0.1%% and "
                        "99.9%% quantiles)")
    g.add_argument("--accuracy", type=float, default=0.01,
                   help="wanted sup error of the CDF, >= 0.002 for sparse and stable weights "
                        "(default: %(default)s)")
    g.add_argument("--eps", type=float, help="stable weights: incidences above eps are tree edges "
                                             "(default 0.3 for alpha >= 1, else 0.4)")
    g.add_argument("--seed", type=int, default=1, help="non-negative seed (default: %(default)s)")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")


def _law_from_args(args, model=None):
    from .spectral import spectral_law
    return spectral_law(model or _model_from_args(args), grid=args.grid, accuracy=args.accuracy,
                        seed=args.seed, eps=args.eps, progress=_progress_flag(args))


def _add_density(subparsers):
    p = subparsers.add_parser(
        "density", formatter_class=_formatter,
        help="the limiting eigenvalue law of M: density, CDF, atoms",
        description="The limiting eigenvalue law of M (docs/MATH.md §7): density on a grid, CDF "
                    "(atoms included), atoms and an estimate of the CDF's sup error.  Gaussian "
                    "weights: closed form; sparse and stable weights: population dynamics on the "
                    "block tree.",
        epilog="example:\n  momentck density --weights 'sparse(c=3, entries=rademacher)' "
               "--inputs rademacher \\\n      --activation tanh --phi 1 --psi 1 --grid 0:4:200 --json")
    _add_law_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=_run_density)


def _run_density(args):
    law = _law_from_args(args)
    d = law.to_dict()
    if args.json:
        out = {key: d[key] for key in ("x", "density", "cdf", "atoms", "support", "error", "model")}
        _print_json(out)
        return 0
    m = law.model
    step = max(1, len(law.x) // 20)
    rows = [f"{x:>12.6g}  {dens:>12.6g}  {cdf:>8.4f}"
            for x, dens, cdf in list(zip(d["x"], d["density"], d["cdf"]))[::step]]
    atoms = ", ".join(f"{mass:.6g} at {loc:g}" for loc, mass in law.atoms) or "none"
    support = ", ".join(f"[{lo:.6g}, {hi:.6g}]" for lo, hi in law.support) or "none"
    print("\n".join([f"model: {m!r}", f"method: {d['details']['method']}; CDF error <= {law.error:.2g}",
                     f"atoms: {atoms}", f"support: {support}", f"{'x':>12}  {'density':>12}  {'cdf':>8}", *rows]))
    return 0


def _add_plot(subparsers):
    p = subparsers.add_parser(
        "plot", formatter_class=_formatter,
        help="draw the limiting density over a simulated eigenvalue histogram",
        description="Draw the limiting density of M (atoms as labelled spikes) over a Monte Carlo "
                    "eigenvalue histogram of the same model; with --compare gaussian also the "
                    "Gaussian-weight law with the same activation.",
        epilog="example:\n  momentck plot --weights 'stable(alpha=1.2)' --inputs normal "
               "--activation erf \\\n      --compare gaussian -o stable.png")
    _add_law_options(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="figure file (.png, .pdf, .svg)")
    p.add_argument("--n", type=int, default=2000, help="width n of the simulation (default: %(default)s)")
    p.add_argument("--reps", type=int, default=4, help="simulated replicates (default: %(default)s)")
    p.add_argument("--compare", choices=("gaussian",), help="also draw the Gaussian-weight law")
    p.set_defaults(run=_run_plot)


def _run_plot(args):
    model = _model_from_args(args)
    law = _law_from_args(args, model)
    compare = []
    if args.compare == "gaussian":
        from .spectral import spectral_law
        gauss = Model("gaussian", model.inputs, model.activation, phi=model.phi, psi=model.psi)
        compare.append(spectral_law(gauss, grid=law.x))
    sim = simulate(model, args.n, 1, reps=args.reps, seed=args.seed, eigenvalues=True,
                   progress=_progress_flag(args))
    fig = law.plot(eigenvalues=np.concatenate(sim.eigenvalues), compare=compare)
    try:
        fig.savefig(args.output, dpi=130)
    except (OSError, ValueError) as exc:
        raise MomentckError(f"--output: cannot write {args.output!r}: {exc}") from exc
    print(f"wrote {args.output}")
    return 0


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------

def build_parser():
    """The top-level parser with every subcommand."""
    parser = _Parser(
        prog=PROG, formatter_class=_formatter,
        description="momentck: exact limiting spectral moments of conjugate-kernel random matrices "
                    "M = YY^T/m, Y = f(WX), with heavy-tailed weights, checked against simulation.",
        epilog=EXAMPLES)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_simulate(subparsers)
    _add_moments(subparsers)
    _add_explain(subparsers)
    _add_verify(subparsers)
    _add_demo(subparsers)
    _add_methods(subparsers)
    _add_density(subparsers)
    _add_plot(subparsers)
    return parser


def _one_line(message):
    return " ".join(str(message).split())


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"{PROG}: warning: {_one_line(message)}", file=sys.stderr)


_NEGATIVE_NUMBER = re.compile(r"^-(\d|\.\d)")


def _join_negative_values(argv):
    """``--psi -1/3`` -> ``--psi=-1/3``: argparse would take ``-1/3`` for an option."""
    out, it = [], iter(argv)
    for tok in it:
        if tok.startswith("--") and "=" not in tok:
            nxt = next(it, None)
            if nxt is not None and _NEGATIVE_NUMBER.match(nxt):
                out.append(f"{tok}={nxt}")
                continue
            out.append(tok)
            if nxt is not None:
                out.append(nxt)
            continue
        out.append(tok)
    return out


def main(argv=None):
    """Run the command line; returns the exit status (0 on success)."""
    parser = build_parser()
    argv = _join_negative_values(sys.argv[1:] if argv is None else list(argv))
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise _UsageError("choose a command: " + ", ".join(
                parser._subparsers._group_actions[0].choices) + f" (see {PROG} --help)")
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.run(args)
    except (_UsageError, MomentckError) as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2 if isinstance(exc, _UsageError) else 1
    except SystemExit as exc:          # --help, --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
