"""Benchmarks of the exact engine against a pinned baseline commit (issue 12).

Reports, in one run on this machine, each figure from a cold cache (a fresh empty
cache directory) in a fresh process:

1. exact m_1..m_k, k = 6..--kmax, for sparse(c=2, entries=rademacher), rademacher
   inputs, poly(1, -1/6): shapes of length k, seconds, and the speed-up over the
   baseline commit (default: the engine before the rework of momentck/weights.py),
   run in the same session from a `git archive` of that commit; the baseline is run
   up to --baseline-kmax (9: it takes about 140 s there on an idle 2-core machine and
   740 s at k = 10) and extrapolated beyond (marked ``~``) by its last growth factor,
   which overstates it somewhat since the growth slows (6.8x from k = 8 to 9, 5.2x from
   9 to 10 in the measurements of issue 12); the exact values of both are compared;
2. m_1..m_6 with c, a3, psi and phi all symbolic, against the baseline too;
3. numeric weights (sparse(c=2) rademacher x rademacher, tanh) at 8 digits: growth
   with k up to --kmax-numeric or the budget.

The machine is shared: the load average is printed at the start and the end, and
the speed-ups are ratios of times measured in the same run.

Usage: python benchmarks/bench_engine.py [--kmax 12] [--budget 600] [--baseline d77c0fc]
"""

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = "d77c0fc"   # main before the rework of the exact weights (issue 12)

RATIONAL = 'model = Model("sparse(c=2, entries=rademacher)", "rademacher", "poly(1, -1/6)")'
SYMBOLIC = ('c, a3, psi, phi = sympy.symbols("c a3 psi phi", positive=True)\n'
            'model = Model(Sparse(c, "rademacher"), "rademacher", Poly([1, a3]), phi=phi, psi=psi)')

_RUN = """
import json, time
import sympy
from momentck import Model, Poly, Sparse
from momentck.engine import limiting_moments, shapes
{model}
t = time.perf_counter()
res = limiting_moments(model, {k}, progress=False, force=True, method="{method}", digits=8)
seconds = time.perf_counter() - t
print(json.dumps([seconds, len(shapes({k})), [str(x) for x in res.spectral],
                  res.spectral_error and res.spectral_error[-1]]))
"""


def run(tree, model, k, method="symbolic"):
    """``(seconds, shapes of length k, [m_1..m_k as strings], error)`` from a fresh process
    importing momentck from ``tree`` with an empty cache directory."""
    with tempfile.TemporaryDirectory(prefix="momentck-cache-") as cache:
        env = dict(os.environ, PYTHONPATH=tree, MOMENTCK_CACHE_DIR=cache)
        out = subprocess.run([sys.executable, "-c", _RUN.format(model=model, k=k, method=method)],
                             env=env, cwd=cache, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def baseline_tree(commit, folder):
    """Extract ``momentck/`` of ``commit`` into ``folder``."""
    blob = subprocess.run(["git", "-C", REPO, "archive", commit, "momentck"], capture_output=True,
                          check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def load():
    return "load average %.1f %.1f %.1f" % os.getloadavg() + f" on {os.cpu_count()} cores"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kmax", type=int, default=12)
    ap.add_argument("--budget", type=float, default=600.0, help="stop the new engine after a k above this")
    ap.add_argument("--baseline", default=BASELINE, help="commit to compare with")
    ap.add_argument("--baseline-kmax", type=int, default=9, help="largest k the baseline is run at")
    ap.add_argument("--kmax-numeric", type=int, default=10)
    args = ap.parse_args()
    print(load())
    with tempfile.TemporaryDirectory(prefix="momentck-baseline-") as folder:
        old_tree = baseline_tree(args.baseline, folder)
        commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        print(f"[1] exact m_1..m_k, sparse(c=2) rademacher x rademacher, poly(1,-1/6); "
              f"new = {commit} (working tree), baseline = {args.baseline}")
        print(f"    {'k':>3} {'shapes':>7} {'new s':>9} {'baseline s':>11} {'speed-up':>9}  same m")
        old_prev = growth = None
        for k in range(6, args.kmax + 1):
            new = run(REPO, RATIONAL, k)
            old = None
            if k <= args.baseline_kmax:
                old = run(old_tree, RATIONAL, k)
            if old is not None:
                growth = old[0] / old_prev if old_prev else None
                old_prev, old_s, same = old[0], f"{old[0]:.2f}", str(old[2] == new[2])
            else:
                old_prev *= growth
                old_s, same = f"~{old_prev:.0f}", "-"
            print(f"    {k:>3} {new[1]:>7} {new[0]:>9.2f} {old_s:>11} {old_prev / new[0]:>8.0f}x  {same}",
                  flush=True)
            if new[0] > args.budget:
                print(f"    stopped: k = {k} took more than {args.budget:.0f} s")
                break
        print("    ~: baseline not run, extrapolated by its last measured growth factor (an overestimate)")

        new, old = run(REPO, SYMBOLIC, 6), run(old_tree, SYMBOLIC, 6)
        print(f"[2] m_1..m_6 with c, a3, psi, phi symbolic: new {new[0]:.1f} s, baseline {old[0]:.1f} s "
              f"({old[0] / new[0]:.1f}x; target < 60 s); same m: {old[2] == new[2]}")

    print("[3] numeric weights, sparse(c=2) rademacher x rademacher, tanh, 8 digits (m_1..m_k from cold):")
    print(f"    {'k':>3} {'shapes':>7} {'seconds':>9}  m_k")
    tanh = 'model = Model("sparse(c=2, entries=rademacher)", "rademacher", "tanh")'
    for k in range(1, args.kmax_numeric + 1):
        t = time.perf_counter()
        res = run(REPO, tanh, k, method="numeric")
        print(f"    {k:>3} {res[1]:>7} {res[0]:>9.2f}  {float(res[2][-1]):.8g} ± {res[3]:.1g}", flush=True)
        if time.perf_counter() - t > args.budget:
            print(f"    stopped: k = {k} took more than {args.budget:.0f} s")
            break
    print(load())


if __name__ == "__main__":
    main()
