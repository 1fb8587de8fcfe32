"""Benchmark of the Monte Carlo simulator (issue 2).

Measures in one run, at n = d = m = N (``--n``, default 2000), k = 3 moments:

* ``simulate``: median wall time of one replicate of :func:`momentck.simulate`;
* baseline (a): a plain dense-numpy replicate: sample W and X densely,
  ``Y = f(W @ X)``, ``M = Y @ Y.T / m``, ``np.linalg.eigvalsh(M)``; stable W by the
  textbook Chambers–Mallows–Stuck formula with ``np.sin``/``np.cos``;
* floor (b): the unavoidable work, measured on same-sized arrays: ``Y @ Y.T`` plus
  one ``eigvalsh`` of an n×n matrix, plus a dense ``W @ X`` for non-sparse weights
  (each component the faster of numpy's and scipy's BLAS/LAPACK);

and reports simulate/floor (target <= 1.3 for sparse and stable weights), the
stable sampler against ``scipy.stats.levy_stable.rvs`` (target >= 5x) and the
peak memory of one replicate at n = d = m = ``--mem-n`` (default 4000), measured in
a fresh subprocess (peak RSS via ``resource.getrusage`` and peak numpy allocations
via ``tracemalloc``).

Usage::

    python benchmarks/bench_simulate.py [--n 2000] [--reps 5] [--mem-n 4000] [--no-memory]
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import scipy.linalg
import scipy.stats

from momentck import Model, simulate
from momentck.laws import chambers_mallows_stuck

MODELS = {
    "sparse": ("sparse(c=2, entries=rademacher)", "rademacher", "tanh"),
    "stable": ("stable(alpha=3/2)", "rademacher", "tanh"),
    "gaussian": ("gaussian", "rademacher", "tanh"),
}
TARGETS = {"sparse": 1.3, "stable": 1.3}
K = 3


def _median_time(fn, reps, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def time_simulate(model, n, reps):
    seeds = iter(range(10 ** 6))
    return _median_time(lambda: simulate(model, n, K, reps=1, seed=next(seeds), progress=False), reps)


def baseline_replicate(kind, n, rng):
    """Plain dense numpy: sample W, X; Y = tanh(W X); eigvalsh(Y Y^T / m); moments."""
    d = m = n
    if kind == "sparse":
        w = (rng.random((n, d)) < 2.0 / d) * rng.choice([-1.0, 1.0], size=(n, d))
    elif kind == "stable":
        a = 1.5
        v = rng.uniform(-np.pi / 2, np.pi / 2, (n, d))
        e = rng.standard_exponential((n, d))
        w = (np.sin(a * v) / np.cos(v) ** (1 / a) * (np.cos((1 - a) * v) / e) ** ((1 - a) / a)
             / d ** (1 / a))
    else:
        w = rng.standard_normal((n, d)) / np.sqrt(d)
    x = rng.choice([-1.0, 1.0], size=(d, m))
    y = np.tanh(w @ x)
    ev = np.linalg.eigvalsh(y @ y.T / m)
    return [float(np.mean(ev ** j)) for j in range(1, K + 1)]


def time_baseline(kind, n, reps):
    rng = np.random.default_rng(0)
    return _median_time(lambda: baseline_replicate(kind, n, rng), reps)


def floor_components(n, reps):
    """Median times of the unavoidable operations on n×n float64 arrays (the faster library)."""
    rng = np.random.default_rng(1)
    w = rng.standard_normal((n, n)) / np.sqrt(n)
    x = rng.choice([-1.0, 1.0], size=(n, n))
    y = np.tanh(w @ x)
    g = y @ y.T
    blas = scipy.linalg.blas
    gram = min(_median_time(lambda: y @ y.T, reps),
               _median_time(lambda: blas.dsyrk(1.0, y.T, trans=1, lower=1), reps))
    eig = min(_median_time(lambda: np.linalg.eigvalsh(g), reps),
              _median_time(lambda: scipy.linalg.eigvalsh(g, check_finite=False), reps))
    matmul = min(_median_time(lambda: w @ x, reps),
                 _median_time(lambda: blas.dgemm(1.0, w, x), reps))
    return {"gram": gram, "eigvalsh": eig, "matmul": matmul}


def time_samplers(n, reps):
    """Our CMS sampler against scipy.stats.levy_stable.rvs on n×n samples, alpha = 1.5."""
    rng = np.random.default_rng(2)
    ours = _median_time(lambda: chambers_mallows_stuck(1.5, (n, n), rng), reps)
    theirs = _median_time(lambda: scipy.stats.levy_stable.rvs(1.5, 0.0, size=(n, n), random_state=rng),
                          max(1, reps // 2), warmup=0)
    return ours, theirs


_MEMORY_CHILD = r"""
import json, sys, tracemalloc
from momentck import Model, simulate

