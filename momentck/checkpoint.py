"""Partial results of :func:`momentck.simulate` saved to, and resumed from, a file.

The file is an ``.npz`` archive with

* ``params``: JSON of the run's parameters (format, model specs, n, k, reps,
  seed, dtype, eigenvalues); a resume with other parameters is refused;
* ``indices`` (int64, finished replicates, in the order they finished),
  ``values`` (float64, one row of k traces each) and, when the run keeps them,
  ``eigenvalues`` (float64, one row of n each).

It is rewritten after every finished replicate through a temporary file in the
same folder, flushed to disk and renamed over the old one (``os.replace`` is
atomic), so an interruption at any moment leaves the previous or the new
complete file: a resumed run loses at most the replicates that were in flight.
"""

import json
import os
import zipfile

import numpy as np

from .errors import MomentckError

__all__ = ["Checkpoint", "FORMAT"]

FORMAT = "momentck-simulate-checkpoint/1"


def _why_unreadable(path, exc):
    """Why ``np.load`` failed, in words that suggest no unsafe remedy (never ``allow_pickle``)."""
    if os.path.getsize(path) == 0:
        return "the file is empty"
    if "allow_pickle" in str(exc) or "pickle" in str(exc).lower():
        return "it holds Python objects, which momentck never loads"
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:80]}"


class Checkpoint:
    """Finished replicates of one run, mirrored in the file ``path``.

    Parameters
    ----------
    path : str or os.PathLike
    params : dict
        JSON-serialisable parameters of the run; an existing file must hold the same.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "run.npz")
    >>> ck = Checkpoint(path, {"n": 10, "k": 2})
    >>> ck.record(3, np.array([1.0, 2.0]))
    >>> again = Checkpoint(path, {"n": 10, "k": 2})
    >>> [(i, v.tolist()) for i, v, _ in again.items()], 3 in again, len(again)
    ([(3, [1.0, 2.0])], True, 1)
    """

    def __init__(self, path, params):
        self.path = os.fspath(path)
        self.params = json.loads(json.dumps({"format": FORMAT, **params}))
        self._rows = {}
        self._eigs = {}
        if os.path.exists(self.path):
            self._load()

    # -- reading ---------------------------------------------------------------
    def _load(self):
        try:
            with np.load(self.path, allow_pickle=False) as data:
                params = json.loads(str(data["params"][()]))
                indices = np.asarray(data["indices"], dtype=np.int64)
                values = np.asarray(data["values"], dtype=np.float64)
                eigs = np.asarray(data["eigenvalues"]) if "eigenvalues" in data.files else None
        except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
            why = _why_unreadable(self.path, exc)
            raise MomentckError(f"checkpoint {self.path!r} is not a momentck checkpoint file "
                                f"({why}); delete it or choose another file") from exc
        if not isinstance(params, dict) or params.get("format") != FORMAT:
            raise MomentckError(f"checkpoint {self.path!r} is not a momentck checkpoint file "
                                f"(format {params.get('format') if isinstance(params, dict) else None!r})")
        if params != self.params:
            keys = sorted(set(params) | set(self.params))
            diffs = [f"{key}: {params.get(key)!r} there, {self.params.get(key)!r} here"
                     for key in keys if params.get(key) != self.params.get(key)]
            raise MomentckError(f"checkpoint {self.path!r} was written for a different run "
                                f"({'; '.join(diffs)}); resume with the same parameters, or use "
                                "another file")
        k = self.params.get("k")
        reps = self.params.get("reps")
        bad = (indices.ndim != 1 or values.shape != (len(indices), k if k is not None else values.shape[-1])
               or len(set(indices.tolist())) != len(indices) or not np.isfinite(values).all()
               or (len(indices) and (indices.min() < 0 or (reps is not None and indices.max() >= reps)))
               or (self.params.get("eigenvalues") and (eigs is None or len(eigs) != len(indices))))
        if bad:
            raise MomentckError(f"checkpoint {self.path!r} is damaged (inconsistent arrays); "
                                "delete it or choose another file")
        for j, i in enumerate(indices.tolist()):
            self._rows[i] = values[j].copy()
            if eigs is not None:
                self._eigs[i] = np.array(eigs[j], dtype=np.float64)

    def __contains__(self, i):
        return i in self._rows

    def __len__(self):
        return len(self._rows)

    def items(self):
        """``(index, traces, eigenvalues or None)`` for each finished replicate."""
        return [(i, row, self._eigs.get(i)) for i, row in self._rows.items()]

    # -- writing ---------------------------------------------------------------
    def record(self, i, row, eigenvalues=None):
        """Add replicate ``i`` and rewrite the file atomically."""
        self._rows[int(i)] = np.array(row, dtype=np.float64)
        if eigenvalues is not None:
            self._eigs[int(i)] = np.array(eigenvalues, dtype=np.float64)
        self._write()

    def _write(self):
        indices = np.fromiter(self._rows, dtype=np.int64, count=len(self._rows))
        k = self.params.get("k")
        values = (np.vstack([self._rows[i] for i in indices.tolist()]) if len(indices)
                  else np.empty((0, k or 0)))
        arrays = {"params": np.array(json.dumps(self.params, sort_keys=True)),
                  "indices": indices, "values": values}
        if self._eigs:
            arrays["eigenvalues"] = np.vstack([self._eigs[i] for i in indices.tolist()])
        folder = os.path.dirname(os.path.abspath(self.path))
        tmp = os.path.join(folder, f".{os.path.basename(self.path)}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise MomentckError(f"cannot write checkpoint {self.path!r}: {exc.strerror or exc}") from exc
