"""Benchmark of distributed and large-n Monte Carlo (issue 5).

1. Replicate-parallel speed-up: ``--reps`` replicates (default 8) of sparse
   weights at n = ``--n`` (2000: about 0.5 s per replicate), k = ``--k`` (4): wall time of

   * the default run (``scheduler=None``: local worker processes, one BLAS thread
     each, :mod:`momentck.parallel`),
   * a local Dask cluster of 1 worker and of 2 workers (one BLAS thread each;
     cluster start-up and the workers' first imports are excluded and shown apart),

   each the best and the median of ``--repeat`` runs (the best is the least
   disturbed by other load on the machine).  Target: 2 workers >= 1.6x faster than
   1 worker on 2 cores.  Also checks that the 1-worker, 2-worker and default
   results are bit-identical.
2. float32 against float64: one replicate at n = ``--n32`` (3000), k = 4.
3. Largest n whose replicate fits in ``--budget-gib`` GiB (20), for float64 and
   float32, from :func:`momentck.simulation.memory_estimate`.
4. The estimate against the measured peak resident memory of one replicate in a
   fresh process (VmHWM) at n = ``--mem-n`` (8000; 6000 for dense weights).

Usage::

    python benchmarks/bench_distributed.py [--n 2000] [--reps 8] [--repeat 3] [--budget-gib 20]
                                           [--mem-n 8000] [--no-speed] [--no-memory]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from momentck import Model, simulate
from momentck._blas import blas_threads
from momentck.simulation import memory_estimate, simulate_replicate

SPARSE = ("sparse(c=2, entries=rademacher)", "rademacher", "tanh")
MODELS = {
    "sparse": SPARSE,
    "gaussian": ("gaussian", "normal", "tanh"),
    "stable": ("stable(alpha=3/2)", "normal", "tanh"),
}
GIB = 2 ** 30


def _timed(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), out


def speed(args):
    from momentck.distributed import local_client
    model = Model(*SPARSE)
    kw = dict(reps=args.reps, seed=1, progress=False)
    rows = []

    rows.append(("default (local processes)",) + _timed(lambda: simulate(model, args.n, args.k, **kw),
                                                          args.repeat) + (None,))
    for workers in (1, 2):
        t0 = time.perf_counter()
        with local_client(workers) as client:
            simulate(model, 100, 2, reps=workers, seed=0, scheduler=client, progress=False)  # imports
            startup = time.perf_counter() - t0
            best, med, res = _timed(lambda: simulate(model, args.n, args.k, scheduler=client, **kw),
                                    args.repeat)
        rows.append((f"Dask, {workers} worker{'s' if workers > 1 else ''}", best, med, res, startup))

    one = next(r for r in rows if r[0] == "Dask, 1 worker")
    two = next(r for r in rows if r[0] == "Dask, 2 workers")
    default = rows[0][3]
    print(f"== replicate-parallel speed: sparse(c=2) rademacher tanh, n = d = m = {args.n}, k = {args.k}, "
          f"{args.reps} replicates, {os.cpu_count()} CPUs; best and median of {args.repeat} runs")
    print(f"{'configuration':32s} {'best s':>8s} {'median s':>9s} {'s/replicate':>12s} {'start-up s':>11s}")
    for name, best, med, _, startup in rows:
        st = "" if startup is None else f"{startup:11.2f}"
        print(f"{name:32s} {best:8.2f} {med:9.2f} {best / args.reps:12.3f} {st}")
    print(f"speed-up 2 workers / 1 worker: {one[1] / two[1]:.2f}x best, {one[2] / two[2]:.2f}x median "
          "(target >= 1.6)")
    print(f"speed-up 2 workers / default run: {rows[0][1] / two[1]:.2f}x best, "
          f"{rows[0][2] / two[2]:.2f}x median")
    same = (np.array_equal(one[3].per_replicate, two[3].per_replicate)
            and np.array_equal(one[3].per_replicate, default.per_replicate))
    print(f"1 worker == 2 workers == default run, bit for bit: {same}")
    print()


def float32_speed(args):
    print(f"== float32 vs float64: one replicate, sparse and gaussian, n = d = m = {args.n32}, k = 4, "
          "1 BLAS thread, best of 2")
    print(f"{'model':10s} {'float64 s':>10s} {'float32 s':>10s} {'ratio':>6s} {'max rel diff':>13s}")
    for name in ("sparse", "gaussian"):
        model = Model(*MODELS[name])
        ss = np.random.SeedSequence(3)
        out = {}
        with blas_threads(1):
            for dtype in ("float64", "float32"):
                out[dtype] = _timed(lambda: simulate_replicate(model, args.n32, 4, ss, dtype=dtype)[0], 2)
        rel = np.max(np.abs(out["float32"][2] / out["float64"][2] - 1))
        print(f"{name:10s} {out['float64'][0]:10.2f} {out['float32'][0]:10.2f} "
              f"{out['float64'][0] / out['float32'][0]:6.2f} {rel:13.1e}")
    print()


def largest_n(model, budget, dtype):
    lo, hi = 2, 4
    while memory_estimate(model, hi, dtype) <= budget:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if memory_estimate(model, mid, dtype) <= budget else (lo, mid)
    return lo


def capacity(args):
    budget = int(args.budget_gib * GIB)
    print(f"== largest n whose replicate fits in {args.budget_gib:g} GiB (memory_estimate, one process)")
    print(f"{'model':10s} {'phi':>4s} {'float64 n':>10s} {'float32 n':>10s} {'ratio':>6s}")
    for name, spec in MODELS.items():
        for phi in ("1", "1/2"):
            model = Model(*spec, phi=phi)
            n64, n32 = largest_n(model, budget, "float64"), largest_n(model, budget, "float32")
            print(f"{name:10s} {phi:>4s} {n64:10d} {n32:10d} {n32 / n64:6.2f}")
    print("(phi = d/m; psi = 1.  Sparse weights: G (n x n) is the bulk; dense weights add W (n x d).)")
    print()


_PEAK = r"""
import json, sys, numpy as np
from momentck import Model
from momentck.simulation import simulate_replicate, memory_estimate
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
spec, n, k, dtype = json.loads(sys.argv[1])
model = Model(*spec)
base = status("VmRSS")
simulate_replicate(model, n, k, np.random.SeedSequence(0), dtype=dtype)
print(json.dumps({"base": base, "peak": status("VmHWM"), "estimate": memory_estimate(model, n, dtype)}))
"""


def measured(args):
    if not os.path.exists("/proc/self/status"):
        print("== measured peak memory: skipped (needs Linux /proc)")
        return
    print("== memory_estimate against the measured peak resident memory of one replicate (fresh process)")
    print(f"{'model':10s} {'n':>6s} {'k':>2s} {'dtype':8s} {'estimate MiB':>13s} {'peak MiB':>9s} "
          f"{'est/peak':>9s} {'(base MiB)':>11s}")
    cases = [("sparse", args.mem_n, 2, "float64"), ("sparse", args.mem_n, 2, "float32"),
             ("gaussian", args.mem_n * 3 // 4, 3, "float64"), ("gaussian", args.mem_n * 3 // 4, 3, "float32"),
             ("stable", args.mem_n // 2, 2, "float64")]
    for name, n, k, dtype in cases:
        out = subprocess.run([sys.executable, "-c", _PEAK, json.dumps([MODELS[name], n, k, dtype])],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout)
        print(f"{name:10s} {n:6d} {k:2d} {dtype:8s} {r['estimate'] / 2**20:13.0f} {r['peak'] / 2**20:9.0f} "
              f"{r['estimate'] / r['peak']:9.2f} {r['base'] / 2**20:11.0f}")
    print()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--k", type=int, default=4)
    p.add_argument("--reps", type=int, default=8)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--n32", type=int, default=3000)
    p.add_argument("--budget-gib", type=float, default=20.0)
    p.add_argument("--mem-n", type=int, default=8000)
    p.add_argument("--no-speed", action="store_true")
    p.add_argument("--no-memory", action="store_true")
    args = p.parse_args()
    if not args.no_speed:
        speed(args)
        float32_speed(args)
    capacity(args)
    if not args.no_memory:
        measured(args)


if __name__ == "__main__":
    main()
