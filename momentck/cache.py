"""A small on-disk cache for enumerated shapes and exact weights, holding data only.

Entries are JSON files named by a SHA-256 of a versioned key, written to a
temporary file and moved into place with :func:`os.replace`, so concurrent
writers never leave a half-written entry behind.

What an entry may hold
----------------------
Only integers, strings and lists: a shape is its canonical key (nested lists of
integers), its blocks, factor counts, walk count and an example walk; a weight
is a polynomial given by its generators' names and a list of terms
``[exponents, numerator, denominator]`` with Python integers; a numeric weight
and its error bound are two binary floats ``[mantissa, exponent]`` (the exact
mpmath values), stored under a key that holds the :func:`code_fingerprint` of
the installed package, so that numbers computed by other code are never read.  Nothing read
from a file is ever evaluated (no ``sympify``, ``eval`` or ``srepr``): exact
values are rebuilt in the polynomial ring the engine computes in, after the
names of its generators have been compared with the stored ones.

Trust
-----
Each entry carries an HMAC-SHA-256 of its key and payload under a random
secret kept in ``key`` inside the cache directory (created on first use,
readable by its owner only).  A corrupted, truncated or hand-edited entry — even
one whose plain checksum was recomputed — fails the check, as does any entry
whose structure is not exactly what the decoder expects; such an entry is a
miss: it is removed and rebuilt.  Someone who can read the secret can forge
entries that give wrong numbers, never entries that run code.

The cache lives in ``$MOMENTCK_CACHE_DIR`` or ``~/.cache/momentck``; set
``MOMENTCK_CACHE_DIR=off`` (or pass ``cache=False``) to disable it.
"""

import hashlib
import hmac
import json
import math
import os
import secrets
import tempfile
from functools import lru_cache

__all__ = ["CACHE_VERSION", "cache_dir", "load", "store", "has", "encode_shapes", "decode_shapes",
           "encode_weights", "encode_values", "weights_payload", "decode_weights", "decode_values",
           "code_fingerprint", "encode_numbers", "decode_numbers"]

#: bump when the meaning or the format of cached shapes or weights changes
CACHE_VERSION = 2

#: what a malformed entry raises while it is decoded (all mean: a miss)
_BAD = (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError)


def cache_dir():
    """The cache directory, or None when caching is off."""
    path = os.environ.get("MOMENTCK_CACHE_DIR")
    if path and path.lower() in ("off", "0", "none", "false"):
        return None
    return path or os.path.join(os.path.expanduser("~"), ".cache", "momentck")


def _path(kind, key):
    folder = cache_dir()
    if folder is None:
        return None, None
    text = json.dumps([CACHE_VERSION, kind, key], sort_keys=True)
    name = hashlib.sha256(text.encode()).hexdigest()[:40]
    return os.path.join(folder, kind, name + ".json"), text


def _secret(folder, create):
    """The cache's HMAC key (bytes), created atomically when ``create``; None if unavailable."""
    path = os.path.join(folder, "key")
    try:
        with open(path, "rb") as fh:
            secret = fh.read(65)
        return bytes.fromhex(secret.decode("ascii")) if len(secret) == 64 else None
    except FileNotFoundError:
        if not create:
            return None
    except (OSError, ValueError):
        return None
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".key")      # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32))
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)         # atomic, and never replaces a concurrent writer's key
            except FileExistsError:
                pass
        finally:
            os.remove(tmp)
    except OSError:
        return None
    return _secret(folder, create=False)


def _mac(secret, text, payload):
    body = json.dumps([text, payload], sort_keys=True).encode()
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def load(kind, key, decode=None):
    """The cached value for ``(kind, key)``, or None when absent, corrupt or malformed.

    ``decode(payload)`` turns the stored JSON payload into the value and raises
    ``ValueError`` (or ``TypeError``, ``KeyError``, ...) for anything it does not
    expect; such an entry, like one whose HMAC does not match, is removed.
    """
    path, text = _path(kind, key)
    if path is None or not os.path.exists(path):
        return None
    try:
        secret = _secret(os.path.dirname(os.path.dirname(path)), create=False)
        if secret is None:
            raise ValueError("the cache has no key")
        with open(path, encoding="utf-8") as fh:
            entry = json.load(fh)
        if not isinstance(entry, dict) or entry.get("key") != text:
            raise ValueError("cache entry does not match its key")
        mac = entry.get("mac")
        if not isinstance(mac, str) or not hmac.compare_digest(mac, _mac(secret, text, entry["payload"])):
            raise ValueError("cache entry does not match its HMAC")
        return entry["payload"] if decode is None else decode(entry["payload"])
    except _BAD:
        try:
            os.remove(path)
        except OSError:
            pass
        return None


