"""Benchmarks of numeric weights (issue: numeric weights).

1. m_1..m_4 for stable(alpha=1.5), normal inputs, sin, at 15 digits (target < 60 s), with the
   reported error bounds; m_1..m_5 for stable(alpha) with erf, alpha in {1/2, 1, 3/2};
2. largest k reachable within --budget seconds at 8 digits, for sin (sparse normal entries with
   normal inputs: Gaussian determinants; sparse rademacher entries with normal inputs: sums over
   all rows' degrees) and tanh (sparse rademacher entries with rademacher inputs: factorised
   Poisson sums).  Stable weights stop at k = 4 (sin) and k = 5 (erf).

Usage: python benchmarks/bench_numeric.py [--budget 600] [--kmax 12]
       [--parts stable sin-normal sin tanh tanh-normal]
"""

import argparse
import os
import time

os.environ["MOMENTCK_CACHE_DIR"] = "off"

from momentck import Model  # noqa: E402
from momentck.engine import limiting_moments, supported_digits  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--budget", type=float, default=600.0)
    ap.add_argument("--kmax", type=int, default=12)
    ap.add_argument("--parts", nargs="+", default=["stable", "sin-normal", "sin", "tanh"])
    args = ap.parse_args()

    if "stable" in args.parts:
        model = Model("stable(alpha=3/2)", "normal", "sin")
        t = time.perf_counter()
        res = limiting_moments(model, 4, digits=15, progress=False)
        dt = time.perf_counter() - t
        print(f"[1] stable(alpha=3/2), normal, sin: m_1..m_4 at 15 digits in {dt:.1f} s (target < 60 s)")
        for j, (v, e) in enumerate(zip(res.spectral, res.spectral_error), 1):
            print(f"    m_{j} = {supported_digits(v, e, 15)}  (error bound {e:.1g}; shown to the digits it supports)")
        for alpha in ("1/2", "1", "3/2"):
            t = time.perf_counter()
            res = limiting_moments(Model(f"stable(alpha={alpha})", "normal", "erf"), 5, progress=False)
            dt = time.perf_counter() - t
            print(f"[1] stable(alpha={alpha}), normal, erf: m_1..m_5 in {dt:.1f} s, largest error bound "
                  f"{max(e / abs(float(v)) for v, e in zip(res.spectral, res.spectral_error)):.1g} (relative)")

    series = {"sin-normal": ("sin  (sparse c=2 normal entries, normal inputs)",
                             ("sparse(c=2, entries=normal)", "normal", "sin")),
              "sin": ("sin  (sparse c=2 rademacher entries, normal inputs)",
                      ("sparse(c=2, entries=rademacher)", "normal", "sin")),
              "tanh": ("tanh (sparse c=2 rademacher entries, rademacher inputs)",
                       ("sparse(c=2, entries=rademacher)", "rademacher", "tanh")),
              "tanh-normal": ("tanh (sparse c=2 rademacher entries, normal inputs)",
                              ("sparse(c=2, entries=rademacher)", "normal", "tanh"))}
    for label, spec in (series[p] for p in args.parts if p in series):
        print(f"[2] {label}, 8 digits; time for m_1..m_k from cold:")
        for k in range(1, args.kmax + 1):
            t = time.perf_counter()
            res = limiting_moments(Model(*spec), k, digits=8, progress=False, force=True)
            dt = time.perf_counter() - t
            print(f"    k = {k:>2}: {dt:8.2f} s   m_k = {float(res.spectral[-1]):.8g}", flush=True)
            if dt > args.budget:
                print(f"    stopped: k = {k} took more than {args.budget:.0f} s")
                break


if __name__ == "__main__":
    main()
