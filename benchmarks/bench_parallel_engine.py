"""Benchmark: exact weights spread over processes and Dask workers, and the 15-digit sin/erf
contraction (issue 12).

Reports, cold cache, in one run on this machine:

1. exact m_1..m_k (default k = 10; sparse(c=2, entries=rademacher), rademacher inputs,
   poly(1, -1/6), ``--method symbolic``), each configuration from cold memo tables (the
   engine's caches cleared, fresh worker processes):

   * serial (``workers=1``: in this process),
   * 1 and 2 local processes (``scheduler=None``; the 1-process pool is forced for the
     comparison, the engine keeps one worker's work in this process),
   * a local Dask cluster (``distributed.LocalCluster``, ``threads_per_worker=1``,
     ``processes=True``) of 1 and of 2 workers, started and warmed (imports) before the
     clock, and the same with the cluster's start-up included;

   best of ``--repeat`` rounds (the rounds interleave the configurations, so a burst of load
   from elsewhere hits them alike), the speed-ups (target: 2 Dask workers >= 1.7x over 1),
   and whether every configuration gave the same exact values;
2. numeric m_1..m_k at 15 digits (same weights, normal inputs, sin and erf) on 1 and 2 Dask
   workers, results the same bits; and the time in this process;
3. with ``--old-path``: the same numeric moments through the mpmath object-array
   contraction (``--digits 17`` forces it; the longdouble path covers 13..16 digits).

The load of the machine (``os.getloadavg``) is printed before and after each round: the
figures are only as good as the cores that were free.

Usage: python benchmarks/bench_parallel_engine.py [--k-exact 10] [--repeat 3] [--k-numeric 10]
                                                  [--old-path 6]
"""
import argparse
import importlib
import os
import statistics
import time

import mpmath

os.environ["MOMENTCK_CACHE_DIR"] = "off"

from momentck import Model, engine, parallel, shapes, shards  # noqa: E402
from momentck.distributed import local_client  # noqa: E402
from momentck.engine import limiting_moments  # noqa: E402

SPARSE = "sparse(c=2, entries=rademacher)"


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _values(res):
    return [str(x) for x in res.spectral], res.spectral_error


def _cold():
    """Forget every memo table of this process (worker processes start fresh)."""
    engine._coefficients.cache_clear()
    shards._signatures.cache_clear()
    shapes._least_among.cache_clear()


def _exact(model, k, **where):
    _cold()
    return timed(lambda: limiting_moments(model, k, method="symbolic", cache=False, progress=False,
                                          force=True, **where))


def _one_local_process(model, k):
    """A pool of one local process (the engine keeps a single worker's work in this process)."""
    width = parallel.TaskSpreader.width
    parallel.TaskSpreader.width = lambda self, seconds, items=2: int(seconds >= parallel.TASK_MIN_SECONDS
                                                                     and items >= 2)
    try:
        return _exact(model, k, workers=1)
    finally:
        parallel.TaskSpreader.width = width


def _dask(model, k, n):
    """``((result, seconds), (result, seconds with the cluster's start-up), CPU seconds)`` on a fresh
    cluster of n workers; the CPU seconds of the run are this process's (the engine and the
    cluster's scheduler) and each worker's."""
    t0 = time.perf_counter()
    with local_client(n) as client:
        client.run(importlib.import_module, "momentck.engine")      # the workers' imports
        startup = time.perf_counter() - t0
        cpu0, here0 = client.run(time.process_time), time.process_time()
        res, t = _exact(model, k, scheduler=client)
        here, cpu = time.process_time() - here0, client.run(time.process_time)
    return (res, t), (res, t + startup), (here, sorted(cpu[w] - cpu0[w] for w in cpu))


