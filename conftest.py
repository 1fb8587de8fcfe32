import os

# Applies to tests, doctests and notebooks alike.

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own empty on-disk cache."""
    monkeypatch.setenv("MOMENTCK_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield


def pytest_configure(config):
    os.environ.setdefault("MOMENTCK_CACHE_DIR", "off")
    # One BLAS thread for the whole suite, in this process and in the processes it starts
    # (notebook kernels, CLI subprocesses, worker processes): OpenBLAS threads spin-wait, so on a
    # busy 2-core machine multi-threaded BLAS made the suite several times slower.  Tests of
    # thread counts set them explicitly (momentck._blas.blas_threads).
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    from momentck._blas import set_blas_threads
    set_blas_threads(1)
