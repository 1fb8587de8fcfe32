"""Shards of the walk shapes (momentck.shards): whole shapes, merged back into the serial list."""

import pytest

from momentck import shards
from momentck.shapes import canonical_key, enumerate_shapes, walk_signatures


def _walk_counts(shapes):
    return [s.walks for s in shapes]


@pytest.mark.parametrize("k, parts", [(7, 3), (8, 5), (4, 16)])
def test_merged_shards_are_the_enumerated_shapes(k, parts):
    results = [shards.weigh_shard(_walk_counts, k, parts, p) for p in range(parts)]
    shapes, weights = shards.merge_shards(results)
    want = enumerate_shapes(k)
    assert shapes == want                                        # keys, blocks, factors, walk counts
    assert [s.example for s in shapes] == [s.example for s in want]   # the same representatives
    assert weights == [s.walks for s in want]


def test_a_shape_lies_in_one_shard():
    keys = {}
    for sig in walk_signatures(7):
        keys.setdefault(canonical_key(*sig), set()).add(shards.shard_of(sig, 7))
    assert all(len(v) == 1 for v in keys.values())


def test_missing_or_repeated_shards_are_refused():
    results = [shards.weigh_shard(_walk_counts, 5, 2, p) for p in range(2)]
    with pytest.raises(RuntimeError, match="do not add up"):
        shards.merge_shards(results[:1])
    with pytest.raises(RuntimeError, match="do not add up"):
        shards.merge_shards(results + results[:1])
    one = shards.weigh_shard(_walk_counts, 5, 1, 0)
    with pytest.raises(RuntimeError, match="do not add up"):
        shards.merge_shards([one, results[0]])