def compare_exact(model, k, repeat):
    """Seconds of each configuration (best of ``repeat`` interleaved rounds) and the speed-ups."""
    names = ["serial (in this process)", "1 local process", "2 local processes",
             "Dask, 1 worker", "Dask, 2 workers", "Dask, 1 worker, with start-up",
             "Dask, 2 workers, with start-up"]
    times, values, cpu = {n: [] for n in names}, {}, {1: [], 2: []}
    for r in range(repeat):
        print(f"  round {r + 1}: load average before {os.getloadavg()}", flush=True)
        got = {names[0]: _exact(model, k, workers=1), names[1]: _one_local_process(model, k),
               names[2]: _exact(model, k, workers=2)}
        got[names[3]], got[names[5]], cpu1 = _dask(model, k, 1)
        got[names[4]], got[names[6]], cpu2 = _dask(model, k, 2)
        for n, (here, workers) in ((1, cpu1), (2, cpu2)):
            cpu[n].append(here + max(workers))
            print(f"  Dask, {n} worker{'s' if n > 1 else ''}: CPU seconds here (engine and scheduler) "
                  f"{here:.1f}, per worker {', '.join(f'{w:.1f}' for w in workers)}")
        for name, (res, t) in got.items():
            times[name].append(t)
            values.setdefault(name, [str(x) for x in res.kernel + res.spectral])
            if values[name] != [str(x) for x in res.kernel + res.spectral]:
                values[name] = None
        print("  " + ", ".join(f"{n} {t:.1f} s" for n, (_, t) in got.items()), flush=True)
    best = {n: min(ts) for n, ts in times.items()}
    print(f"  best of {repeat} (seconds; median in brackets):")
    for n in names:
        print(f"    {n:34s} {best[n]:7.2f}  ({statistics.median(times[n]):.2f})")
    ratio = best[names[3]] / best[names[4]]
    print(f"  speed-up 2 Dask workers over 1: {ratio:.2f}x (target >= 1.7); with start-up: "
          f"{best[names[5]] / best[names[6]]:.2f}x")
    print(f"  CPU-time critical path (this process + the busiest worker), 1 worker over 2: "
          f"{min(cpu[1]) / min(cpu[2]):.2f}x (what an idle machine's wall clock would show at best)")
    print(f"  speed-up 2 local processes over 1: {best[names[1]] / best[names[2]]:.2f}x; over serial: "
          f"{best[names[0]] / best[names[2]]:.2f}x; 2 Dask workers over serial: "
          f"{best[names[0]] / best[names[4]]:.2f}x")
    same = len({None if v is None else tuple(v) for v in values.values()}) == 1 and None not in values.values()
    print(f"  m_1..m_{k} and h_1..h_{k} identical in every configuration and round: {same}")


def compare_workers(model, k, **kw):
    """Seconds on Dask clusters of 1 and 2 workers (clusters started outside the timing)."""
    times, values = {}, {}
    for n in (1, 2):
        with local_client(n) as client:
            res, times[n] = timed(lambda: limiting_moments(model, k, cache=False, progress=False, force=True,
                                                           scheduler=client, **kw))
            values[n] = _values(res)
    same = values[1] == values[2]
    print(f"  1 worker {times[1]:7.1f} s   2 workers {times[2]:7.1f} s   speed-up {times[1] / times[2]:.2f}x"
          f"   results identical: {same}")
    return values[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--k-exact", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--k-numeric", type=int, default=10)
    ap.add_argument("--old-path", type=int, default=0, help="also time the mpmath path to this k")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}")
    if args.k_exact:
        print(f"exact m_1..m_{args.k_exact}, {SPARSE}, rademacher inputs, poly(1, -1/6):")
        compare_exact(Model(SPARSE, "rademacher", "poly(1, -1/6)"), args.k_exact, args.repeat)
    for act in ("sin", "erf"):
        model = Model(SPARSE, "normal", act)
        if args.k_numeric:
            print(f"numeric m_1..m_{args.k_numeric} at 15 digits, {SPARSE}, normal inputs, {act}:")
            want = compare_workers(model, args.k_numeric, digits=15)
            res, t = timed(lambda: limiting_moments(model, args.k_numeric, cache=False, progress=False,
                                                    force=True, digits=15))
            print(f"  in this process {t:7.1f} s   same bits as Dask: {_values(res) == want}   "
                  f"largest relative error bound of m_j: "
                  f"{max(e / float(v) for v, e in zip(res.spectral, res.spectral_error)):.1e}")
        for k in range(2, args.old_path + 1, 2):
            new, t_new = timed(lambda: limiting_moments(model, k, cache=False, progress=False, digits=15))
            old, t_old = timed(lambda: limiting_moments(model, k, cache=False, progress=False, digits=17))
            gap = max(abs(mpmath.mpf(str(a)) / mpmath.mpf(str(b)) - 1) for a, b in zip(new.spectral, old.spectral))
            print(f"  {act} k = {k}: longdouble {t_new:6.1f} s, mpmath {t_old:6.1f} s "
                  f"(speed-up {t_old / t_new:.0f}x); largest relative difference {float(gap):.1e}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
