"""Monte Carlo replicates on Dask workers (``pip install 'momentck[distributed]'``).

:func:`momentck.simulate` with ``scheduler=`` maps
:func:`~momentck.simulation.simulate_replicate` over the replicates' seed
sequences with ``dask.distributed`` (``Client.map`` and ``as_completed``):

* ``scheduler="processes"``: a :func:`local_client` cluster on this machine,
  ``workers`` processes (default: the CPU count, fewer when memory would not
  hold that many replicates at once) of one thread each;
* ``scheduler="tcp://host:8786"`` (any other string): join a running Dask
  scheduler (``dask scheduler`` / ``dask worker`` on each machine; every
  worker needs momentck installed);
* a ``distributed.Client``: used as it is and left open.

Reproducibility.  Replicate ``i`` always uses ``SeedSequence(seed).spawn(reps)[i]``
and every task runs with one BLAS thread (OpenBLAS results differ at the
rounding level with the thread count), so results are bit-identical whatever
the number of workers or machines (same library builds), and equal to the
default run on this machine, which also gives each replicate one BLAS thread
(:mod:`momentck.parallel`, the module that decides where replicates run).
One BLAS thread per worker also keeps N workers on N cores from
oversubscribing them: the local cluster sets
``OPENBLAS_NUM_THREADS=1`` (and OMP, MKL) before each worker starts, and each
task pins the OpenBLAS libraries it finds at run time as well.

Resilience.  A worker that dies (killed, out of memory, machine lost) has its
replicates recomputed on the others (the scheduler reschedules them; tasks that
raise are retried twice), and since a replicate is a pure function of its seed
the result equals an undisturbed run.  With ``checkpoint=`` every finished
replicate is saved at once (:mod:`momentck.checkpoint`).  When workers keep
dying (Dask's ``KilledWorker``: a task on which more workers died than
``distributed.scheduler.allowed-failures``, default 3, allows) the
run stops with :class:`momentck.errors.WorkersLost`, the replicates finished
so far being recorded.

Memory.  Before mapping, the estimate of one replicate
(:func:`momentck.simulation.memory_estimate`) is checked
against each worker's budget: the available memory of its machine shared by the
worker threads on that machine, and its Dask memory limit.  A run that would not
fit is refused with the figures in GiB.

Not done: block-level parallelism within one replicate.  A replicate's cost
is the ``syrk`` that forms G and, for ``k >= 3``, the eigenvalues of G; both
could use every core of one machine through BLAS/LAPACK (a lone replicate run
on this machine does, see :mod:`momentck.parallel`), and splitting G's
accumulation over machines would ship n×n partial sums
(8 n^2 bytes each) and need X's chunks drawn out of order, which would change
the random stream.  For large n, run replicates in parallel (one per worker,
each fitting in its machine's memory) or in process with all cores.
"""

import contextlib
import logging
import sys
import uuid

from .errors import MomentckError, WorkersLost
from .resources import available_memory, cpu_count, gib

__all__ = ["check_scheduler", "local_client", "map_chunks", "open_client", "replicate_task", "run_replicates", "workers_info"]

#: tasks that raise are retried this many times (a lost worker is handled by the scheduler)
RETRIES = 2

_PINNED_ENV = {"OPENBLAS_NUM_THREADS": 1, "OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1}


def _dask():
    """Import dask.distributed, or explain how to install it."""
    try:
        import dask
        import distributed
    except ImportError as exc:
        raise MomentckError(
            "distributed Monte Carlo (scheduler=..., --workers, --scheduler) needs Dask: "
            "pip install 'momentck[distributed]'") from exc
    return dask, distributed


@contextlib.contextmanager
def local_client(n_workers=None):
    """A ``distributed.Client`` on a new local cluster, closed on exit.

    ``n_workers`` processes (default: the CPU count) of one thread each, with
    BLAS pinned to one thread (``OPENBLAS_NUM_THREADS=1`` etc. set before each
    worker starts), on the loopback interface (dashboard on a free port), without
    Dask's per-worker memory limit (:func:`run_replicates` checks memory).
    """
    dask, distributed = _dask()
    n_workers = cpu_count() if n_workers is None else int(n_workers)
    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    env.update(_PINNED_ENV)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
        cluster = distributed.LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=":0", memory_limit=0, silence_logs=logging.ERROR)
    try:
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def replicate_task(seed_seq, task):
    """``task(seed_seq)`` with one BLAS thread: the unit of work on a worker.

    The seed sequence (or chunk of independent items, :func:`map_chunks`) comes
    first, for ``Client.map`` over the replicates' streams.
    """
    from ._blas import set_blas_threads
    set_blas_threads(1)
    return task(seed_seq)


def workers_info(client):
    """The scheduler's ``{address: info}`` of every worker."""
    try:
        return client.scheduler_info(n_workers=-1)["workers"]
    except TypeError:        # distributed < 2025: every worker is listed
        return client.scheduler_info()["workers"]


