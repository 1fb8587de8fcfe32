"""Walk enumeration and shape keys, checked against independent counts."""

import random
from itertools import combinations, permutations, product

import networkx as nx
import numpy as np
import pytest

from momentck.errors import MomentckError
from momentck.shapes import _least_among, canonical_key, closed_walks, enumerate_shapes

# Explicit finite block trees: lists of blocks (sets of rows), row 0 the root.
TREES = [
    [(0, 1, 2), (0, 3), (1, 4, 5), (3, 6, 7, 8)],
    [(0, 1), (1, 2), (2, 3), (3, 4), (0, 5, 6)],
    [(0, 1, 2, 3), (2, 4), (2, 5, 6), (0, 7)],
]


def _closed_walks_brute(blocks, k):
    """((I + A)^k)_{00}: closed walks where a step stays or moves to a clique-mate."""
    n = 1 + max(max(b) for b in blocks)
    A = np.eye(n, dtype=object)
    for b in blocks:
        for u in b:
            for v in b:
                if u != v:
                    A[u, v] = 1
    P = np.eye(n, dtype=object)
    for _ in range(k):
        P = P.dot(A)
    return int(P[0, 0])


def _embeddings(shape, tree):
    """Injective maps of the shape's rows and blocks into the tree (root to root, membership kept)."""
    tree_blocks = [set(b) for b in tree]
    rows = shape.rows
    count = 0

    def extend(row_map, block_map, j):
        nonlocal count
        if j == len(shape.blocks):
            count += 1
            return
        block = shape.blocks[j]
        for t, tb in enumerate(tree_blocks):
            if t in block_map:
                continue
            mapped = [row_map[a] for a in block if a in row_map]
            if not all(x in tb for x in mapped):
                continue
            new = [a for a in block if a not in row_map]
            free = [x for x in tb if x not in row_map.values()]
            for image in permutations(free, len(new)):
                extend({**row_map, **dict(zip(new, image))}, block_map | {t}, j + 1)

    # blocks of the representative are listed in order of opening, so every block
    # has a row mapped already when it is reached
    extend({0: 0}, frozenset(), 0)
    assert rows >= 1
    return count


@pytest.mark.parametrize("tree", TREES)
@pytest.mark.parametrize("k", range(1, 7))
def test_unit_weights_reproduce_closed_walk_counts_on_finite_block_trees(tree, k):
    via_shapes = sum(s.walks * _embeddings(s, tree) for s in enumerate_shapes(k))
    assert via_shapes == _closed_walks_brute(tree, k)


def test_hand_count_small_k():
    # k = 1: stay.  k = 2: stay twice; go to a new row and back.
    assert sorted(w for w, _ in closed_walks(1)) == [(0, 0)]
    assert sorted(w for w, _ in closed_walks(2)) == [(0, 0, 0), (0, 1, 0)]
    # k = 3: SSS; three walks with one excursion and one stay; the triangle 0 -> 1 -> 2 -> 0.
    assert sorted(w for w, _ in closed_walks(3)) == [
        (0, 0, 0, 0), (0, 0, 1, 0), (0, 1, 0, 0), (0, 1, 1, 0), (0, 1, 2, 0)]
    tri = [b for w, b in closed_walks(3) if w == (0, 1, 2, 0)]
    assert tri == [((0, 1, 2),)]
    shapes = enumerate_shapes(3)
    assert sorted((s.rows, s.walks) for s in shapes) == [(1, 1), (2, 1), (2, 2), (3, 1)]
    # k = 4 by hand.  1 row: 1 walk, 1 shape.  2 rows: the 7 words v1v2v3 in {0,1}^3
    # other than 000, in 4 shapes ({00^2,01^2}: 3 walks, {00,11,01^2}: 2, {11^2,01^2}: 1,
    # {01^4}: 1).  3 rows: 01200, 00120 (triangle, stay at root), 01120, 01220 (triangle,
    # stay elsewhere), 01210 in one block or in a chain of two, 01020 in one block or in
    # two blocks at the root: 8 walks in 6 shapes.  4 rows: 01230 in one block.
    assert (len(enumerate_shapes(4)), sum(s.walks for s in enumerate_shapes(4))) == (12, 17)


