"""Distributed Monte Carlo (Dask), large-n memory, float32, checkpoints.

The Dask tests start LocalClusters of 2 worker processes on loopback and are
skipped when dask.distributed is missing (the ``test`` extra installs it).
Bit-identity: Dask workers run one BLAS thread, so the in-process reference is
computed with one BLAS thread too (OpenBLAS sums differ at the rounding level
with the thread count); the default in-process run agrees to 1e-12.
"""

import json
import os
import signal
import sys
import threading
import time
import tracemalloc

import numpy as np
import pytest

import momentck.simulation as simulation
from momentck import Model, MomentckError, simulate
from momentck._blas import blas_threads, get_blas_threads
from momentck.cli import main
from momentck.simulation import memory_estimate, simulate_replicate

SPARSE = ("sparse(c=2, entries=rademacher)", "rademacher", "tanh")


@pytest.fixture(autouse=True)
def one_blas_thread():
    """In-process runs here use one BLAS thread, as Dask workers do.

    Besides bit-identity, this keeps the tests fast on a busy machine: OpenBLAS
    threads spin-wait, and two of them on two shared cores can be 10x slower.
    """
    with blas_threads(1):
        yield


def pinned(*args, **kwargs):
    """The in-process run with one BLAS thread, as on a Dask worker."""
    with blas_threads(1):
        return simulate(*args, progress=False, **kwargs)


# ----------------------------------------------------------------------------
# Streaming Gram matrix, float32, memory (no Dask needed)
# ----------------------------------------------------------------------------

def test_blas_threads_are_pinned_and_restored():
    with blas_threads(2):
        before = get_blas_threads()
        assert before, "no OpenBLAS found: the bit-identity guarantees rely on pinning it"
        with blas_threads(1):
            assert get_blas_threads() == [1] * len(before)
        assert get_blas_threads() == before


def test_streamed_gram_matches_direct_computation(monkeypatch):
    """G accumulated over many chunks of Y equals Y Y^T built whole (n <= m and n > m)."""
    monkeypatch.setattr(simulation, "_GRAM_MIN_WIDTH", 7)
    monkeypatch.setattr(simulation, "_BLOCK_ELEMENTS", 64)
    for phi, n in (("1/3", 40), (3, 60)):
        model = Model("gaussian", "normal", "tanh", phi=phi)
        _, d, m = simulation.sizes_for(model, n)
        assert simulation._gram_width(n, m) == (min(m, 7) if n <= m else m)
        ss = np.random.SeedSequence(3)
        t, ev = simulate_replicate(model, n, 4, ss, eigenvalues=True, chunk=5)
        rng = np.random.default_rng(ss)
        w = rng.standard_normal((n, d)) / np.sqrt(d)
        y = np.tanh(w @ rng.standard_normal((m, d)).T)
        lam = np.linalg.eigvalsh(y @ y.T / m)
        np.testing.assert_allclose(t, [np.mean(lam ** j) for j in range(1, 5)], rtol=1e-11)
        np.testing.assert_allclose(ev, lam, rtol=1e-9, atol=1e-12)


def test_gaussian_weights_drawn_in_row_blocks_equal_the_law(monkeypatch):
    monkeypatch.setattr(simulation, "_BLOCK_ELEMENTS", 100)     # 3 rows of 33 per block
    law = Model("gaussian", "normal", "tanh").weights
    a = simulation._sample_weights(law, 10, 33, np.random.default_rng(5), "float64")
    b = law.sample(10, 33, np.random.default_rng(5))
    assert np.array_equal(a, b)
    c = simulation._sample_weights(law, 10, 33, np.random.default_rng(5), "float32")
    assert c.dtype == np.float32 and np.array_equal(c, b.astype(np.float32))


