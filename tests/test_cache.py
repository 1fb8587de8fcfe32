"""The on-disk cache holds data only: edited entries are misses and never run code."""

import hashlib
import hmac
import json

import pytest
import sympy

from momentck import Model, Poly, Sparse, engine
from momentck import cache as _cache

a1, a3, psi, c = sympy.symbols("a1 a3 psi c", positive=True)


def _model():
    return Model("sparse(c=2, entries=rademacher)", "rademacher", "poly(1, -1/6)")


def _entries(tmp_path, kind):
    files = sorted(tmp_path.glob(f"{kind}/*.json"))
    assert files
    return files


def _rewrite(path, edit, secret=None):
    """Edit an entry's payload; refresh a plain SHA-256 of it and, given the secret, its HMAC."""
    entry = json.loads(path.read_text())
    edit(entry["payload"])
    entry["sha256"] = hashlib.sha256(json.dumps(entry["payload"], sort_keys=True).encode()).hexdigest()
    if secret is not None:
        body = json.dumps([entry["key"], entry["payload"]], sort_keys=True).encode()
        entry["mac"] = hmac.new(secret, body, hashlib.sha256).hexdigest()
    path.write_text(json.dumps(entry))


def _no_recompute(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("weights recomputed despite the cache")
    monkeypatch.setattr(engine, "shape_weight", boom)


@pytest.fixture
def cached(monkeypatch, tmp_path):
    monkeypatch.setenv("MOMENTCK_CACHE_DIR", str(tmp_path))
    first = engine.kernel_moments(_model(), 2)
    return tmp_path, first


def test_edited_weight_with_recomputed_checksum_is_a_miss(cached, monkeypatch):
    tmp_path, first = cached
    for fp in _entries(tmp_path, "weights"):
        def seven(payload):
            for terms in payload["weights"]:
                for term in terms:
                    term[1] *= 7
        _rewrite(fp, seven)
    again = engine.kernel_moments(_model(), 2)
    assert list(again) == list(first)
    _no_recompute(monkeypatch)       # the rebuilt entries are valid again
    assert list(engine.kernel_moments(_model(), 2)) == list(first)


def test_entry_carrying_code_is_never_run_even_with_a_valid_hmac(cached, tmp_path):
    tmp_path, first = cached
    secret = bytes.fromhex((tmp_path / "key").read_text())
    marker = tmp_path / "pwned"
    code = f"__import__('pathlib').Path({str(marker)!r}).write_text('ran')"

    def inject(payload):
        payload["weights"][0] = code
        payload["gens"] = [code]

    for fp in _entries(tmp_path, "weights"):
        _rewrite(fp, inject, secret)
    assert list(engine.kernel_moments(_model(), 2)) == list(first)
    assert not marker.exists()


def test_edited_shape_entry_is_a_miss(cached, monkeypatch):
    tmp_path, first = cached
    secret = bytes.fromhex((tmp_path / "key").read_text())

    def more_walks(payload):
        payload[-1][4] += 1          # walk count: caught by the HMAC
    for fp in _entries(tmp_path, "shapes"):
        _rewrite(fp, more_walks)

    def other_key(payload):
        payload[-1][0] = [0, []]     # a key that is not the shape's: caught by the decoder
    assert list(engine.kernel_moments(_model(), 2)) == list(first)
    for fp in _entries(tmp_path, "shapes"):
        _rewrite(fp, other_key, secret)
    assert [s.walks for s in engine.shapes(2)] == [s.walks for s in engine.shapes(2, cache=False)]
    assert engine.shapes(2) == engine.shapes(2, cache=False)


def test_symbolic_generators_round_trip_by_name(monkeypatch, tmp_path):
    monkeypatch.setenv("MOMENTCK_CACHE_DIR", str(tmp_path))
    for model in (Model(Sparse(c, "normal"), "normal", Poly([a1, a3]), phi=1, psi=psi),
                  Model("gaussian", "normal", "erf")):
        kw = {} if model.activation.is_polynomial else {"truncation": 5}
        first = engine.kernel_moments(model, 3, **kw)
        with monkeypatch.context() as mp:
            _no_recompute(mp)
            assert list(engine.kernel_moments(model, 3, **kw)) == list(first)
    payload = json.loads(max(_entries(tmp_path, "weights"), key=lambda p: p.stat().st_size).read_text())
    text = json.dumps(payload["payload"])
    assert "Symbol" not in text and "Integer" not in text        # no srepr


def test_entry_without_the_key_file_is_a_miss(cached, monkeypatch):
    tmp_path, first = cached
    (tmp_path / "key").unlink()
    assert list(engine.kernel_moments(_model(), 2)) == list(first)
    assert (tmp_path / "key").exists()
    assert _cache.load("weights", ["nothing"]) is None


# -- numeric weights ------------------------------------------------------------------------------------------
def _numeric_model():
    return Model("stable(alpha=3/2)", "rademacher", "tanh")    # the Fourier method, ~0.2 s for k = 2


def _numeric(monkeypatch, tmp_path):
    monkeypatch.setenv("MOMENTCK_CACHE_DIR", str(tmp_path))
    return engine.limiting_moments(_numeric_model(), 2, progress=False, workers=1)


def _no_numeric_recompute(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("numeric weights recomputed despite the cache")
    monkeypatch.setattr(engine, "_numeric_weights", boom)


def test_numeric_weights_are_read_back_exactly(monkeypatch, tmp_path):
    first = _numeric(monkeypatch, tmp_path)
    _no_numeric_recompute(monkeypatch)
    again = engine.limiting_moments(_numeric_model(), 2, progress=False, workers=1)
    assert [str(x) for x in again] == [str(x) for x in first]
    assert again.kernel_error == first.kernel_error and again.spectral_error == first.spectral_error
    with pytest.raises(AssertionError, match="recomputed"):       # cache=False never reads it
        engine.limiting_moments(_numeric_model(), 2, progress=False, workers=1, cache=False)
    with pytest.raises(AssertionError, match="recomputed"):       # nor do other digits
        engine.limiting_moments(_numeric_model(), 2, progress=False, workers=1, digits=12)


def test_numeric_weights_under_another_configuration_are_a_miss(monkeypatch, tmp_path):
    """A quadrature level replaced at run time (as the tests coarsen rules) keys its own entries."""
    from momentck.numeric import fourier
    _numeric(monkeypatch, tmp_path)
    monkeypatch.setattr(fourier, "_ROUNDOFF", fourier._ROUNDOFF * 2)
    _no_numeric_recompute(monkeypatch)
    with pytest.raises(AssertionError, match="recomputed"):
        engine.limiting_moments(_numeric_model(), 2, progress=False, workers=1)


def test_edited_numeric_weight_is_a_miss(monkeypatch, tmp_path):
    first = _numeric(monkeypatch, tmp_path)
    secret = bytes.fromhex((tmp_path / "key").read_text())
    for fp in _entries(tmp_path, "numeric"):
        def halve(payload):
            for _, value, error in payload["values"]:
                value[1] -= 1        # w / 2, exactly
        _rewrite(fp, halve)          # the HMAC no longer matches
    again = engine.limiting_moments(_numeric_model(), 2, progress=False, workers=1)
    assert [str(x) for x in again] == [str(x) for x in first]
    for bad in ([0, ["1.5", 3], [0, 0]], [0, [1, 0], [-1, 0]], [0, [1, 0]], [9, [1, 0], [0, 0]], "x"):
        for fp in _entries(tmp_path, "numeric"):     # malformed, even with a valid HMAC
            _rewrite(fp, lambda payload: payload.__setitem__("values", [bad] + payload["values"][1:]), secret)
        again = engine.limiting_moments(_numeric_model(), 2, progress=False, workers=1)
        assert [str(x) for x in again] == [str(x) for x in first]
    for fp in _entries(tmp_path, "numeric"):         # one shape twice
        _rewrite(fp, lambda payload: payload["values"].append(payload["values"][0]), secret)
    again = engine.limiting_moments(_numeric_model(), 2, progress=False, workers=1)
    assert [str(x) for x in again] == [str(x) for x in first]


def test_an_interrupted_order_resumes_with_the_shapes_it_lacks(monkeypatch, tmp_path):
    """The entry is rewritten as shapes finish: after an interruption only the missing shapes are weighed,
    and the moments equal an undisturbed uncached run's."""
    monkeypatch.setenv("MOMENTCK_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(engine, "_SAVE_SECONDS", -1.0)     # rewrite after every shape (default: every 10 s)
    undisturbed = engine.limiting_moments(_numeric_model(), 3, progress=False, workers=1, cache=False)
    weighed, chunk = [], engine._numeric_chunk

    def interrupted(token, weigher, shapes):
        if len(weighed) == 5:                       # orders 1 and 2 (three shapes), two of order 3
            raise RuntimeError("interrupted")
        weighed.extend(shapes)
        return chunk(token, weigher, shapes)

    monkeypatch.setattr(engine, "_numeric_chunk", interrupted)
    with pytest.raises(RuntimeError, match="interrupted"):
        engine.limiting_moments(_numeric_model(), 3, progress=False, workers=1)
    assert len(weighed) == 5
    weighed.clear()
    monkeypatch.setattr(engine, "_numeric_chunk", lambda token, weigher, shapes: weighed.extend(shapes)
                        or chunk(token, weigher, shapes))
    again = engine.limiting_moments(_numeric_model(), 3, progress=False, workers=1)
    n3 = len(engine.shapes(3, cache=False))
    assert len(weighed) == n3 - 2 and set(weighed).isdisjoint(engine.shapes(2, cache=False))
    assert [str(x) for x in again] == [str(x) for x in undisturbed]
    assert again.kernel_error == undisturbed.kernel_error


def test_configuration_fingerprint_is_the_same_in_every_process():
    """Nested code objects' reprs hold addresses and hash seeds change set orders: neither may leak in."""
    import os
    import subprocess
    import sys
    code = "from momentck.numeric import configuration_fingerprint as f; print(f())"
    out = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(out) == 1 and len(out.pop().strip()) == 16