def store(kind, key, payload):
    """Store a JSON payload of integers, strings and lists atomically; failures are ignored."""
    path, text = _path(kind, key)
    if path is None or payload is None:
        return
    try:
        secret = _secret(os.path.dirname(os.path.dirname(path)), create=True)
        if secret is None:
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        entry = {"key": text, "mac": _mac(secret, text, payload), "payload": payload}
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entry, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    except (OSError, ValueError):      # ValueError: an integer too long for json
        pass


# ---------------------------------------------------------------------------
# Data-only codecs
# ---------------------------------------------------------------------------

def _int(x, minimum=None):
    if type(x) is not int or (minimum is not None and x < minimum):
        raise ValueError(f"expected an integer >= {minimum}, got {x!r}")
    return x


def _ints(xs, minimum=0):
    if type(xs) is not list:
        raise ValueError(f"expected a list, got {xs!r}")
    return tuple(_int(x, minimum) for x in xs)


def _lists(key):
    """A nested tuple of integers as nested lists (JSON)."""
    return [_lists(x) for x in key] if isinstance(key, tuple) else key


def _tuples(data):
    """Nested lists of integers as nested tuples; anything else is refused."""
    if type(data) is list:
        return tuple(_tuples(x) for x in data)
    return _int(data)


def encode_shapes(shapes):
    """A list of :class:`~momentck.shapes.Shape` as JSON data (integers and lists)."""
    return [[_lists(s.key), [list(b) for b in s.blocks], list(s.diag),
             [[a, b, m] for (a, b), m in s.pairs], s.walks, list(s.example)] for s in shapes]


def decode_shapes(payload, k):
    """Shapes of walks of length ``k`` from :func:`encode_shapes` data, checked.

    Every field must have the stored type, each example walk must have its
    shape's factors, and each key must be the canonical key of its blocks and
    factors; otherwise ``ValueError``.
    """
    from .shapes import Shape, _factors, canonical_key
    if type(payload) is not list or not payload:
        raise ValueError("expected a non-empty list of shapes")
    out = []
    for item in payload:
        key, blocks, diag, pairs, walks, example = item
        blocks = tuple(_ints(b) for b in blocks)
        diag = _ints(diag)
        pairs = tuple(((_int(a, 0), _int(b, 0)), _int(m, 1)) for a, b, m in pairs)
        example = _ints(example)
        if len(example) != k + 1 or example[0] != 0 or example[-1] != 0 or max(example) >= len(diag):
            raise ValueError("example walk does not fit its shape")
        if (diag, pairs) != _factors(example, len(diag)):
            raise ValueError("example walk does not have its shape's factors")
        key = _tuples(key)
        if key != canonical_key(blocks, diag, pairs):
            raise ValueError("shape key is not the canonical key of its blocks and factors")
        out.append(Shape(key, blocks, diag, pairs, _int(walks, 1), example))
    return out


def _ring(co):
    """``(ring, domain, generator names)``; the domain must hold exact rationals."""
    ring = co.ring
    if ring.domain.rep not in ("ZZ", "QQ"):
        return None
    return ring, ring.domain, [str(g) for g in ring.gens]


def encode_weights(shapes, values, co):
    """Exact weights (elements of ``co``'s ring) as JSON data, or None when not representable.

    ``{"gens": names, "shapes": keys, "weights": [[exponents, numerator, denominator], ...]}``
    per shape.
    """
    return weights_payload(shapes, encode_values(values, co), co)


def encode_values(values, co):
    """The ``"weights"`` part of :func:`encode_weights`: per value its
    ``[exponents, numerator, denominator]`` terms (plain data, picklable), or None when
    ``co``'s ring is not representable."""
    import sympy
    ring = _ring(co)
    if ring is None:
        return None
    ring, dom, names = ring
    weights = []
    for v in values:
        terms = v.terms() if ring.ngens else ([((), v)] if v else [])
        rows = []
        for exps, c in terms:
            q = sympy.Rational(dom.to_sympy(c))
            rows.append([list(exps), int(q.p), int(q.q)])
        weights.append(rows)
    return weights


def weights_payload(shapes, rows, co):
    """:func:`encode_weights` data from :func:`encode_values` rows (None stays None)."""
    if rows is None:
        return None
    return {"gens": _ring(co)[2], "shapes": [_lists(s.key) for s in shapes], "weights": rows}