@pytest.mark.parametrize("spec", [SPARSE, ("gaussian", "normal", "tanh"), ("stable(alpha=1.5)", "normal", "sin")])
def test_float32_accuracy(spec):
    """float32 moments agree with float64 at the same seed to 1e-5 relative.

    Measured (2026, n = 500..3000, k = 4, seven models): at most 2.6e-6 (sparse
    rademacher weights and inputs, where Y takes few distinct values and syrk's
    float32 rounding errors do not average out), 1e-8..7e-7 for continuous laws;
    1e-5 leaves a margin of about 4.  Monte Carlo errors are 1e-4 and more.
    """
    model = Model(*spec)
    r64 = simulate(model, 1000, 4, reps=2, seed=2, progress=False)
    r32 = simulate(model, 1000, 4, reps=2, seed=2, progress=False, dtype="float32")
    assert r32.dtype == "float32" and r32.to_dict()["dtype"] == "float32"
    rel = np.abs(r32.per_replicate / r64.per_replicate - 1)
    assert rel.max() < 1e-5
    assert rel.max() > 1e-10          # it really ran in single precision


def test_float32_eigenvalues_and_bad_dtype():
    model = Model(*SPARSE, phi=2)
    res = simulate(model, 120, 3, reps=1, seed=0, eigenvalues=True, dtype=np.float32, progress=False)
    ev = res.eigenvalues[0]
    assert ev.dtype == np.float64 and ev.shape == (120,) and np.count_nonzero(ev[:60]) == 0
    np.testing.assert_allclose([np.mean(ev ** j) for j in (1, 2, 3)], res.per_replicate[0], rtol=1e-5)
    for bad in ("float16", "int64", "double precision", True, 3):
        with pytest.raises(MomentckError, match="dtype must be 'float64' or 'float32'"):
            simulate(model, 100, 2, dtype=bad)


def test_memory_estimate_bounds_the_measured_peak():
    """The estimate (arrays, without the interpreter) bounds the traced peak, within 35%."""
    for spec, dtype in ((SPARSE, "float64"), (("gaussian", "normal", "tanh"), "float32"),
                        (("stable(alpha=1.5)", "uniform", "sin"), "float64"),
                        (("gaussian", "rademacher", "poly(1, -1/6)"), "float32")):
        model = Model(*spec, phi="1/2")
        n = 1200
        tracemalloc.start()
        try:
            simulate_replicate(model, n, 3, np.random.SeedSequence(0), dtype=dtype)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        arrays = memory_estimate(model, n, dtype) - simulation._OVERHEAD_BYTES
        assert peak <= arrays + (1 << 20) and arrays <= 1.35 * peak, (spec, dtype, peak, arrays)
    model = Model(*SPARSE)
    big64, big32 = memory_estimate(model, 40000), memory_estimate(model, 40000, "float32")
    assert 0.49 < big32 / big64 < 0.56 and abs(big64 / (8 * 40000 ** 2) - 1) < 0.15


def test_refuses_a_run_that_does_not_fit(monkeypatch):
    monkeypatch.setattr(simulation, "available_memory", lambda: 50 << 20)
    model = Model(*SPARSE)
    need = memory_estimate(model, 400) / 2 ** 30
    with pytest.raises(MomentckError, match=rf"needs about {need:.2f} GiB, but only 0.05 GiB is available"
                                            r".*dtype='float32'"):
        simulate(model, 400, 2, reps=2)
    monkeypatch.setattr(simulation, "available_memory", lambda: 10 << 30)
    assert simulate(model, 100, 2, reps=1).reps == 1
    assert simulation.available_memory() == 10 << 30


def test_available_memory_is_positive():
    monkey_free = simulation.available_memory()
    assert 0 < monkey_free < 1 << 50


# ----------------------------------------------------------------------------
# Checkpoints (in process)
# ----------------------------------------------------------------------------