def _relabel(shape, rng):
    rows = list(range(1, shape.rows))
    rng.shuffle(rows)
    perm = {0: 0, **{old: new for old, new in zip(range(1, shape.rows), rows)}}
    blocks = [tuple(perm[a] for a in b) for b in shape.blocks]
    rng.shuffle(blocks)
    diag = [0] * shape.rows
    for a, m in enumerate(shape.diag):
        diag[perm[a]] = m
    pairs = [((min(perm[a], perm[b]), max(perm[a], perm[b])), m) for (a, b), m in shape.pairs]
    return blocks, diag, pairs


def _parents_first(blocks):
    """canonical_key reads a block's parent as its least row: relabel rows breadth-first."""
    order, seen = [0], {0}
    i = 0
    while i < len(order):
        a = order[i]
        for b in blocks:
            if a in b:
                for u in sorted(b):
                    if u not in seen:
                        seen.add(u)
                        order.append(u)
        i += 1
    return {old: new for new, old in enumerate(order)}


def test_keys_invariant_under_relabelling():
    rng = random.Random(7)
    for s in enumerate_shapes(6):
        for _ in range(3):
            blocks, diag, pairs = _relabel(s, rng)
            perm = _parents_first(blocks)
            blocks = [tuple(perm[a] for a in b) for b in blocks]
            d2 = [0] * len(diag)
            for a, m in enumerate(diag):
                d2[perm[a]] = m
            p2 = [((min(perm[a], perm[b]), max(perm[a], perm[b])), m) for (a, b), m in pairs]
            assert canonical_key(blocks, d2, p2) == s.key


def _matcher(g1, g2):
    nm = lambda x, y: x["kind"] == y["kind"] and x.get("root") == y.get("root")  # noqa: E731
    em = lambda x, y: sorted(e["kind"] for e in x.values()) == sorted(e["kind"] for e in y.values())  # noqa: E731
    return nx.is_isomorphic(g1, g2, node_match=nm, edge_match=em)


def test_distinct_keys_are_non_isomorphic_and_counts_add_up():
    for k in (4, 5):
        shapes = enumerate_shapes(k)
        graphs = [s.to_networkx() for s in shapes]
        for i in range(len(shapes)):
            for j in range(i + 1, len(shapes)):
                assert not _matcher(graphs[i], graphs[j]), (shapes[i].text(), shapes[j].text())
        assert sum(s.walks for s in shapes) == sum(1 for _ in closed_walks(k))
        assert all(s.k == k for s in shapes)


def test_bad_k():
    with pytest.raises(MomentckError, match="k must be an integer >= 1"):
        enumerate_shapes(0)
    with pytest.raises(MomentckError):
        list(closed_walks(1.5))


def test_shape_and_walk_counts_per_order():
    # shapes: 1, 2, 4, 12, 33, 110, 362, 1284; walks: the k = 1..4 hand counts above,
    # then sums over shapes equal to an independent count of the search's walks
    shapes = [enumerate_shapes(k) for k in range(1, 9)]
    assert [len(s) for s in shapes] == [1, 2, 4, 12, 33, 110, 362, 1284]
    assert [sum(x.walks for x in s) for s in shapes[:4]] == [1, 2, 5, 17]
    for k in (5, 6, 7):
        walks = list(closed_walks(k))
        assert sum(x.walks for x in shapes[k - 1]) == len(walks) == len(set(walks))


def _least_among_brute(sizes, among):
    """The least upper triangle over every ordering that keeps each group in place."""
    n = sum(sizes)
    mult = dict(zip(combinations(range(n), 2), among))
    bounds = [sum(sizes[:i]) for i in range(len(sizes) + 1)]
    groups = [range(lo, hi) for lo, hi in zip(bounds, bounds[1:])]
    return min(tuple(mult[min(a, b), max(a, b)] for a, b in combinations(order, 2))
               for choice in product(*(permutations(g) for g in groups))
               for order in [[c for g in choice for c in g]])


def test_least_among_matches_brute_force_over_group_orderings():
    rng = random.Random(12)
    for _ in range(400):
        sizes = tuple(rng.choice([1, 1, 2, 3, 4]) for _ in range(rng.randint(1, 3)))
        n = sum(sizes)
        among = tuple(rng.choice([0, 0, 1, 1, 2]) for _ in range(n * (n - 1) // 2))
        assert _least_among(sizes, among) == _least_among_brute(sizes, among), (sizes, among)