def _worker_budgets(client):
    """Per worker: bytes one task may use (machine memory shared by the threads there)."""
    info = workers_info(client)
    avail = client.run(available_memory)
    threads_per_host = {}
    for addr, w in info.items():
        threads_per_host[w.get("host")] = threads_per_host.get(w.get("host"), 0) + int(w.get("nthreads", 1))
    budgets = {}
    for addr, w in info.items():
        share = avail.get(addr, 0) // max(1, threads_per_host[w.get("host")])
        limit = w.get("memory_limit") or 0
        budgets[addr] = min(share, limit // max(1, int(w.get("nthreads", 1)))) if limit else share
    return budgets


def _check_workers(client, memory):
    budgets = _worker_budgets(client)
    if not budgets:
        raise MomentckError("the Dask cluster has no workers")
    need = memory.need
    short = {a: b for a, b in budgets.items() if b < need}
    if short:
        addr, budget = min(short.items(), key=lambda kv: kv[1])
        raise MomentckError(
            f"not enough memory on {len(short)} of {len(budgets)} Dask workers: {memory.what} "
            f"needs about {gib(need):.2f} GiB, but worker {addr} has {gib(budget):.2f} GiB "
            "(its machine's available memory shared by the worker threads there, or its memory "
            "limit); refusing to run rather than swap. Use fewer workers per machine"
            + memory.hint + ", or a smaller n")


def run_replicates(task, streams, todo, record, *, memory, available, scheduler="processes",
                   workers=None, progress=False, desc="replicates"):
    """Compute replicates ``todo`` on Dask and pass each to ``record(i, traces, eigs)``.

    Called by :func:`momentck.parallel.run_replicates` (same arguments);
    results arrive in the order they finish.  See the module notes for
    ``scheduler`` and ``workers``.
    """
    _, distributed = _dask()
    if not todo:
        return
    owned = contextlib.ExitStack()
    with owned:
        local = isinstance(scheduler, str) and scheduler == "processes"
        if local:
            if workers is None:
                fit = int(available // max(1, memory.need))
                workers = max(1, min(cpu_count(), fit, len(todo)))
            memory.check(workers, available)
        client = open_client(owned, scheduler, workers)
        if not local:
            _check_workers(client, memory)
        _map(client, distributed, task, streams, todo, record, progress, desc)


def check_scheduler(scheduler):
    """``scheduler`` if it is None, ``"processes"``, an address or a ``distributed.Client``,
    else :class:`MomentckError`."""
    if scheduler is None or (isinstance(scheduler, str) and scheduler.strip()):
        return scheduler
    if not isinstance(scheduler, str) and isinstance(scheduler, _dask()[1].Client):
        return scheduler
    raise MomentckError("scheduler must be None, 'processes', a Dask scheduler address or a "
                        f"distributed.Client, got {scheduler!r}")


def open_client(stack, scheduler, workers=None):
    """The ``distributed.Client`` for ``scheduler`` (module notes); one it opens closes with ``stack``."""
    _, distributed = _dask()
    if isinstance(check_scheduler(scheduler), distributed.Client):
        return scheduler
    if scheduler == "processes":
        return stack.enter_context(local_client(workers))
    try:
        return stack.enter_context(distributed.Client(scheduler, timeout="30s"))
    except (OSError, TimeoutError, ValueError) as exc:
        raise MomentckError(f"cannot connect to the Dask scheduler at {scheduler!r}: {exc}") from exc


def map_chunks(client, func, parts):
    """``(i, func(parts[i]))`` as the chunks finish on the Dask workers (one BLAS thread each);
    earlier chunks start first."""
    _, distributed = _dask()
    token = uuid.uuid4().hex[:12]
    keys = [f"momentck-chunk-{i}-{token}" for i in range(len(parts))]
    # one submission per chunk, earlier chunks first (Dask runs higher priorities first)
    futures = [client.submit(replicate_task, part, key=key, retries=RETRIES, task=func,
                             priority=len(parts) - i) for i, (part, key) in enumerate(zip(parts, keys))]
    index = {f.key: i for i, f in enumerate(futures)}
    try:
        for future in distributed.as_completed(futures):
            try:
                result = future.result()
            except distributed.KilledWorker as exc:
                raise WorkersLost(f"Dask workers kept dying (KilledWorker: {_first_line(exc)})") from exc
            yield index[future.key], result
            future.release()
    except BaseException:
        with contextlib.suppress(Exception):
            client.cancel(futures)
        raise


def _map(client, distributed, task, streams, todo, record, progress, desc):
    token = uuid.uuid4().hex[:12]
    keys = [f"momentck-replicate-{i}-{token}" for i in todo]
    futures = client.map(replicate_task, [streams[i] for i in todo], key=keys, retries=RETRIES, task=task)
    index = {f.key: i for f, i in zip(futures, todo)}
    bar = None
    if progress:
        from tqdm import tqdm
        nworkers = len(workers_info(client))
        total = len(streams)
        bar = tqdm(total=total, initial=total - len(todo), unit="rep", file=sys.stderr, leave=False,
                   desc=f"{desc} ({nworkers} workers)")
    try:
        # Future.result waits for the recomputation when the worker holding a finished
        # replicate dies before it is fetched.
        for future in distributed.as_completed(futures):
            try:
                row, ev = future.result()
            except distributed.KilledWorker as exc:
                raise WorkersLost(f"Dask workers kept dying (KilledWorker: {_first_line(exc)})") from exc
            record(index[future.key], row, ev)
            future.release()
            if bar is not None:
                bar.update(1)
    except BaseException:
        with contextlib.suppress(Exception):
            client.cancel(futures)
        raise
    finally:
        if bar is not None:
            bar.close()


def _first_line(exc, limit=120):
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= limit else text[:limit - 3] + "..."
