"""Where replicates run (momentck.parallel): same bits everywhere, no import circle, lost workers."""

import ast
import json
import pathlib

import networkx as nx
import numpy as np
import pytest

import momentck
import momentck.parallel as parallel
import momentck.simulation as simulation
from momentck import Model, MomentckError, simulate
from momentck._blas import blas_threads, get_blas_threads
from momentck.cli import main
from momentck.errors import WorkersLost

SPARSE = ("sparse(c=2, entries=rademacher)", "rademacher", "tanh")


def _package_imports():
    """Directed graph of imports between momentck's modules, module level or inside functions."""
    root = pathlib.Path(momentck.__file__).parent
    names = {p.stem for p in root.glob("*.py")}
    graph = nx.DiGraph()
    for path in root.glob("*.py"):
        if path.stem == "__init__":
            continue
        graph.add_node(path.stem)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                targets = [node.module] if node.module else [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("momentck."):
                targets = [node.module.split(".")[1]]
            elif isinstance(node, ast.Import):
                targets = [a.name.split(".")[1] for a in node.names if a.name.startswith("momentck.")]
            else:
                continue
            graph.add_edges_from((path.stem, t.split(".")[0]) for t in targets
                                 if t.split(".")[0] in names - {path.stem})
    return graph


def test_no_import_circle():
    graph = _package_imports()
    assert graph.has_edge("simulation", "parallel") and graph.has_edge("parallel", "distributed")
    assert list(nx.simple_cycles(graph)) == []


def test_replicate_pins_one_blas_thread_whatever_the_caller_set():
    model = Model(*SPARSE)
    ss = np.random.SeedSequence(4).spawn(1)[0]
    with blas_threads(1):
        ref, _ = simulation.simulate_replicate(model, 300, 4, ss)
    with blas_threads(2):
        before = get_blas_threads()
        got, _ = simulation.simulate_replicate(model, 300, 4, ss)
        assert get_blas_threads() == before                  # restored
    assert np.array_equal(got, ref)


def test_local_processes_bit_identical_to_serial_and_dask(monkeypatch):
    """The default run on local processes = the same run in this process = ``--workers 2``."""
    pytest.importorskip("distributed")
    model = Model(*SPARSE, phi="1/2")
    args = (model, 200, 4)
    kw = {"reps": 5, "seed": 7, "eigenvalues": True, "progress": False}
    monkeypatch.setattr(parallel, "POOL_MIN_WORK", 1 << 62)                 # in this process
    serial = simulate(*args, **kw)
    used = []
    real = parallel._pooled
    monkeypatch.setattr(parallel, "_pooled", lambda *a: (used.append(a[-1]), real(*a))[1])
    monkeypatch.setattr(parallel, "POOL_MIN_WORK", 0)                       # on local processes
    monkeypatch.setattr(parallel, "cpu_count", lambda: 2)
    pooled = simulate(*args, **kw)
    assert used == [2]
    dask = simulate(*args, scheduler="processes", workers=2, **kw)
    for res in (pooled, dask):
        assert np.array_equal(res.per_replicate, serial.per_replicate)
        assert all(np.array_equal(a, b) for a, b in zip(res.eigenvalues, serial.eigenvalues))


def test_pool_errors_and_checkpoint(monkeypatch, tmp_path):
    monkeypatch.setattr(parallel, "POOL_MIN_WORK", 0)
    monkeypatch.setattr(parallel, "cpu_count", lambda: 2)
    with monkeypatch.context() as mp:
        mp.setattr(simulation, "simulate_replicate", _refuse)
        with pytest.raises(MomentckError, match="refused in a worker process"):
            simulate(Model(*SPARSE), 100, 2, reps=2)
    path = tmp_path / "run.npz"
    res = simulate(Model(*SPARSE), 120, 2, reps=3, seed=2, checkpoint=path, progress=False)
    with np.load(path) as data:
        assert sorted(data["indices"].tolist()) == [0, 1, 2]
        assert np.array_equal(data["values"][np.argsort(data["indices"])], res.per_replicate)


def _refuse(*args, **kwargs):
    raise MomentckError("refused in a worker process")


def _die(model, n, k, seed_seq, **kwargs):
    """A replicate task whose process dies (as if killed) for replicates after the first."""
    import os
    import time
    if seed_seq.spawn_key[-1] > 0:
        time.sleep(0.5)              # replicate 0 is recorded first
        os._exit(1)
    return np.zeros(k), None


def test_dying_local_workers_give_one_line_with_what_was_saved(monkeypatch, tmp_path):
    monkeypatch.setattr(parallel, "POOL_MIN_WORK", 0)
    monkeypatch.setattr(parallel, "cpu_count", lambda: 2)
    monkeypatch.setattr(simulation, "simulate_replicate", _die)
    path = tmp_path / "run.npz"
    with pytest.raises(WorkersLost, match=r": 1 of 4 replicates are saved in .*run\.npz; run the same command"):
        simulate(Model(*SPARSE), 100, 2, reps=4, checkpoint=path, progress=False)
    with pytest.raises(WorkersLost, match=r": 1 of 4 replicates were finished but not saved; use checkpoint=FILE"):
        simulate(Model(*SPARSE), 100, 2, reps=4, progress=False)


def test_killed_dask_workers_give_one_line(monkeypatch, tmp_path, capsys):
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    monkeypatch.setattr(simulation, "simulate_replicate", _die)
    monkeypatch.setitem(dask.config.config["distributed"]["scheduler"], "allowed-failures", 0)
    path = tmp_path / "run.npz"
    argv = ["simulate", "--n", "100", "--k", "2", "--reps", "3", "--workers", "2", "--no-progress",
            "--checkpoint", str(path)]
    assert main(argv) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("momentck: error: Dask workers kept dying (KilledWorker")
    assert "replicates are saved in" in err[0] and "run the same command again" in err[0]


def test_results_that_cannot_fit_are_refused_before_work(monkeypatch):
    monkeypatch.setattr(simulation, "simulate_replicate", lambda *a, **k: pytest.fail("work started"))
    with pytest.raises(MomentckError, match=r"results of reps = 1000000000000 replicates .* use fewer"):
        simulate(Model(*SPARSE), 100, 2, reps=10 ** 12)
    with pytest.raises(MomentckError, match=r"1000 eigenvalues each.*or no eigenvalues"):
        simulate(Model(*SPARSE), 1000, 2, reps=10 ** 8, eigenvalues=True)
    model = Model(*SPARSE, phi=1e-5)                  # m = 10^8 samples: Y is never whole
    assert simulation.sizes_for(model, 1000)[2] == 10 ** 8
    monkeypatch.setattr(simulation, "available_memory", lambda: 100 << 20)
    with pytest.raises(MomentckError, match=r"not enough memory: one replicate at n = 1000"):
        simulate(model, 1000, 2)


def test_cli_default_on_processes_equals_serial(monkeypatch, capsys):
    """Through the CLI: the default run on local processes prints the serial run's numbers
    (``--workers 2`` against the serial run: tests/test_distributed.py::test_cli_workers_json)."""
    monkeypatch.setattr(parallel, "POOL_MIN_WORK", 0)
    monkeypatch.setattr(parallel, "cpu_count", lambda: 2)
    argv = ["simulate", "--n", "150", "--k", "3", "--reps", "4", "--seed", "3", "--no-progress", "--json"]
    assert main(argv) == 0
    default = json.loads(capsys.readouterr().out)
    monkeypatch.setattr(parallel, "POOL_MIN_WORK", 1 << 62)
    assert default["per_replicate"] == simulate(Model(*SPARSE), 150, 3, reps=4, seed=3).per_replicate.tolist()


def test_items_of_one_key_go_to_one_chunk():
    # _chunks: every position once, at most `chunks` chunks, one key's positions in one chunk, largest chunks first;
    # no keys: the round robin of before
    rng = np.random.default_rng(3)
    for trial in range(200):
        n, chunks = int(rng.integers(1, 30)), int(rng.integers(1, 10))
        keys = [None if x < 0 else int(x) for x in rng.integers(-3, 4, n)]
        parts = parallel._chunks(keys, chunks)
        assert sorted(p for part in parts for p in part) == list(range(n))
        assert len(parts) <= chunks and all(parts)
        assert [len(p) for p in parts] == sorted((len(p) for p in parts), reverse=True)
        for k in set(keys) - {None}:
            assert sum(any(keys[p] == k for p in part) for part in parts) == 1, (keys, parts)
    assert parallel._chunks([None] * 7, 3) == [[0, 3, 6], [1, 4], [2, 5]]


def _pid_of(chunk):
    import os
    return [(x, os.getpid()) for x in chunk]


def test_spread_map_keeps_keyed_items_in_one_worker_and_the_order(monkeypatch):
    # two local processes: results come back in the items' order, and the items of one key on one process
    monkeypatch.setattr(parallel, "TASK_MIN_SECONDS", 0.0)
    items = list(range(12))
    seen = []
    with parallel.TaskSpreader(workers=2) as spread:
        out = spread.map(_pid_of, items, seconds=1.0, together=lambda x: x % 3 if x < 9 else None,
                         done=lambda positions, results: seen.extend(positions))
    assert [x for x, _ in out] == items and sorted(seen) == items
    for k in range(3):
        assert len({pid for x, pid in out if x < 9 and x % 3 == k}) == 1
