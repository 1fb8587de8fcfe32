"""Benchmark: shape weights on 1 vs 2 Dask workers, and the 15-digit sin/erf contraction (issue 12).

Reports, cold cache, in one run on this machine:

1. exact m_1..m_k (sparse(c=2, entries=rademacher), rademacher inputs, poly(1, -1/6)) on a
   local Dask cluster of 1 and of 2 workers: seconds, speed-up, results equal;
2. numeric m_1..m_k at 15 digits (same weights, normal inputs, sin and erf) the same way,
   results the same bits; and the time in this process;
3. with ``--old-path``: the same numeric moments through the mpmath object-array
   contraction (``--digits 17`` forces it; the longdouble path covers 13..16 digits).

The load of the machine (``os.getloadavg``) is printed before and after: the figures are
only as good as the cores that were free.

Usage: python benchmarks/bench_parallel_engine.py [--k-exact 9] [--k-numeric 10] [--old-path 6]
"""

import argparse
import os
import time

import mpmath

os.environ["MOMENTCK_CACHE_DIR"] = "off"

from momentck import Model  # noqa: E402
from momentck.distributed import local_client  # noqa: E402
from momentck.engine import limiting_moments  # noqa: E402

SPARSE = "sparse(c=2, entries=rademacher)"


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _values(res):
    return [str(x) for x in res.spectral], res.spectral_error


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
    ap.add_argument("--k-exact", type=int, default=9)
    ap.add_argument("--k-numeric", type=int, default=10)
    ap.add_argument("--old-path", type=int, default=0, help="also time the mpmath path to this k")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}")
    if args.k_exact:
        print(f"exact m_1..m_{args.k_exact}, {SPARSE}, rademacher inputs, poly(1, -1/6):")
        compare_workers(Model(SPARSE, "rademacher", "poly(1, -1/6)"), args.k_exact)
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
