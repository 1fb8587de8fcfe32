"""Coverage benchmark (issue 9): the 60 cells of the coverage matrix at k = 4, 6, 8.

For each cell weights x inputs x activation (``momentck.numeric.COVERAGE_*``) and each k,
prints the wall time of ``limiting_moments(model, k)`` (default method, 15 digits, cache
off) and the largest error bound of m_1..m_k, or the reason the cell is refused, or
``cap`` when it ran past the per-cell time cap (each cell runs in its own process, killed
at the cap).  Targets: every cell answers k = 4 with an error bound <= 1e-8 in < 60 s.

Usage: python benchmarks/bench_coverage.py [--k 4 6 8] [--cap 60] [--match TEXT]
"""

import argparse
import multiprocessing as mp
import os
import time

os.environ["MOMENTCK_CACHE_DIR"] = "off"

from momentck import Model  # noqa: E402
from momentck.engine import limiting_moments  # noqa: E402
from momentck.errors import MomentckError  # noqa: E402
from momentck.numeric import COVERAGE_ACTIVATIONS, COVERAGE_INPUTS, COVERAGE_WEIGHTS, refusal, select  # noqa: E402


def _run(spec, k, queue):
    try:
        t = time.perf_counter()
        res = limiting_moments(Model(*spec), k, progress=False, cache=False)
        err = max(res.spectral_error) if res.spectral_error else 0.0
        queue.put(("ok", time.perf_counter() - t, err, res.method))
    except MomentckError as e:
        queue.put(("refused", 0.0, None, str(e)))


def cell(spec, k, cap):
    """``(status, seconds, error bound, method or reason)`` of one cell."""
    model = Model(*spec)
    method, _ = select(model, k)
    if method is None and not (model.weights.finite_moments and model.activation.is_polynomial):
        return "refused", 0.0, None, refusal(model, k)
    queue = mp.get_context("fork").Queue()
    proc = mp.get_context("fork").Process(target=_run, args=(spec, k, queue))
    t = time.perf_counter()
    proc.start()
    proc.join(cap)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return "cap", time.perf_counter() - t, None, f"over {cap:g} s"
    if queue.empty():
        return "failed", 0.0, None, f"exit code {proc.exitcode}"
    status, dt, err, what = queue.get()
    return status, dt, err, method.name if status == "ok" and method is not None else what


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--k", type=int, nargs="+", default=[4, 6, 8])
    ap.add_argument("--cap", type=float, default=60.0, help="seconds per cell")
    ap.add_argument("--match", default="", help="only cells whose text contains this")
    args = ap.parse_args()
    print(f"{'weights':<34} {'inputs':<10} {'f':<5} {'k':>2} {'status':<8} {'time':>8} {'error':>8}  method / reason")
    counts = {}
    for w in COVERAGE_WEIGHTS:
        for x in COVERAGE_INPUTS:
            for f in COVERAGE_ACTIVATIONS:
                if args.match not in f"{w} {x} {f}":
                    continue
                for k in args.k:
                    status, dt, err, what = cell((w, x, f), k, args.cap)
                    good = status == "ok" and err <= 1e-8 and dt < 60
                    counts[k] = counts.get(k, 0) + good
                    e = "" if err is None else f"{err:.1e}"
                    t = f"{dt:.1f}s" if status in ("ok", "cap") else ""
                    print(f"{w:<34} {x:<10} {f:<5} {k:>2} {status:<8} {t:>8} {e:>8}  {what[:110]}", flush=True)
    for k in args.k:
        print(f"k = {k}: {counts.get(k, 0)} cells answer with error bound <= 1e-8 in < 60 s")


if __name__ == "__main__":
    main()
