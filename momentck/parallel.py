"""Spreading independent work (Monte Carlo replicates, shape weights) over this process, local
worker processes or Dask workers.

:func:`momentck.simulate` hands its replicates to :func:`run_replicates`, the
one place that decides where they run and with how many BLAS threads:

* ``scheduler=None`` (default): on this machine.  Replicates big enough to pay
  for a process (:data:`POOL_MIN_WORK`) run on up to ``cpu_count()`` worker
  processes at once (no more than fit in the available memory, nor than there
  are replicates), each with one BLAS thread; small ones run one after the
  other in this process, also with one BLAS thread.  Only a run of a single
  replicate with ``min(n, m) >= BLAS_MIN_SIZE`` lets BLAS and LAPACK use every
  core, for its one large matrix.
* ``scheduler="processes"``, an address or a ``distributed.Client``: Dask
  workers (:mod:`momentck.distributed`), one BLAS thread each.

Why one BLAS thread.  A replicate's result depends at the rounding level on
the BLAS thread count (threaded sums split differently), so one thread
everywhere makes a run bit-identical however its replicates are spread: in
this process, over local processes, over any number of Dask workers, and
after resuming from a checkpoint.  It also avoids oversubscription: OpenBLAS
threads spin-wait for each other, so on a 2-core machine where another process
keeps one core busy, two-thread BLAS made ``simulate --n 1500 --k 3 --reps 8``
26 times slower than one thread (89 s against 3.4 s, issue 13); processes that
each run one thread only share the cores (benchmarks/bench_contention.py).

Shape weights.  The engine (:mod:`momentck.engine`) hands the shapes of each
order to :meth:`TaskSpreader.map`: chunks of shapes (every ``n``-th shape, so
cheap and costly ones mix) go to local processes or Dask workers when the
estimated seconds reach :data:`TASK_MIN_SECONDS`, and stay in this process
otherwise; results come back in the order of the shapes, so the engine's sums
are formed in the same order, and the moments are the same (exact: equal;
numeric: the same bits) however the weights were spread.  Their processes are
forked where this process runs no other thread (:func:`_task_context`), so a
script calling the engine needs no ``__main__`` guard.  Exact weights of orders
whose shapes are not cached go instead to :meth:`TaskSpreader.run` as *shards*
(:mod:`momentck.shards`; ``CHUNKS_PER_WORKER`` per worker for the costliest order,
fewer for cheaper ones, in proportion to their estimated work): each worker
enumerates the shapes of its shards itself and the memoised row tables a shard
needs stay on one worker, so neither the enumeration nor those tables are left
to one process or rebuilt by every worker.  With ``scheduler=`` the work goes to
the Dask workers even when there is one (a cluster of one worker is asked for).

Why processes and not threads.  scipy's BLAS and LAPACK wrappers (``syrk``,
``eigvalsh``) hold the GIL, so replicates in threads of one process do not run
at the same time (measured: two threads no faster than one).  Local workers are
started by the ``forkserver`` method where available (``spawn`` elsewhere), so
they never inherit locks or BLAS thread pools of this process; a worker process
sets one BLAS thread before its first replicate.
"""

import contextlib
import multiprocessing
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from . import distributed
from ._blas import set_blas_threads
from .errors import WorkersLost
from .resources import cpu_count

__all__ = ["BLAS_MIN_SIZE", "POOL_MIN_WORK", "TASK_MIN_SECONDS", "Memory", "TaskSpreader", "local_workers",
           "run_replicates"]

#: a lone replicate whose Gram matrix has at least this order uses every BLAS thread
BLAS_MIN_SIZE = 4000
#: replicates with ``n * m * min(n, m)`` below this run in this process (a process costs ~0.1 s)
POOL_MIN_WORK = 1 << 29
#: independent tasks estimated below this many seconds in all run in this process (starting a
#: worker process and importing sympy there takes about a second)
TASK_MIN_SECONDS = 8.0
#: chunks per worker: enough to balance uneven tasks, few enough to keep the messages cheap
CHUNKS_PER_WORKER = 4


