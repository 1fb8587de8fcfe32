"""Shards of the walk shapes of one order: each enumerated and weighed by one worker.

Spreading the exact weights of order k over workers after enumerating the shapes
in this process leaves two costs that do not shrink with the number of workers:
the enumeration itself (about a third of a cold m_1..m_10 run) and the tables the
weights memoise (:mod:`momentck.weights`: a row table for each (incidences,
diagonal factors, halves per incidence) of a row, built once and shared by every
shape with such a row), which each worker rebuilds for the shapes it gets.  A
*shard* removes both:

* every worker lists the labelled signatures of the closed walks of order k
  (:func:`momentck.shapes.walk_signatures`, about 10% of the run, kept per
  worker process for its next shard of that order) and canonicalises and weighs
  only those of its shard;
* the shard of a signature is a function of an isomorphism invariant
  (:func:`shard_of`), so a shard holds whole shapes: their walk counts and
  representatives (the signature with the earliest first walk) are those of
  :func:`momentck.shapes.enumerate_shapes`;
* the invariant is chosen so that shapes sharing the costly row tables land in
  the same shard: each row is summarised by its *load* (factors at the row,
  diagonal ones counted once), its number of incidences and its diagonal
  factors.  A shape whose most loaded row carries at least ``k - 2`` factors is
  keyed by that row alone (its row table is the costliest there is, and only a
  few shapes have such a row); other shapes by the sorted summaries of all their
  rows (their tables are cheap and each worker builds them once for all its shards).

:func:`merge_shards` puts the shards' shapes back into the order of
:func:`~momentck.shapes.enumerate_shapes` and checks that they add up to every
closed walk, each shape once: the moments are equal (exact values) however the
shards were spread.  The shard number is an arithmetic hash of plain integers,
the same on every machine and Python version.
"""

import heapq
import pickle
from functools import lru_cache

from .shapes import collector_paused, shape_order, shapes_of_signatures, walk_signatures

__all__ = ["shard_of", "weigh_shard", "merge_shards"]

#: a shape whose most loaded row carries at least k - HEAVY factors is sharded by that row alone
HEAVY = 2
_MOD = (1 << 61) - 1


def shard_of(signature, k):
    """The shard key (a non-negative int) of a labelled walk signature of order ``k``.

    Equal for isomorphic signatures (it depends on the multiset of the rows' (load,
    incidences, diagonal factors) only).

    Examples
    --------
    >>> from momentck.shapes import canonical_key, walk_signatures
    >>> keys = {}
    >>> for sig in walk_signatures(6):
    ...     keys.setdefault(canonical_key(*sig), set()).add(shard_of(sig, 6))
    >>> len(keys), all(len(v) == 1 for v in keys.values())
    (110, True)
    """
    blocks, diag, pairs = signature
    load, incid = list(diag), [0] * len(diag)
    for block in blocks:
        for a in block:
            incid[a] += 1
    for (a, b), m in pairs:
        load[a] += m
        load[b] += m
    rows = sorted(zip(load, incid, diag))
    if rows[-1][0] >= k - HEAVY:
        rows = rows[-1:]
    h = len(rows)
    for row in rows:
        for x in row:
            h = (h * 1000003 + x) % _MOD
    return h


@lru_cache(maxsize=2)
def _signatures(k):
    """``(signatures, shard keys, number of walks)`` of order k, kept for a worker's next shard."""
    sigs = walk_signatures(k)
    return sigs, [shard_of(s, k) for s in sigs], sum(v[0] for v in sigs.values())


def weigh_shard(weigh, k, parts, part):
    """The shapes of order ``k`` in shard ``part`` of ``parts``, weighed.

    Parameters
    ----------
    weigh : callable
        ``weigh(shapes) -> list``, one plain-data weight per shape (picklable).
    k, parts, part : int

    Returns
    -------
    (int, bytes)
        The number of shapes (for a progress bar) and the pickled ``(shapes, weights, sort
        keys, walks of the shard, walks of order k)`` for :func:`merge_shards`: one bytes object, so that the process receiving it does
        not unpickle a hundred thousand small tuples in its communication thread (where
        the cyclic garbage collector would rescan them) but in :func:`merge_shards`.
    """
    sigs, keys, walks = _signatures(k)
    own = {sig: v for (sig, v), key in zip(sigs.items(), keys) if key % parts == part}
    shapes = shapes_of_signatures(own)
    out = shapes, weigh(shapes), [shape_order(s) for s in shapes], sum(s.walks for s in shapes), walks
    return len(shapes), pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)


def merge_shards(results):
    """``(shapes, weights)`` of one order from the :func:`weigh_shard` results of all its
    shards, in the order of :func:`momentck.shapes.enumerate_shapes`.

    Raises ``RuntimeError`` unless the shards hold every closed walk once (workers
    that disagree on the shards, e.g. another momentck version)."""
    with collector_paused():
        results = [pickle.loads(r[1]) for r in results]
    if len({r[4] for r in results}) != 1 or sum(r[3] for r in results) != results[0][4]:
        raise RuntimeError("the shards of the walk shapes do not add up to the closed walks")
    merged = heapq.merge(*(zip(r[2], r[0], r[1]) for r in results), key=lambda t: t[0])
    shapes, weights, last = [], [], None
    for order, shape, weight in merged:
        if order == last:
            raise RuntimeError("a walk shape occurs in two shards")
        last = order
        shapes.append(shape)
        weights.append(weight)
    return shapes, weights
