"""Benchmark and acceptance measurements of the limiting eigenvalue law (momentck.spectral).

Speed (default): a sparse law on a 400-point grid asked for CDF error <= 0.005 and a stable
law asked for 0.01, each timed in a fresh process, for this code and for the code of the
baseline commit (``--baseline``, default: main before the issue-10 speed work; extracted with
``git archive`` into a temporary folder), alternately in the same run, with the load average
before each, and 25 population sweeps of each at equal work (same population and spectral
points, one process).  The machine is shared: the CPU seconds (the process and its workers) are the
load-robust measure of the work, the wall seconds what a user waits.  Targets: sparse under 60 s with error <= 0.005, stable under 5 minutes with error
<= 0.01 on 2 cores.

``--ks``: Kolmogorov distance between each acceptance model's predicted CDF and the
pooled empirical CDF of simulated eigenvalues (exact zeros: |lambda| <= 1e-9 lambda_max),
at n = 1000 (3 replicates) and n = 3000 (6 replicates), seed 1.

    PYTHONPATH=. python benchmarks/bench_spectral.py [--ks] [--eps-study] [--baseline COMMIT] [--cases stable,...]
"""

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

from momentck import Model, limiting_moments, simulate, spectral_law

SPARSE = Model("sparse(c=3, entries=rademacher)", "rademacher", "tanh", phi=1, psi=1)
STABLE = Model("stable(alpha=1.2)", "normal", "erf", phi=1, psi=1)
CASES = {"sparse": SPARSE,
         "sparse-sin": Model("sparse(c=2, entries=normal)", "normal", "sin", phi="1/2", psi=1),
         "stable": STABLE,
         "gaussian": Model("gaussian", "normal", "tanh", phi="1/2", psi=1)}


def kolmogorov(law, ev):
    """sup |F - F_emp| over right and left limits at the (sorted) sample points."""
    ev = np.sort(ev)
    ev[np.abs(ev) <= 1e-9 * np.max(np.abs(ev))] = 0.0
    u = np.unique(ev)
    right = np.searchsorted(ev, u, side="right") / len(ev)
    left = np.searchsorted(ev, u, side="left") / len(ev)
    return max(np.max(np.abs(law.cdf(u) - right)), np.max(np.abs(law.cdf(u - 1e-12) - left)))


#: main before the issue-10 speed work (block eliminations in 64 MiB chunks, populations in one process)
BASELINE = "a4c5faf"
SPEED = {"sparse": (SPARSE, 0.005), "stable": (STABLE, 0.01)}


def one(name):
    """Time one law in this process (the code on PYTHONPATH); print a JSON line."""
    model, acc = SPEED[name]
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        law = spectral_law(model, accuracy=acc, seed=1, progress=False)
    d = law.details
    print(json.dumps({"seconds": time.perf_counter() - t0, "error": law.error, "noise": d["noise"],
                      "eta": d["eta_error"], "eps": d.get("eps_error"), "population": d["population"],
                      "runs": d.get("runs", 4)}))


def one_sweeps(name):
    """Time 25 population sweeps at equal work (the law's population, 400 curve points and 48
    contour points) in this process; print a JSON line."""
    import inspect
    from momentck.spectral import cavity, law as lawmod
    from momentck.spectral.entries import kernel_entries
    from momentck.spectral.trees import tree_for
    model, _ = SPEED[name]
    size, eps = (1323, None) if name == "sparse" else (331, 0.2)
    rng = np.random.default_rng(1)
    entries, tree = kernel_entries(model), tree_for(model, eps, rng)
    x = np.linspace(-0.05, 4, 400)
    z = np.concatenate((x + 1j * np.clip(np.abs(x) / 4, 2e-5, 0.02), 2 + 3 * np.exp(1j * np.linspace(0.03, 3.1, 48))))
    extra = {}
    if "wide" in inspect.signature(cavity.population_resolvent).parameters:
        extra = {"wide": 48, "dtype": lawmod._dtype(tree, entries)}
    t0 = time.perf_counter()
    cavity.population_resolvent(tree, entries, z, 1.0, 1.0, size, 20, 5, rng, [1e-5j], **extra)
    print(json.dumps({"seconds": time.perf_counter() - t0}))


