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