@dataclass(frozen=True)
class Memory:
    """What one replicate needs, for the checks made before any work.

    Attributes
    ----------
    need : int
        Peak bytes of one replicate.
    check : callable
        ``check(copies, available)`` raises :class:`MomentckError` when ``copies``
        concurrent replicates do not fit in ``available`` bytes.
    what : str
        The replicate, for messages (``"one replicate at n = 2000 (float64)"``).
    hint : str
        Extra advice for a Dask cluster that is too small (``", dtype='float32'"``).
    """

    need: int
    check: object
    what: str = "one replicate"
    hint: str = ""


def local_workers(todo, memory, available, heavy=True):
    """How many local processes run ``todo`` replicates at once (1: in this process).

    At most the CPU count, the number of replicates and what fits in
    ``available`` bytes; 1 when replicates are not ``heavy`` enough to pay for a
    process.  Checks that one replicate fits.

    >>> local_workers(range(8), Memory(1 << 30, lambda copies, available: None), 3 << 30) <= 3
    True
    """
    memory.check(1, available)
    if not heavy:
        return 1
    fit = max(1, int(available // max(1, memory.need)))
    return max(1, min(cpu_count(), len(todo), fit))


def _pin_worker():
    """Initializer of a local worker process: one BLAS thread."""
    set_blas_threads(1)


def _pool_context():
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["momentck.simulation", "momentck.engine"])
    return ctx


def _task_context():
    """Start method of task processes: ``fork`` where this process runs no other thread (no lock
    can be inherited mid-use, start-up skips re-importing sympy, and a user's script is not
    re-imported, so it needs no ``if __name__ == "__main__"`` guard); else as for replicates."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return _pool_context()


def _bar(progress, total, done, desc, unit="rep"):
    if not progress:
        return contextlib.nullcontext()
    from tqdm import tqdm
    return tqdm(total=total, initial=done, desc=desc, unit=unit, file=sys.stderr, leave=False)


def _serial(task, streams, todo, record, bar, threads):
    for i in todo:
        record(i, *task(streams[i], blas_threads=threads))
        if bar is not None:
            bar.update(1)


def _pooled(task, streams, todo, record, bar, workers):
    """Replicates on ``workers`` local processes; results recorded as they finish.

    Where processes cannot be started (no semaphores, e.g. without /dev/shm) the
    replicates run in this process instead: the results are the same bits.
    """
    try:
        pool = ProcessPoolExecutor(workers, mp_context=_pool_context(), initializer=_pin_worker)
    except (OSError, NotImplementedError, ImportError):
        _serial(task, streams, todo, record, bar, 1)
        return
    try:
        pending = {pool.submit(task, streams[i]): i for i in todo}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                i = pending.pop(future)
                try:
                    row, ev = future.result()
                except BrokenProcessPool as exc:
                    raise WorkersLost(f"a worker process died ({exc})") from exc
                record(i, row, ev)
                if bar is not None:
                    bar.update(1)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def run_replicates(task, streams, todo, record, *, memory, available, scheduler=None, workers=None,
                   sizes=(1, 1), progress=False, desc="replicates"):
    """Compute replicates ``todo`` and pass each to ``record(i, traces, eigs)`` as it finishes.

    Parameters
    ----------
    task : callable
        ``task(seed_seq, blas_threads=1) -> (traces, eigs)``, picklable (a
        module-level function or a ``functools.partial`` of one).
    streams : list of numpy.random.SeedSequence
        ``streams[i]`` is replicate ``i``'s stream.
    todo : list of int
        The replicates to compute.
    record : callable
        Called in this process, in the order replicates finish.
    memory : Memory
    available : int
        Bytes available on this machine.
    scheduler, workers
        See :func:`momentck.simulate`; ``scheduler=None`` runs on this machine.
    sizes : (int, int)
        ``(n, m)`` of a replicate, for :data:`POOL_MIN_WORK` and :data:`BLAS_MIN_SIZE`.
    progress : bool
        A tqdm bar on stderr.

    Raises
    ------
    WorkersLost
        When worker processes (local or Dask) keep dying; the replicates recorded
        so far stay recorded.
    """
    if not todo:
        return
    total = len(streams)
    if scheduler is not None:
        distributed.run_replicates(task, streams, todo, record, memory=memory, available=available,
                                   scheduler=scheduler, workers=workers, progress=progress, desc=desc)
        return
    n, m = sizes
    n_proc = local_workers(todo, memory, available, heavy=n * m * min(n, m) >= POOL_MIN_WORK)
    if n_proc > 1:
        memory.check(n_proc, available)
    with _bar(progress, total, total - len(todo), desc) as bar:
        if n_proc > 1:
            _pooled(task, streams, todo, record, bar, n_proc)
        else:
            lone = total == 1 and min(n, m) >= BLAS_MIN_SIZE
            _serial(task, streams, todo, record, bar, cpu_count() if lone else 1)


class TaskSpreader:
    """Maps a function over chunks of independent items, here, on local processes or on Dask.

    A context manager: the worker processes or the Dask client it opens (on the
    first map that is worth spreading) serve every later map and close on exit.

    Parameters
    ----------
    scheduler, workers
        ``scheduler=None``: this machine, up to ``workers`` (default: the CPU
        count) local processes of one BLAS thread each; otherwise as for
        :func:`momentck.simulate` (``"processes"``: a local Dask cluster of
        ``workers`` processes; an address; a ``distributed.Client``).

    Examples
    --------
    >>> with TaskSpreader() as spread:
    ...     spread.map(_squares, [1, 2, 3], seconds=0.1)
    [1, 4, 9]
    """

    def __init__(self, scheduler=None, workers=None):
        self.scheduler, self.workers = scheduler, workers
        self._stack = contextlib.ExitStack()
        self._pool = self._client = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._stack.close()

    def width(self, seconds, items=2):
        """Workers a job of ``seconds`` estimated work and ``items`` independent tasks goes to:
        0 (this process) below :data:`TASK_MIN_SECONDS`, for a single task, or where this
        machine lends one process only; else the local processes or the Dask workers
        (a Dask cluster of one worker included: ``scheduler=`` asks for it)."""
        if seconds < TASK_MIN_SECONDS or items < 2:
            return 0
        if self.scheduler is None:
            n = max(1, min(cpu_count(), self.workers or cpu_count()))
            return n if n > 1 else 0
        if self._client is None:
            self._client = distributed.open_client(self._stack, self.scheduler, self.workers)
        return max(1, len(distributed.workers_info(self._client)))

    def map(self, func, items, *, seconds, progress=False, desc="tasks", unit="task", done=None, together=None):
        """``func(chunk)`` over chunks of ``items``, flattened back into the order of ``items``.

        ``func`` takes a list of items and returns one result per item; it must be
        picklable (a module-level function or a ``functools.partial`` of one) when
        the map is spread (:meth:`width`).  ``done(positions, results)``, when given,
        is called here as each chunk finishes (``positions`` index ``items``), so that
        the caller can save partial work.  ``together(item)``, when given, is a key or
        None: items of one key go to one chunk (:func:`_chunks`), so that what they share
        is computed by one worker.
        """
        items = list(items)
        n = self.width(seconds, len(items))
        if not n:
            out = []
            with _bar(progress and len(items) > 20, len(items), 0, desc, unit) as bar:
                for i, item in enumerate(items):
                    out.extend(func([item]))
                    if done is not None:
                        done([i], out[-1:])
                    if bar is not None:
                        bar.update(1)
            return out
        positions = _chunks([together(x) if together else None for x in items], CHUNKS_PER_WORKER * n)
        parts = [[items[p] for p in part] for part in positions]
        out = [None] * len(items)
        finished = self._results(func, parts, n)
        with _bar(progress, len(items), 0, f"{desc} ({n} workers)", unit) as bar:
            for i, results in finished:
                if len(results) != len(parts[i]):
                    raise RuntimeError(f"a chunk of {len(parts[i])} gave {len(results)} results")
                for p, r in zip(positions[i], results):
                    out[p] = r
                if done is not None:
                    done(positions[i], results)
                if bar is not None:
                    bar.update(len(results))
        return out

    def run(self, tasks, n, *, progress=False, desc="tasks", unit="task", total=None, size=None):
        """``[task() for task in tasks]``, on the ``n`` workers of :meth:`width` (``n = 0``: here).

        Each task is picklable and runs whole on one worker, the earlier ones first
        where the workers allow it.  The progress bar counts ``size(result)`` units
        (default one per task) out of ``total`` (corrected when the tasks are done).

        >>> from functools import partial
        >>> with TaskSpreader() as spread:
        ...     spread.run([partial(_squares, [2, 3]), partial(_squares, [4])], 0)
        [[4, 9], [16]]
        """
        size = size or (lambda result: 1)
        out = [None] * len(tasks)
        where = f" ({n} worker{'s' if n > 1 else ''})" if n else ""
        done = ((i, t()) for i, t in enumerate(tasks)) if not n else self._results(_call, tasks, n)
        with _bar(progress, total or len(tasks), 0, desc + where, unit) as bar:
            for i, result in done:
                out[i] = result
                if bar is not None:
                    bar.update(size(result))
            if bar is not None:
                bar.total = bar.n
                bar.refresh()
        return out

    def _results(self, func, parts, n):
        """``(chunk index, results)`` as chunks finish.  Local processes are started and the
        chunks submitted at the call (before a progress bar starts its monitor thread, so the
        processes can still be forked, :func:`_task_context`)."""
        if self.scheduler is not None:
            return distributed.map_chunks(self._client, func, parts)
        if self._pool is None:
            try:
                pool = ProcessPoolExecutor(n, mp_context=_task_context(), initializer=_pin_worker)
            except (OSError, NotImplementedError, ImportError):   # no semaphores: stay here
                return ((i, func(p)) for i, p in enumerate(parts))
            self._pool = self._stack.enter_context(pool)
        return _finished({self._pool.submit(func, p): i for i, p in enumerate(parts)})


def _chunks(keys, chunks):
    """Positions ``0 .. len(keys) - 1`` dealt into at most ``chunks`` chunks: without keys (all None) round robin;
    with keys, the positions of one key stay in one chunk, the larger groups dealt first, each to the chunk
    holding fewest positions so far, and the chunks handed out largest first (the workers take them in that
    order, so shared work starts at once).

    >>> _chunks([None] * 5, 2)
    [[0, 2, 4], [1, 3]]
    >>> _chunks(["a", None, "a", "b", None], 3)
    [[0, 2], [3, 4], [1]]
    """
    n = min(len(keys), chunks)
    if all(k is None for k in keys):
        return [list(range(i, len(keys), n)) for i in range(n)]
    groups = {}
    for p, k in enumerate(keys):
        groups.setdefault(("one", p) if k is None else ("key", k), []).append(p)
    keyed = sorted((g for name, g in groups.items() if name[0] == "key"), key=len, reverse=True)
    free = [g for name, g in groups.items() if name[0] == "one"]
    parts = [[] for _ in range(n)]
    for g in keyed + free:
        min(parts, key=len).extend(g)
    parts = [sorted(p) for p in parts if p]
    return sorted(parts, key=lambda p: -len(p))


def _finished(pending):
    """``(index, result)`` of the futures ``{future: index}`` as they finish."""
    try:
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                i = pending.pop(future)
                try:
                    yield i, future.result()
                except BrokenProcessPool as exc:
                    raise WorkersLost(f"a worker process died ({exc})") from exc
    finally:
        for future in pending:
            future.cancel()


def _call(task):
    return task()


def _squares(chunk):
    return [x * x for x in chunk]