def _timed(name, path, what="--one"):
    """One law in a fresh process: its wall seconds and the CPU seconds of it and its workers."""
    env = {**os.environ, "PYTHONPATH": str(path)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([sys.executable, __file__, what, name], env=env, capture_output=True, text=True,
                         check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {**json.loads(out.strip().splitlines()[-1]), "cpu": cpu}


def speed(baseline, names):
    here = pathlib.Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as old:
        archive = subprocess.run(["git", "-C", str(here), "archive", baseline, "momentck"], capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", old], input=archive, check=True)
        for name, (model, acc) in SPEED.items():
            if name not in names:
                continue
            row = {}
            for label, path in (("new", here), ("old", old)):
                load = os.getloadavg()[0]
                r = _timed(name, path)
                row[label] = r
                print(f"{name:6s} asked {acc:<6g} {label} ({'this tree' if label == 'new' else baseline}): "
                      f"{r['seconds']:6.1f} s ({r['cpu']:.0f} CPU s), error {r['error']:.4f} (noise {r['noise']:.4f}, eta {r['eta']:.4f}"
                      + (f", cut {r['eps']:.4f}" if r["eps"] is not None else "")
                      + f"), {r['runs']} populations of {r['population']}, load before {load:.1f}", flush=True)
            print(f"{name:6s} old/new: wall time {row['old']['seconds'] / row['new']['seconds']:.2f}, "
                  f"CPU time {row['old']['cpu'] / row['new']['cpu']:.2f}", flush=True)
            sw = {label: _timed(name, path, "--one-sweeps") for label, path in (("new", here), ("old", old))}
            print(f"{name:6s} 25 sweeps at equal work (one process): new {sw['new']['seconds']:.1f} s "
                  f"({sw['new']['cpu']:.1f} CPU s), old {sw['old']['seconds']:.1f} s ({sw['old']['cpu']:.1f} CPU s): "
                  f"old/new CPU time {sw['old']['cpu'] / sw['new']['cpu']:.2f}", flush=True)


def ks(names):
    for model in (CASES[name] for name in names):
        t0 = time.perf_counter()
        law = spectral_law(model, accuracy=0.01, seed=1, progress=False)
        dt = time.perf_counter() - t0
        row = [f"{model.weights.spec}/{model.inputs.spec}/{model.activation.spec} phi={model.phi} "
               f"psi={model.psi}: law error {law.error:.4f} ({dt:.0f} s)"]
        for n, reps in ((1000, 3), (3000, 6)):
            sim = simulate(model, n, 1, reps=reps, seed=1, eigenvalues=True, progress=False)
            row.append(f"n={n}: KS {kolmogorov(law, np.concatenate(sim.eigenvalues)):.4f}")
        print("; ".join(row), flush=True)


def _raw_law(eps, size, runs, seed):
    """The stable law at one cut, without the Richardson step: (curve x, F, noise, moments m_1..m_5)."""
    from momentck.spectral import law as lawmod
    from momentck.spectral.entries import kernel_entries
    from momentck.spectral.trees import tree_for
    root = np.random.SeedSequence(seed)
    rng = np.random.default_rng(root.spawn(1)[0])
    entries = kernel_entries(STABLE)
    tree = tree_for(STABLE, eps, rng)
    eta = 4 / 250                                         # as the law's for a 400-point grid on [0, 4]
    top = max(4 * lawmod._row_bound(tree, entries, 1.0, rng), 6.0)
    with lawmod._Bar(False, 0) as bar:
        curves = lawmod._Curves((entries, 1.0, 1.0, root), [tree], [size], (-4 * eta, 4 + 4 * eta, eta),
                                lawmod._contour(top), lawmod._SWEEPS, lawmod._BURN, bar, runs=runs)
    m = curves.summary(0)
    return m["x"], m["F"], m["noise"], m["moments"][:5], m["moment_errors"][:5]


def eps_study(size=1323, runs=8, seed=7):
    """The law at each cut without the Richardson step (``size`` x ``runs`` populations): moments
    against the engine, the CDF's change with the cut, Kolmogorov distance to simulation."""
    sim = simulate(STABLE, 3000, 1, reps=6, seed=1, eigenvalues=True, progress=False)
    ev = np.sort(np.concatenate(sim.eigenvalues))
    ev[np.abs(ev) <= 1e-9 * ev[-1]] = 0.0
    print("engine m1..m5 = " + ", ".join(f"{v:.4f}" for v in limiting_moments(STABLE, 5).floats()), flush=True)
    prev = None
    for eps in (0.45, 0.3, 0.2, 0.15):
        t0 = time.perf_counter()
        x, F, noise, m, me = _raw_law(eps, size, runs, seed)
        u = np.unique(ev)
        emp = np.searchsorted(ev, u, side="right") / len(ev)
        gap = np.interp(u, x, F) - emp
        i = np.argmax(np.abs(gap))
        note = ""
        if prev is not None:
            d = F - prev
            j = np.argmax(np.abs(d))
            note = f"; F - F(previous eps): sup {abs(d[j]):.4f} at x = {x[j]:.3f}"
        print(f"eps {eps:<5} ({time.perf_counter() - t0:4.0f} s): m1..m5 = "
              + ", ".join(f"{v:.4f}±{e:.4f}" for v, e in zip(m, me))
              + f"; noise {noise:.4f}; KS to n=3000 x 6: {abs(gap[i]):.4f} at x = {u[i]:.3f}{note}", flush=True)
        prev = F


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--ks", action="store_true")
    ap.add_argument("--eps-study", action="store_true")
    ap.add_argument("--baseline", default=BASELINE, help="commit timed against (default: %(default)s)")
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated, of %(default)s")
    ap.add_argument("--one", choices=sorted(SPEED), help=argparse.SUPPRESS)
    ap.add_argument("--one-sweeps", choices=sorted(SPEED), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        one(a.one)
    elif a.one_sweeps:
        one_sweeps(a.one_sweeps)
    elif a.ks:
        ks(a.cases.split(","))
    elif a.eps_study:
        eps_study()
    else:
        speed(a.baseline, a.cases.split(","))
