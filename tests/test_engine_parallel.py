"""Shape weights spread over processes and Dask workers give the same moments (issue 12)."""

from concurrent.futures import ProcessPoolExecutor

import pytest

from momentck import Model, engine, parallel, shards
from momentck.engine import explain, kernel_moments, limiting_moments
from momentck.errors import MomentckError
from momentck.shapes import enumerate_shapes

EXACT = Model("sparse(c=2, entries=rademacher)", "rademacher", "poly(1, -1/6)", phi=1, psi="1/2")
NUMERIC = Model("sparse(c=2, entries=rademacher)", "normal", "sin", phi=1, psi="1/2")


def _run(model, **where):
    res = limiting_moments(model, 5, cache=False, progress=False, **where)
    return list(res.spectral), res.spectral_error


@pytest.fixture
def always_spread(monkeypatch):
    monkeypatch.setattr(parallel, "TASK_MIN_SECONDS", 0.0)


@pytest.fixture
def always_shard(always_spread):
    """Spreading always pays: orders are enumerated and weighed in shards."""


@pytest.fixture(scope="module")
def here():
    return {"exact": _run(EXACT), "numeric": _run(NUMERIC)}


def test_two_local_processes_give_the_same_moments(here, always_spread, monkeypatch):
    pools = []
    monkeypatch.setattr(parallel, "ProcessPoolExecutor",
                        lambda *a, **kw: pools.append(a) or ProcessPoolExecutor(*a, **kw))
    assert _run(EXACT, workers=2) == here["exact"]          # exact: equal
    got, err = _run(NUMERIC, workers=2)
    want, want_err = here["numeric"]
    assert [str(x) for x in got] == [str(x) for x in want] and err == want_err   # numeric: same bits
    assert [a[0] for a in pools] == [2, 2]                   # one pool of two processes per request


@pytest.fixture(scope="module")
def dask2():
    pytest.importorskip("distributed")
    from momentck.distributed import local_client
    with local_client(2) as client:
        yield client


def test_dask_cluster_of_two_workers_gives_the_same_moments(here, always_spread, dask2):
    assert len(dask2.scheduler_info()["workers"]) == 2
    assert _run(EXACT, scheduler=dask2) == here["exact"]
    got, err = _run(NUMERIC, scheduler=dask2)
    assert [str(x) for x in got] == [str(x) for x in here["numeric"][0]] and err == here["numeric"][1]
    table = explain(NUMERIC, 4, cache=False, progress=False, scheduler=dask2)
    assert table.total == explain(NUMERIC, 4, cache=False, progress=False).total


def _sharded_run(model, k, **where):
    res = limiting_moments(model, k, cache=False, progress=False, **where)
    return list(res.kernel), list(res.spectral)


@pytest.fixture(scope="module")
def serial6():
    return _sharded_run(EXACT, 6, workers=1)


def test_shards_on_two_local_processes_give_the_same_moments(serial6, always_shard, monkeypatch):
    shards_run = []
    monkeypatch.setattr(engine, "merge_shards", lambda results: shards_run.append(len(results))
                        or shards.merge_shards(results))
    assert _sharded_run(EXACT, 6, workers=2) == serial6        # exact: equal
    assert len(shards_run) == 6 and shards_run[0] == 2 * parallel.CHUNKS_PER_WORKER   # orders 6..1
    assert shards_run == sorted(shards_run, reverse=True) and shards_run[-1] == 1     # cheap ones whole


def test_shards_on_dask_workers_give_the_same_moments(serial6, always_shard, dask2):
    assert _sharded_run(EXACT, 6, scheduler=dask2) == serial6
    table = explain(EXACT, 6, cache=False, progress=False, scheduler=dask2)
    assert table.total == serial6[0][5]
    assert [r["key"] for r in table.rows] == [s.key for s in enumerate_shapes(6)]


def test_shards_on_a_single_dask_worker(serial6, always_shard):
    pytest.importorskip("distributed")
    from momentck.distributed import local_client
    with local_client(1) as client:
        assert _sharded_run(EXACT, 6, scheduler=client) == serial6


def test_sharded_shapes_and_weights_fill_the_cache(always_shard, tmp_path, monkeypatch):
    monkeypatch.setenv("MOMENTCK_CACHE_DIR", str(tmp_path))
    first = kernel_moments(EXACT, 5, progress=False, workers=2)
    assert len(list(tmp_path.glob("shapes/*.json"))) == len(list(tmp_path.glob("weights/*.json"))) == 5
    monkeypatch.setattr(engine, "weigh_shard", None)            # a second run needs no shard
    assert list(kernel_moments(EXACT, 5, progress=False, workers=2)) == list(first)
    assert list(first) == list(kernel_moments(EXACT, 5, cache=False, progress=False, workers=1))


def test_small_requests_stay_in_this_process(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a worker process was started")
    monkeypatch.setattr(parallel, "ProcessPoolExecutor", refuse)
    limiting_moments(EXACT, 4, cache=False, progress=False)


def test_bad_workers_and_scheduler_are_one_line_errors():
    with pytest.raises(MomentckError, match="workers"):
        limiting_moments(EXACT, 2, workers=0)
    with pytest.raises(MomentckError, match="scheduler must be"):
        limiting_moments(EXACT, 3, cache=False, scheduler=3)


def test_a_script_without_main_guard_can_spread(tmp_path):
    # forked task processes do not re-import the user's script
    import subprocess
    import sys
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from momentck import Model, parallel\n"
        "from momentck.engine import limiting_moments\n"
        "parallel.TASK_MIN_SECONDS = 0.0\n"
        "m = Model('sparse(c=2, entries=rademacher)', 'rademacher', 'poly(1, -1/6)', phi=1, psi='1/2')\n"
        "print(limiting_moments(m, 4, cache=False, progress=False, workers=2)[3])\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.strip() == str(limiting_moments(EXACT, 4, cache=False, progress=False)[3])
