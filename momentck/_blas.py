"""Threads of the BLAS libraries loaded in this process (numpy's and scipy's), via threadpoolctl.

The simulator calls scipy's BLAS and LAPACK.  Their results depend, at the
rounding level, on the number of BLAS threads (a threaded ``ddot`` or
``dsymv`` splits its sums), so replicates that must agree bit for bit run with
the same number of threads everywhere: one (:mod:`momentck.parallel`).  One
thread per replicate also keeps BLAS from oversubscribing a busy machine:
OpenBLAS threads spin-wait for each other, and two of them on two cores that
another process also uses can be 25 times slower than one.
"""

import contextlib

from threadpoolctl import ThreadpoolController

__all__ = ["blas_threads", "get_blas_threads", "set_blas_threads"]

_CONTROLLER = None


def _blas():
    """threadpoolctl's view of the BLAS libraries loaded now (numpy's and scipy's)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        import numpy  # noqa: F401  - load numpy's and scipy's BLAS before looking
        import scipy.linalg.blas  # noqa: F401
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.select(user_api="blas")


def get_blas_threads():
    """Threads of each loaded BLAS (a list; empty when none is found)."""
    return [int(lib.num_threads) for lib in _blas().lib_controllers]


def set_blas_threads(n):
    """Set every loaded BLAS to ``n`` threads; returns the previous counts."""
    prev = get_blas_threads()
    for lib in _blas().lib_controllers:
        lib.set_num_threads(int(n))
    return prev


@contextlib.contextmanager
def blas_threads(n):
    """Context manager: every loaded BLAS runs ``n`` threads inside the block.

    >>> with blas_threads(1):
    ...     all(t == 1 for t in get_blas_threads())
    True
    """
    prev = set_blas_threads(n)
    try:
        yield
    finally:
        for lib, t in zip(_blas().lib_controllers, prev):
            lib.set_num_threads(t)