def status(key):   # kiB, from /proc/self/status (per process image, unlike ru_maxrss)
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])

spec = json.loads(sys.argv[1]); n = int(sys.argv[2])
model = Model(*spec)
simulate(model, 64, 3, reps=1, seed=0, progress=False)       # imports, BLAS threads
before = status("VmRSS")
try:                                                         # reset the peak-RSS mark
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
except OSError:
    pass
tracemalloc.start()
simulate(model, n, 3, reps=1, seed=1, progress=False)
_, peak = tracemalloc.get_traced_memory()
print(json.dumps({"rss_before_kib": before, "rss_peak_kib": status("VmHWM"), "tracemalloc_peak": peak}))
"""


def measure_memory(kind, n):
    out = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, json.dumps(MODELS[kind]), str(n)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=2000, help="n = d = m for the timings (default 2000)")
    p.add_argument("--reps", type=int, default=5, help="timed repetitions per figure (median)")
    p.add_argument("--mem-n", type=int, default=4000, help="n = d = m for the memory figure")
    p.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    p.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    args = p.parse_args(argv)
    n, reps = args.n, args.reps
    report = {"n": n, "k": K, "reps": reps, "cpus": os.cpu_count()}

    print(f"momentck simulate benchmark: n = d = m = {n}, k = {K}, median of {reps} runs, "
          f"{os.cpu_count()} CPUs")
    floor = floor_components(n, reps)
    report["floor_components_s"] = floor
    print(f"floor components: Y Y^T {floor['gram']:.3f} s, eigvalsh {floor['eigvalsh']:.3f} s, "
          f"dense W X {floor['matmul']:.3f} s")
    print()
    head = f"{'weights':<9} {'simulate':>9} {'baseline':>9} {'floor':>7} {'sim/floor':>9} " \
           f"{'base/sim':>8}  target"
    print(head)
    print("-" * len(head))
    rows = {}
    for kind, spec in MODELS.items():
        model = Model(*spec)
        t_sim = time_simulate(model, n, reps)
        t_base = time_baseline(kind, n, reps)
        t_floor = floor["gram"] + floor["eigvalsh"] + (0.0 if kind == "sparse" else floor["matmul"])
        ratio = t_sim / t_floor
        target = TARGETS.get(kind)
        verdict = "" if target is None else (f"<= {target}  " + ("met" if ratio <= target else "MISSED"))
        rows[kind] = {"spec": spec[0], "simulate_s": t_sim, "baseline_s": t_base, "floor_s": t_floor,
                      "simulate_over_floor": ratio, "baseline_over_simulate": t_base / t_sim}
        print(f"{kind:<9} {t_sim:9.3f} {t_base:9.3f} {t_floor:7.3f} {ratio:9.2f} "
              f"{t_base / t_sim:8.2f}  {verdict}")
    report["models"] = rows

    ours, theirs = time_samplers(n, reps)
    report["sampler"] = {"samples": n * n, "cms_s": ours, "scipy_levy_stable_rvs_s": theirs,
                         "speedup": theirs / ours}
    print()
    print(f"stable sampler, {n * n} samples, alpha = 1.5: chambers_mallows_stuck {ours:.3f} s, "
          f"scipy.stats.levy_stable.rvs {theirs:.3f} s -> {theirs / ours:.1f}x faster "
          f"(target >= 5x: {'met' if theirs / ours >= 5 else 'MISSED'})")

    if not args.no_memory:
        mn = args.mem_n
        y_mib = mn * mn * 8 / 2 ** 20
        print()
        print(f"peak memory of one replicate at n = d = m = {mn} (Y alone is {y_mib:.0f} MiB):")
        report["memory"] = {"n": mn, "y_mib": y_mib}
        for kind in ("sparse", "stable"):
            mem = measure_memory(kind, mn)
            rss = (mem["rss_peak_kib"] - mem["rss_before_kib"]) / 1024
            traced = mem["tracemalloc_peak"] / 2 ** 20
            report["memory"][kind] = {"rss_peak_mib": mem["rss_peak_kib"] / 1024,
                                      "rss_growth_mib": rss, "tracemalloc_peak_mib": traced}
            print(f"  {kind:<7} peak RSS {mem['rss_peak_kib'] / 1024:7.0f} MiB "
                  f"(+{rss:.0f} MiB over the warmed-up process), "
                  f"numpy peak (tracemalloc) {traced:.0f} MiB = {traced / y_mib:.2f} x Y")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=2)
    return report


if __name__ == "__main__":
    main()
