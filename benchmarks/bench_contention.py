"""Speed under CPU contention: an idle machine against one core kept busy by another process.

Times, in fresh subprocesses with the environment a user has (no ``*_NUM_THREADS``
variables set):

* ``momentck simulate --n 1500 --k 3 --reps 8`` (the default model, replicates spread by
  :mod:`momentck.parallel`), and
* the test suite's heaviest Monte Carlo test (``--test``),

each on an idle machine and while a spinning subprocess (started and stopped here)
keeps one core busy, and prints the ratios busy / idle measured in the same run.
Target (issue 13): simulate at most 1.5x slower under one busy core.  On 2 cores a
fair scheduler gives 2 worker processes 2/3 of a core each while a third process
spins, so 1.5x is what perfect sharing gives; before momentck.parallel, BLAS
threads spin-waiting for each other made it 26x (89 s against 3.4 s).

Where the kernel groups CPU time by session (Linux autogroup,
``/proc/sys/kernel/sched_autogroup_enabled``), a spinner in this session takes its
CPU from this session's share, as another process of the same job would; with
``--separate-session`` it runs in a session of its own, as another user's program
would, and then takes a whole core: 2 CPU-bound workers on 2 cores then get one
core, so 2x is the least possible ratio.  The header says which applies.

``--compare DIR`` times the same commands with another checkout of momentck first on
``PYTHONPATH`` (e.g. the main branch), for a before/after table.  Timings on a
shared machine are noisy: each is the best of ``--repeat`` runs, and the load
average before each is printed.

Usage::

    python benchmarks/bench_contention.py [--repeat 2] [--compare /path/to/momentck]
"""

import argparse
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SIMULATE = ["simulate", "--n", "1500", "--k", "3", "--reps", "8", "--seed", "1", "--no-progress", "--json"]
HEAVIEST = "tests/test_locallimit.py::test_local_limit_agrees_with_exact_engine_to_k5"
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def _env(checkout):
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    env["PYTHONPATH"] = str(checkout)
    env["MOMENTCK_CACHE_DIR"] = "off"
    return env


def _timed(cmd, checkout):
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=checkout, env=_env(checkout), capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed, proc.stdout


def _commands(checkout, test):
    sim = [sys.executable, "-c", "import sys; from momentck.cli import main; sys.exit(main(sys.argv[1:]))",
           *SIMULATE]
    suite = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test]
    return {"simulate --n 1500 --k 3 --reps 8": sim, f"pytest {test}": suite}


class Spinner:
    """One busy core: a subprocess in a tight loop (in a session of its own if asked), stopped on exit."""

    def __init__(self, separate=False):
        self.separate = separate

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"],
                                     start_new_session=self.separate)
        time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


def _best(cmd, checkout, repeat):
    times, out = [], None
    for _ in range(repeat):
        t, out = _timed(cmd, checkout)
        times.append(t)
    return min(times), times, out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--test", default=HEAVIEST, help="pytest node id of the heaviest Monte Carlo test")
    ap.add_argument("--compare", metavar="DIR", help="another momentck checkout to time the same way")
    ap.add_argument("--only-simulate", action="store_true")
    ap.add_argument("--separate-session", action="store_true",
                    help="run the spinner in its own session (its own autogroup)")
    args = ap.parse_args(argv)
    checkouts = [("this", ROOT)] + ([("compare", pathlib.Path(args.compare).resolve())] if args.compare else [])
    try:
        autogroup = pathlib.Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        autogroup = False
    print(f"CPUs: {len(os.sched_getaffinity(0))}; best of {args.repeat} runs each; load averages before each; "
          f"autogroup {'on' if autogroup else 'off'}; spinner in "
          + ("its own session" if args.separate_session else "this session"))
    outputs = {}
    for label, checkout in checkouts:
        cmds = _commands(checkout, args.test)
        if args.only_simulate:
            cmds = dict(list(cmds.items())[:1])
        for name, cmd in cmds.items():
            load0 = os.getloadavg()[0]
            idle, idle_all, out = _best(cmd, checkout, args.repeat)
            with Spinner(args.separate_session):
                load1 = os.getloadavg()[0]
                busy, busy_all, out_busy = _best(cmd, checkout, args.repeat)
            print(f"[{label}] {name}: idle {idle:.2f} s {['%.2f' % t for t in idle_all]} (load {load0:.1f}), "
                  f"one busy core {busy:.2f} s {['%.2f' % t for t in busy_all]} (load {load1:.1f}): "
                  f"ratio {busy / idle:.2f}")
            if name.startswith("simulate"):
                outputs[label] = out
                if out != out_busy:
                    print(f"[{label}] WARNING: simulate printed different results idle and busy")
    if "this" in outputs:
        import json
        print("simulate moments:", json.loads(outputs["this"])["moments"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