def test_checkpoint_resume_after_interruption(tmp_path, monkeypatch):
    model = Model(*SPARSE)
    path = tmp_path / "run.npz"
    full = simulate(model, 150, 4, reps=6, seed=9, eigenvalues=True, progress=False)
    real = simulation.simulate_replicate
    calls = []

    def interrupted(*args, **kwargs):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(args[3])
        return real(*args, **kwargs)

    monkeypatch.setattr(simulation, "simulate_replicate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        simulate(model, 150, 4, reps=6, seed=9, eigenvalues=True, checkpoint=path, progress=False)
    with np.load(path) as data:
        assert sorted(data["indices"].tolist()) == [0, 1]
        assert np.array_equal(data["values"], full.per_replicate[:2])
    assert [p for p in os.listdir(tmp_path) if p != "run.npz"] == []       # no temporary left over

    calls.clear()
    monkeypatch.setattr(simulation, "simulate_replicate", lambda *a, **kw: (calls.append(a[3]), real(*a, **kw))[1])
    res = simulate(model, 150, 4, reps=6, seed=9, eigenvalues=True, checkpoint=str(path), progress=False)
    assert len(calls) == 4                        # only the replicates not in the file
    assert np.array_equal(res.per_replicate, full.per_replicate)
    assert all(np.array_equal(a, b) for a, b in zip(res.eigenvalues, full.eigenvalues))
    calls.clear()
    again = simulate(model, 150, 4, reps=6, seed=9, eigenvalues=True, checkpoint=path, progress=False)
    assert calls == [] and np.array_equal(again.moments, full.moments)


def test_checkpoint_refuses_other_parameters_and_damaged_files(tmp_path):
    model = Model(*SPARSE)
    path = tmp_path / "run.npz"
    simulate(model, 100, 2, reps=2, seed=1, checkpoint=path, progress=False)
    for kwargs, what in (({"seed": 2}, "seed: 1 there, 2 here"), ({"reps": 3}, "reps: 2 there, 3 here"),
                         ({"dtype": "float32"}, "dtype: 'float64' there, 'float32' here"),
                         ({"k": 3}, "k: 2 there, 3 here")):
        args = {"n": 100, "k": 2, "reps": 2, "seed": 1, **kwargs}
        with pytest.raises(MomentckError, match=f"different run.*{what}"):
            simulate(model, args.pop("n"), args.pop("k"), checkpoint=path, progress=False, **args)
    with pytest.raises(MomentckError, match="different run.*model"):
        simulate(Model(*SPARSE, phi=2), 100, 2, reps=2, seed=1, checkpoint=path)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(MomentckError, match="not a momentck checkpoint"):
        simulate(model, 100, 2, reps=2, checkpoint=bad)
    with pytest.raises(MomentckError, match="cannot write checkpoint"):
        simulate(model, 100, 2, reps=1, checkpoint=tmp_path / "missing" / "x.npz")


def test_missing_dask_is_explained(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MomentckError, match=r"pip install 'momentck\[distributed\]'"):
        simulate(Model(*SPARSE), 100, 2, scheduler="processes")
    with pytest.raises(MomentckError, match="workers= goes with scheduler='processes'"):
        simulate(Model(*SPARSE), 100, 2, workers=2)


# ----------------------------------------------------------------------------
# Dask
# ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client():
    pytest.importorskip("distributed")
    from momentck.distributed import local_client
    with local_client(2) as c:
        yield c


def test_two_workers_bit_identical_to_in_process(client):
    from distributed import get_task_stream
    model = Model(*SPARSE)
    ref = pinned(model, 300, 4, reps=6, seed=11, eigenvalues=True)
    with get_task_stream(client) as ts:
        res = simulate(model, 300, 4, reps=6, seed=11, eigenvalues=True, scheduler=client, progress=False)
    workers = {t["worker"] for t in ts.data if "momentck-replicate" in str(t["key"])}
    assert len(workers) == 2                        # both workers took replicates
    assert np.array_equal(res.per_replicate, ref.per_replicate)
    assert np.array_equal(res.moments, ref.moments) and np.array_equal(res.stderr, ref.stderr)
    assert all(np.array_equal(a, b) for a, b in zip(res.eigenvalues, ref.eigenvalues))
    with blas_threads(max(2, os.cpu_count() or 1)):      # the default run pins BLAS itself
        default = simulate(model, 300, 4, reps=6, seed=11, progress=False)
    assert np.array_equal(default.per_replicate, res.per_replicate)
    # every worker runs one BLAS thread, pinned before it started
    assert set(client.run(lambda: os.environ.get("OPENBLAS_NUM_THREADS")).values()) == {"1"}
    assert all(set(t) == {1} for t in client.run(get_blas_threads).values())


def test_scheduler_address_and_float32(client):
    model = Model("gaussian", "normal", "tanh", phi="1/2")
    ref = pinned(model, 200, 3, reps=3, seed=4, dtype="float32")
    res = simulate(model, 200, 3, reps=3, seed=4, dtype="float32", scheduler=client.scheduler.address,
                   progress=False)
    assert res.dtype == "float32" and np.array_equal(res.per_replicate, ref.per_replicate)


def test_workers_memory_is_checked(client, monkeypatch):
    monkeypatch.setattr(simulation, "memory_estimate", lambda *a, **kw: 1 << 50)
    with pytest.raises(MomentckError, match=r"not enough memory on 2 of 2 Dask workers.*1048576.00 GiB"):
        simulate(Model(*SPARSE), 100, 2, reps=2, scheduler=client)


def test_progress_bar_and_checkpoint_on_dask(client, tmp_path, capsys):
    model = Model(*SPARSE)
    path = tmp_path / "run.npz"
    first = simulate(model, 120, 2, reps=3, seed=5, checkpoint=path, scheduler=client, progress=True)
    assert "simulate n=120 (2 workers)" in capsys.readouterr().err
    with np.load(path) as data:
        assert sorted(data["indices"].tolist()) == [0, 1, 2]
    # a longer run is another run: refused; the same run is read back without computing
    with pytest.raises(MomentckError, match="different run"):
        simulate(model, 120, 2, reps=4, seed=5, checkpoint=path, scheduler=client)
    again = simulate(model, 120, 2, reps=3, seed=5, checkpoint=path, scheduler=client, progress=False)
    assert np.array_equal(again.per_replicate, first.per_replicate)


def _replicates_left(dask_scheduler):
    left = [ts for key, ts in dask_scheduler.tasks.items() if str(key).startswith("momentck-replicate")]
    busy = [ws.address for ws in dask_scheduler.workers.values()
            if any(str(t.key).startswith("momentck-replicate") for t in ws.processing)]
    return len(left), busy


def test_lost_worker_replicates_are_recomputed():
    pytest.importorskip("distributed")
    from momentck.distributed import local_client
    model = Model(*SPARSE, phi="1/2")
    reps = 8
    ref = pinned(model, 500, 3, reps=reps, seed=21)
    killed = {}

    def killer(client):
        # the run's own client, from this thread (a second client in the same process
        # shares its connections, and closing it mid-run can stall the first one)
        seen_all = False
        deadline = time.time() + 60
        while time.time() < deadline:
            left, busy = client.run_on_scheduler(_replicates_left)
            seen_all = seen_all or left == reps
            if seen_all and 0 < left < reps and busy:       # a replicate done, others in flight
                victim = busy[0]
                pid = client.run(os.getpid, workers=[victim])[victim]
                os.kill(pid, signal.SIGKILL)
                killed.update(pid=pid, left=left)
                return
            time.sleep(0.01)

    with local_client(2) as client:
        thread = threading.Thread(target=killer, args=(client,), daemon=True)
        thread.start()
        res = simulate(model, 500, 3, reps=reps, seed=21, scheduler=client, progress=False)
        thread.join(timeout=30)
    assert killed, "no worker was killed mid-run"
    assert 0 < killed["left"] < reps
    with pytest.raises(ProcessLookupError):
        os.kill(killed["pid"], 0)                  # that process is gone
    assert np.array_equal(res.per_replicate, ref.per_replicate)


def test_cli_workers_json(capsys):
    pytest.importorskip("distributed")
    argv = ["simulate", "--n", "200", "--k", "3", "--reps", "4", "--seed", "1", "--workers", "2",
            "--no-progress", "--json"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    ref = pinned(Model(*SPARSE), 200, 3, reps=4, seed=1)
    assert data["per_replicate"] == ref.per_replicate.tolist() and data["dtype"] == "float64"
    assert main(argv + ["--scheduler", "tcp://127.0.0.1:1"]) != 0
    err = capsys.readouterr().err
    assert err.startswith("momentck: error:") and "--workers" in err and err.count("\n") == 1
