"""Benchmarks of the exact engine (issue: exact limiting moments).

Reports, in one run on this machine:

1. exact m_1..m_6 for sparse(c=2, entries=rademacher), rademacher inputs, poly(1, -1/6);
2. m_1..m_4 with c, a3, psi and phi all symbolic;
3. growth of shape counts and time with k (numeric model of 1.), up to --kmax or until
   a single order exceeds --budget seconds;
4. numeric weights (the default model, sparse(c=2) rademacher x rademacher, tanh) at 8 digits:
   growth with k up to --kmax-numeric or the budget;

each with the ratio to the time of enumerating the shapes alone (the combinatorial
floor measured in the same run).  The cache is disabled so every figure is a cold run.

Usage: python benchmarks/bench_engine.py [--kmax 9] [--budget 600]
"""

import argparse
import os
import time

os.environ["MOMENTCK_CACHE_DIR"] = "off"

import sympy  # noqa: E402

from momentck import Model, Poly, Sparse  # noqa: E402
from momentck.engine import limiting_moments  # noqa: E402
from momentck.shapes import enumerate_shapes  # noqa: E402


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kmax", type=int, default=9)
    ap.add_argument("--budget", type=float, default=600.0)
    ap.add_argument("--kmax-numeric", type=int, default=12)
    ap.add_argument("--skip-exact-growth", action="store_true")
    args = ap.parse_args()

    numeric = Model("sparse(c=2, entries=rademacher)", "rademacher", "poly(1, -1/6)")
    res, t6 = timed(lambda: limiting_moments(numeric, 6, progress=False))
    floor6 = sum(timed(lambda j=j: enumerate_shapes(j))[1] for j in range(1, 7))
    print(f"[1] exact m_1..m_6, sparse(c=2) rademacher poly(1,-1/6): {t6:.2f} s "
          f"(target < 60 s; {t6 / floor6:.0f}x the shape enumeration alone, {floor6:.3f} s)")
    print("    m =", [f"{x:.10g}" for x in res.floats()])

    c, a3, psi, phi = sympy.symbols("c a3 psi phi", positive=True)
    sym = Model(Sparse(c, "rademacher"), "rademacher", Poly([1, a3]), phi=phi, psi=psi)
    res, t4 = timed(lambda: limiting_moments(sym, 4, progress=False))
    print(f"[2] m_1..m_4 with c, a3, psi, phi symbolic: {t4:.2f} s (target < 60 s); "
          f"m_4 has {len(sympy.Add.make_args(res[3]))} terms")

    print("[3] growth with k (numeric model of [1]; total = m_1..m_k from cold):")
    print(f"    {'k':>3} {'shapes':>7} {'walks':>8} {'enumerate s':>12} {'total s':>9}")
    for k in range(1, 0 if args.skip_exact_growth else args.kmax + 1):
        shapes, te = timed(lambda: enumerate_shapes(k))
        _, tt = timed(lambda: limiting_moments(numeric, k, progress=False, force=True))
        print(f"    {k:>3} {len(shapes):>7} {sum(s.walks for s in shapes):>8} {te:>12.3f} {tt:>9.2f}",
              flush=True)
        if tt > args.budget:
            print(f"    stopped: k = {k} took more than {args.budget:.0f} s")
            break


    print("[4] numeric weights, default model (tanh), 8 digits; total = m_1..m_k from cold:")
    tanh = Model("sparse(c=2, entries=rademacher)", "rademacher", "tanh")
    print(f"    {'k':>3} {'shapes':>7} {'total s':>9}  m_k")
    for k in range(1, args.kmax_numeric + 1):
        res, tt = timed(lambda: limiting_moments(tanh, k, method="numeric", digits=8, progress=False,
                                                 force=True))
        print(f"    {k:>3} {sum(len(enumerate_shapes(j)) for j in [k]):>7} {tt:>9.2f}  "
              f"{float(res.spectral[-1]):.8g} ± {res.spectral_error[-1]:.1g}", flush=True)
        if tt > args.budget:
            print(f"    stopped: k = {k} took more than {args.budget:.0f} s")
            break


if __name__ == "__main__":
    main()