def decode_weights(payload, shapes, co):
    """Exact weights (sympy expressions) of ``shapes`` from :func:`encode_weights` data, checked.

    The generators must be those of ``co``'s ring, the shapes those given, in
    order; the values as for :func:`decode_values`.  Otherwise ``ValueError``.
    """
    ring = _ring(co)
    if ring is None:
        raise ValueError("weights in this ring are not cached")
    ring, dom, names = ring
    if payload["gens"] != names or payload["shapes"] != [_lists(s.key) for s in shapes]:
        raise ValueError("cached weights are for other generators or shapes")
    rows = payload["weights"]
    if type(rows) is not list or len(rows) != len(shapes):
        raise ValueError("one weight per shape expected")
    return decode_values(rows, co)


def decode_values(rows, co):
    """Exact weights (sympy expressions) from :func:`encode_values` rows, checked: exponents
    non-negative integers, one per generator of ``co``'s ring; fractions in lowest terms
    with a positive denominator.  Otherwise ``ValueError``."""
    import sympy
    ring = _ring(co)
    if ring is None:
        raise ValueError("weights in this ring are not cached")
    ring, dom, names = ring
    out = []
    for terms in rows:
        if type(terms) is not list:
            raise ValueError("malformed weight")
        poly = {}
        for exps, p, q in terms:
            exps, p, q = _ints(exps), _int(p), _int(q, 1)
            if len(exps) != ring.ngens or exps in poly or p == 0 or math.gcd(p, q) != 1:
                raise ValueError("malformed term")
            poly[exps] = sympy.Rational(p, q)
        if not ring.ngens:                       # a number: the rational itself
            out.append(poly.get((), sympy.Integer(0)))
            continue
        value = ring.from_dict({e: dom.from_sympy(c) for e, c in poly.items()}) if poly else ring.zero
        out.append(co.to_sympy(value))
    return out


def has(kind, key):
    """Whether the cache holds an entry for ``(kind, key)`` (unchecked: :func:`load` may
    still find it malformed)."""
    path, _ = _path(kind, key)
    return path is not None and os.path.exists(path)


@lru_cache(maxsize=1)
def code_fingerprint():
    """SHA-256 (hex, 16 digits) of the package's Python sources: part of the key of cached numeric
    weights, which depend on every quadrature rule and level, so that any change of the code is a
    miss rather than a stale number."""
    root = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(f for f in files if f.endswith(".py")):
            path = os.path.join(folder, name)
            digest.update(os.path.relpath(path, root).encode())
            with open(path, "rb") as fh:
                digest.update(hashlib.sha256(fh.read()).digest())
    return digest.hexdigest()[:16]


def _binary(x):
    """A finite mpmath number as ``[mantissa, exponent]`` (exact), or None."""
    import mpmath
    x = mpmath.mpf(x)
    if not mpmath.isfinite(x):
        return None
    sign, man, exp, _ = x._mpf_
    return [-int(man) if sign else int(man), int(exp)]


def encode_numbers(shapes, values):
    """Payload of numeric weights of ``shapes``, complete or not: ``values`` maps a shape's position to its
    ``(value, error)`` (mpmath numbers); None when some number is not finite (such results are not cached)."""
    rows = [[i, _binary(v), _binary(e)] for i, (v, e) in sorted(values.items())]
    if any(None in r for r in rows):
        return None
    return {"shapes": [_lists(s.key) for s in shapes], "values": rows}


def decode_numbers(payload, shapes):
    """``{position: (value, error)}`` (mpmath numbers, exact) from :func:`encode_numbers` data, checked: the
    shapes those given, in order, positions distinct and in range, every number two integers, errors
    non-negative.  Otherwise ``ValueError``."""
    import mpmath
    if payload["shapes"] != [_lists(s.key) for s in shapes]:
        raise ValueError("cached numeric weights are for other shapes")
    rows = payload["values"]
    if type(rows) is not list or len(rows) > len(shapes):
        raise ValueError("at most one weight per shape expected")
    out = {}
    for row in rows:
        if type(row) is not list or len(row) != 3:
            raise ValueError("malformed numeric weight")
        i = _int(row[0], 0)
        if i >= len(shapes) or i in out:
            raise ValueError("numeric weight of no shape, or of one shape twice")
        v, e = (mpmath.mpf(_binary_pair(r)) for r in row[1:])
        if e < 0:
            raise ValueError("negative error bound")
        out[i] = (v, e)
    return out


def _binary_pair(r):
    """``(mantissa, exponent)`` from ``[mantissa, exponent]``, two integers; otherwise ``ValueError``."""
    pair = _ints(r, minimum=None)
    if len(pair) != 2:
        raise ValueError("malformed binary float")
    return pair
