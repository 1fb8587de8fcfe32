"""A small on-disk cache for enumerated shapes and exact weights.

Entries are JSON files named by a SHA-256 of a versioned key, written to a
temporary file and moved into place with :func:`os.replace`, so concurrent
writers never leave a half-written entry behind.  Each file carries a checksum of
its payload; a corrupted or truncated file is detected, removed and rebuilt.

The cache lives in ``$MOMENTCK_CACHE_DIR`` or ``~/.cache/momentck``; set
``MOMENTCK_CACHE_DIR=off`` (or pass ``cache=False``) to disable it.
"""

import hashlib
import json
import os
import tempfile

__all__ = ["CACHE_VERSION", "cache_dir", "load", "store"]

#: bump when the meaning of cached shapes or weights changes
CACHE_VERSION = 1


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


def _digest(payload):
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def load(kind, key):
    """Return the cached payload for ``(kind, key)``, or None if absent or corrupt."""
    path, text = _path(kind, key)
    if path is None or not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            entry = json.load(fh)
        if entry["key"] != text or entry["sha256"] != _digest(entry["payload"]):
            raise ValueError("cache entry does not match its key or checksum")
        return entry["payload"]
    except (OSError, ValueError, KeyError, TypeError):
        try:
            os.remove(path)
        except OSError:
            pass
        return None


def store(kind, key, payload):
    """Store a JSON-able payload atomically; failures to write are ignored."""
    path, text = _path(kind, key)
    if path is None:
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        entry = {"key": text, "sha256": _digest(payload), "payload": payload}
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
    except OSError:
        pass
