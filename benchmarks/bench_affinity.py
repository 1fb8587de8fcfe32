"""Benchmark: shapes that share a costly intermediate result on one worker (``WeightMethod.affinity``).

For each model, m_1..m_k (cache off, fresh worker processes each time) is timed

* serially (``workers=1``: this process),
* on 2 local processes with the weight method's affinity keys (the engine's default),
* on 2 local processes with every key None (the round robin of before: each worker recomputes
  the rows or messages its shapes share with the other worker's),

and the script prints the times, the ratios against the round robin measured in the same run, and
whether the three gave the same bits.  Models: stable(3/2) x rademacher x tanh (Fourier rows: four
four-slot rows, each shared by one to three shapes) and stable(3/2) x normal x tanh (the Gaussian
mixture: the messages of an order, read by its multi-block shapes).  The load of the machine
(``os.getloadavg``) is printed before each model: the figures are only as good as the cores that were free.

Usage: python benchmarks/bench_affinity.py [--k 4]
"""
import argparse
import os
import time

os.environ["MOMENTCK_CACHE_DIR"] = "off"

from momentck import Model, parallel  # noqa: E402
from momentck.engine import limiting_moments  # noqa: E402
from momentck.numeric.base import WeightMethod  # noqa: E402
from momentck.numeric.fourier import FourierWeights  # noqa: E402

MODELS = [("stable(alpha=3/2)", "rademacher", "tanh"), ("stable(alpha=3/2)", "normal", "tanh")]


def _run(model, k, **where):
    t = time.perf_counter()
    res = limiting_moments(model, k, cache=False, progress=False, **where)
    return ([float(x) for x in res.spectral], res.spectral_error), time.perf_counter() - t


def _without_keys(model, k):
    keep = FourierWeights.affinity
    FourierWeights.affinity = WeightMethod.affinity
    try:
        return _run(model, k, workers=2)
    finally:
        FourierWeights.affinity = keep


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--k", type=int, default=4)
    k = ap.parse_args().k
    parallel.TASK_MIN_SECONDS = 0.0
    print(f"{'model':45s} {'serial':>8s} {'2, keys':>8s} {'2, none':>8s} {'none/keys':>10s}  same bits")
    for spec in MODELS:
        model = Model(*spec)
        load = os.getloadavg()[0]
        (a, ta), (b, tb), (c, tc) = _run(model, k, workers=1), _run(model, k, workers=2), _without_keys(model, k)
        print(f"{' x '.join(spec) + f' (load {load:.1f})':45s} {ta:7.1f}s {tb:7.1f}s {tc:7.1f}s {tc / tb:9.2f}x  "
              f"{a == b == c}", flush=True)


if __name__ == "__main__":
    main()
