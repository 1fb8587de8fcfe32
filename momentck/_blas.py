"""Threads of the OpenBLAS libraries loaded in this process (scipy's and numpy's).

The simulator calls scipy's BLAS and LAPACK.  Their results depend, at the
rounding level, on the number of BLAS threads (a threaded ``ddot`` or
``dsymv`` splits its sums), so replicates that must agree bit for bit run with
the same number of threads everywhere: one, as on a Dask worker.  This module
sets that number at run time through OpenBLAS's own entry points (what
threadpoolctl does, without the dependency); with no OpenBLAS found it does
nothing (another BLAS: set its environment variable before starting Python).
"""

import contextlib
import ctypes
import functools

__all__ = ["blas_threads", "get_blas_threads", "set_blas_threads"]

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
            "openblas_get_num_threads64_", "openblas_get_num_threads")


def _loaded_openblas_paths():
    import numpy  # noqa: F401  - load numpy's and scipy's BLAS before looking
    import scipy.linalg.blas  # noqa: F401
    paths = set()
    try:
        with open("/proc/self/maps") as fh:
            for line in fh:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = path.rsplit("/", 1)[-1].lower()
                if "openblas" in name and ".so" in name:
                    paths.add(path)
    except OSError:          # not Linux
        return []
    return sorted(paths)


@functools.lru_cache(maxsize=None)
def _libraries():
    """``(setter, getter)`` ctypes functions, one pair per loaded OpenBLAS."""
    out = []
    for path in _loaded_openblas_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:      # pragma: no cover
            continue
        setter = next((getattr(lib, s) for s in _SETTERS if hasattr(lib, s)), None)
        getter = next((getattr(lib, g) for g in _GETTERS if hasattr(lib, g)), None)
        if setter is not None and getter is not None:
            setter.restype, setter.argtypes = None, [ctypes.c_int]
            getter.restype, getter.argtypes = ctypes.c_int, []
            out.append((setter, getter))
    return tuple(out)


def get_blas_threads():
    """Threads of each loaded OpenBLAS (a list; empty when none is found)."""
    return [int(getter()) for _, getter in _libraries()]


def set_blas_threads(n):
    """Set every loaded OpenBLAS to ``n`` threads; returns the previous counts."""
    prev = get_blas_threads()
    for setter, _ in _libraries():
        setter(int(n))
    return prev


@contextlib.contextmanager
def blas_threads(n):
    """Context manager: every loaded OpenBLAS runs ``n`` threads inside the block.

    >>> with blas_threads(1):
    ...     all(t == 1 for t in get_blas_threads())
    True
    """
    prev = set_blas_threads(n)
    try:
        yield
    finally:
        for (setter, _), t in zip(_libraries(), prev):
            setter(t)
