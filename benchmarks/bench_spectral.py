"""Benchmark and acceptance measurements of the limiting eigenvalue law (momentck.spectral).

Speed (default): a sparse law on a 400-point grid asked for CDF error <= 0.005 and a stable
law asked for 0.01, each timed, with the time of one Monte Carlo replicate of the same
model at n = 2000 (eigenvalues) in the same run as a baseline.  Targets: sparse under
60 s, stable under 5 minutes on 2 cores.

``--ks``: Kolmogorov distance between each acceptance model's predicted CDF and the
pooled empirical CDF of simulated eigenvalues (exact zeros: |lambda| <= 1e-9 lambda_max),
at n = 1000 (3 replicates) and n = 3000 (6 replicates), seed 1.

    PYTHONPATH=. python benchmarks/bench_spectral.py [--ks] [--eps-study]
"""

import argparse
import time

import numpy as np

from momentck import Model, limiting_moments, simulate, spectral_law

SPARSE = Model("sparse(c=3, entries=rademacher)", "rademacher", "tanh", phi=1, psi=1)
STABLE = Model("stable(alpha=1.2)", "normal", "erf", phi=1, psi=1)
CASES = [SPARSE,
         Model("sparse(c=2, entries=normal)", "normal", "sin", phi="1/2", psi=1),
         STABLE,
         Model("gaussian", "normal", "tanh", phi="1/2", psi=1)]


def kolmogorov(law, ev):
    """sup |F - F_emp| over right and left limits at the (sorted) sample points."""
    ev = np.sort(ev)
    ev[np.abs(ev) <= 1e-9 * np.max(np.abs(ev))] = 0.0
    u = np.unique(ev)
    right = np.searchsorted(ev, u, side="right") / len(ev)
    left = np.searchsorted(ev, u, side="left") / len(ev)
    return max(np.max(np.abs(law.cdf(u) - right)), np.max(np.abs(law.cdf(u - 1e-12) - left)))


def speed():
    for model, acc in ((SPARSE, 0.005), (STABLE, 0.01)):
        t0 = time.perf_counter()
        simulate(model, 2000, 1, reps=1, seed=1, eigenvalues=True, progress=False)
        base = time.perf_counter() - t0
        t0 = time.perf_counter()
        law = spectral_law(model, accuracy=acc, seed=1, progress=False)
        dt = time.perf_counter() - t0
        print(f"{model.weights.spec:34s} asked {acc:<6g} error {law.error:.4f} "
              f"(noise {law.details['noise']:.4f}, eta {law.details['eta_error']:.4f})  "
              f"{dt:6.1f} s = {dt / base:5.1f} x one n=2000 replicate ({base:.1f} s); "
              f"population {law.details['population']}")


def ks():
    for model in CASES:
        t0 = time.perf_counter()
        law = spectral_law(model, accuracy=0.01, seed=1, progress=False)
        dt = time.perf_counter() - t0
        row = [f"{model.weights.spec}/{model.inputs.spec}/{model.activation.spec} phi={model.phi} "
               f"psi={model.psi}: law error {law.error:.4f} ({dt:.0f} s)"]
        for n, reps in ((1000, 3), (3000, 6)):
            sim = simulate(model, n, 1, reps=reps, seed=1, eigenvalues=True, progress=False)
            row.append(f"n={n}: KS {kolmogorov(law, np.concatenate(sim.eigenvalues)):.4f}")
        print("; ".join(row), flush=True)


def eps_study():
    x = np.linspace(0, 3.5, 200)
    ref = None
    for eps in (0.45, 0.3, 0.2):
        t0 = time.perf_counter()
        law = spectral_law(STABLE, grid=x, accuracy=0.02, seed=1, eps=eps, progress=False)
        F = law.cdf(x)
        m = law.moments(3)[0]
        if ref is None:
            print("engine m1..m3 = " + ", ".join(f"{v:.4f}" for v in limiting_moments(STABLE, 3).floats()))
        note = "" if ref is None else f"sup|F - F(previous eps)| = {np.max(np.abs(F - ref)):.4f}"
        print(f"eps {eps:<5} ({time.perf_counter() - t0:5.0f} s): m1..m3 = "
              f"{', '.join(f'{v:.4f}' for v in m)}; error {law.error:.4f} "
              f"(cut {law.details['eps_error']:.4f}); F(0.03, 0.1, 0.3) = "
              f"{', '.join(f'{v:.4f}' for v in law.cdf([0.03, 0.1, 0.3]))}; {note}", flush=True)
        ref = F


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--ks", action="store_true")
    ap.add_argument("--eps-study", action="store_true")
    a = ap.parse_args()
    if a.ks:
        ks()
    elif a.eps_study:
        eps_study()
    else:
        speed()
