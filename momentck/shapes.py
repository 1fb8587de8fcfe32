"""Closed walks on block trees and their shapes (MATH.md §3).

The local limit of the row–column graph of W is a two-type Poisson tree.  Rows
that share a column form a clique, a **block**; rows and blocks form a tree, a
**block tree**.  The limiting kernel moment is a sum over closed walks of length
k from the root row in which every step

* stays at the current row (a diagonal factor ``K(a, a)``),
* moves to a clique-mate in an already visited block,
* brings a new row into a visited block containing the current row, or
* opens a new block at the current row and moves to a new row in it.

Rows and blocks are labelled in order of first appearance (the root is row 0),
so each labelled walk is generated exactly once.  The rows and blocks a walk
visits, with its *factor multigraph* (how often each diagonal ``a–a`` and each
pair ``a–b`` occurs) and the root marked, form its **shape**.  Walks with
isomorphic marked structures share a shape; :func:`canonical_key` gives the
canonical nested-tuple key momentck owns (stable across networkx versions):

    row key   = (diagonal count, sorted keys of the blocks hanging below the row)
    block key = (sorted (multiplicity to parent, row key) of its other rows,
                 least tuple of the multiplicities among those rows)

The least tuple is taken over the orderings of rows with equal (multiplicity, row
key), found by ordered-partition refinement and memoised across blocks and shapes;
:func:`enumerate_shapes` groups walks by labelled signature first, so each distinct
signature is canonicalised once.

References
----------
MATH.md §3; Mecke's formula turns sums over distinct Poisson points into integrals.
"""

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import permutations, product

import networkx as nx

from .validation import check_k as _check_k

__all__ = ["Shape", "closed_walks", "enumerate_shapes", "walk_signatures", "shapes_of_signatures",
           "shape_order", "canonical_key", "shape_counts", "collector_paused"]


@dataclass(frozen=True)
class Shape:
    """A walk shape: a block tree with a factor multigraph, rooted at row 0.

    Attributes
    ----------
    key : tuple
        Canonical nested-tuple key (see module docstring).
    blocks : tuple of tuple of int
        Rows of each block of a labelled representative (rows labelled 0..r-1).
    diag : tuple of int
        ``diag[a]`` = number of diagonal factors ``K(a, a)``.
    pairs : tuple of ((int, int), int)
        Off-diagonal factors ``K(a, b)``, ``a < b``, with multiplicities.
    walks : int
        ``N_k(S)``, the number of labelled closed walks with this shape.
    example : tuple of int
        One such walk, as the sequence of visited rows ``v_0, ..., v_k``.
    """

    key: tuple
    blocks: tuple
    diag: tuple
    pairs: tuple
    walks: int
    example: tuple = field(compare=False)

    @property
    def k(self):
        """Walk length (number of factors)."""
        return sum(self.diag) + sum(m for _, m in self.pairs)

    @property
    def rows(self):
        """``r(S)``, the number of rows."""
        return len(self.diag)

    @property
    def pair_blocks(self):
        """``{(a, b): j}``: the block shared by rows ``a < b`` (two rows share at most one)."""
        return {(a, b): j for j, block in enumerate(self.blocks)
                for a in block for b in block if a < b}

    @property
    def incidences(self):
        """Number of row–block incidences, each integrated against the Lévy measure."""
        return sum(len(b) for b in self.blocks)

    def to_networkx(self):
        """The shape as a networkx multigraph.

        Nodes ``("row", a)`` and ``("block", j)``; membership edges
        ``kind="member"`` join rows to their blocks, and factor edges
        ``kind="factor"`` join rows (self-loops for diagonal factors), one edge per
        factor.  The root is ``("row", 0)`` with ``root=True``.
        """
        g = nx.MultiGraph()
        for a in range(self.rows):
            g.add_node(("row", a), kind="row", root=(a == 0))
        for j, block in enumerate(self.blocks):
            g.add_node(("block", j), kind="block")
            for a in block:
                g.add_edge(("row", a), ("block", j), kind="member")
        for a, m in enumerate(self.diag):
            for _ in range(m):
                g.add_edge(("row", a), ("row", a), kind="factor")
        for (a, b), m in self.pairs:
            for _ in range(m):
                g.add_edge(("row", a), ("row", b), kind="factor")
        return g

    def text(self):
        """A one-line human-readable form, e.g. ``B0{0,1,2} | K00^1 K01^1 K12^1 K02^1``."""
        blocks = " ".join(f"B{j}{{{','.join(map(str, b))}}}" for j, b in enumerate(self.blocks))
        facs = [f"K{a}{a}^{m}" for a, m in enumerate(self.diag) if m]
        facs += [f"K{a}{b}^{m}" for (a, b), m in self.pairs]
        return (blocks + " | " if blocks else "") + " ".join(facs)


def closed_walks(k):
    """Generate the labelled closed walks of length ``k`` from the root row.

    Yields
    ------
    walk : tuple of int
        Visited rows ``v_0 = 0, v_1, ..., v_k = 0``.
    blocks : tuple of tuple of int
        The blocks the walk opened, each as its rows in order of arrival.

    Examples
    --------
    >>> sorted(w for w, _ in closed_walks(2))
    [(0, 0, 0), (0, 1, 0)]
    >>> sum(1 for _ in closed_walks(3))
    5
    """
    _check_k(k)
    found = []
    _walk_search(k, lambda walk, blocks, diag, pairs: found.append(
        (tuple(walk), tuple(tuple(b) for b in blocks))))
    yield from found


def _walk_search(k, visit):
    """The depth-first search behind :func:`closed_walks`.

    Calls ``visit(walk, blocks, diag, pairs)`` on the live state of each closed
    walk, in search order: ``diag[a]`` counts the steps that stay at row a,
    ``pairs[(a, b)]`` the steps between rows ``a < b``; all are kept up to date step
    by step (valid only during the call).  Plain recursion with a callback rather
    than nested generators, so a walk costs no re-yield through every level.
    """
    walk = [0]
    blocks = []          # list of lists of rows
    row_blocks = [[]]    # blocks containing each row
    dist = [0]           # block-tree distance (in block hops) to the root
    diag = [0]
    pairs = {}

    def move(v, u, left):
        pair = (v, u) if v < u else (u, v)
        pairs[pair] = pairs.get(pair, 0) + 1
        walk.append(u)
        step(left - 1)
        walk.pop()
        if pairs[pair] == 1:
            del pairs[pair]
        else:
            pairs[pair] -= 1

    def step(left):
        v = walk[-1]
        if left == 0:
            if v == 0:
                visit(walk, blocks, diag, pairs)
            return
        # stay
        diag[v] += 1
        walk.append(v)
        step(left - 1)
        walk.pop()
        diag[v] -= 1
        # move to a visited clique-mate
        for u in [u for j in row_blocks[v] for u in blocks[j] if u != v]:
            if dist[u] <= left - 1:
                move(v, u, left)
        # a new row needs a way back: its distance must be at most the steps left after arriving
        for j in list(row_blocks[v]):             # bring a new row into a visited block
            d_new = dist[blocks[j][0]] + 1        # blocks[j][0] is the block's parent row
            if d_new <= left - 1:
                new_row(v, j, d_new, left)
        if dist[v] + 1 <= left - 1:               # open a new block at v with a new row
            blocks.append([v])
            row_blocks[v].append(len(blocks) - 1)
            new_row(v, len(blocks) - 1, dist[v] + 1, left)
            row_blocks[v].pop()
            blocks.pop()

    def new_row(v, j, d_new, left):
        label = len(dist)
        blocks[j].append(label)
        row_blocks.append([j])
        dist.append(d_new)
        diag.append(0)
        move(v, label, left)
        diag.pop()
        dist.pop()
        row_blocks.pop()
        blocks[j].pop()

    step(k)


def _factors(walk, rows):
    """``(diag, pairs)`` of a walk: steps that stay per row, steps between rows ``a < b``."""
    diag = [0] * rows
    pairs = {}
    for a, b in zip(walk, walk[1:]):
        if a == b:
            diag[a] += 1
        else:
            key = (min(a, b), max(a, b))
            pairs[key] = pairs.get(key, 0) + 1
    return tuple(diag), tuple(sorted(pairs.items()))


def canonical_key(blocks, diag, pairs):
    """Canonical nested-tuple key of a rooted block tree with a factor multigraph.

    Parameters
    ----------
    blocks : sequence of sequence of int
        Rows of each block; the least row of a block is its parent (the row it was
        opened from, for labels in order of first appearance).
    diag : sequence of int
        Diagonal factor counts per row (row 0 is the root).
    pairs : iterable of ((a, b), multiplicity)

    Returns
    -------
    tuple
        Equal for two inputs exactly when they are isomorphic as rooted block trees
        with factor multiplicities.

    Examples
    --------
    >>> canonical_key([(0, 1)], [1, 0], [((0, 1), 2)]) == canonical_key([(0, 1)], [0, 1], [((0, 1), 2)])
    False
    """
    mult = {}
    for (a, b), m in pairs:
        mult[(a, b)] = mult[(b, a)] = m
    children = {}
    for block in blocks:
        children.setdefault(min(block), []).append(block)

    def row_key(a):
        below = children.get(a)
        if not below:
            return (diag[a], ())
        return (diag[a], tuple(sorted(block_key(a, b) for b in below)))

    def block_key(parent, block):
        kids = [c for c in block if c != parent]
        if len(kids) == 1:           # no pairs among the other rows
            return ((mult.get((parent, kids[0]), 0), row_key(kids[0])),), ()
        items = sorted(((mult.get((parent, c), 0), row_key(c)), c) for c in kids)
        labels = tuple(it[0] for it in items)
        order = [it[1] for it in items]
        among = tuple(mult.get((a, b), 0) for i, a in enumerate(order) for b in order[i + 1:])
        if not any(among):
            return (labels, among)   # nothing to order
        sizes, start = [], 0
        for i in range(1, len(labels) + 1):
            if i == len(labels) or labels[i] != labels[start]:
                sizes.append(i - start)
                start = i
        return (labels, _least_among(tuple(sizes), among))

    return row_key(0)


@lru_cache(maxsize=None)
def _least_among(sizes, among):
    """Least multiplicity tuple over reorderings of rows within groups of equal labels.

    ``among`` lists the multiplicities ``(0,1), (0,2), ..., (n-2,n-1)`` of rows in a
    sorted order whose consecutive groups of ``sizes`` rows carry equal labels; the
    result depends only on these two tuples, so it is memoised across blocks and shapes.

    The tuple is read row by row: row ``t`` holds the multiplicities from the row
    placed at position ``t`` to those placed after it.  Given the rows placed so far,
    the least continuation sorts each remaining cell by multiplicity to the newly
    placed row and splits it where the multiplicity changes (an ordered partition);
    only the candidates for the next position whose row is least are followed.
    """
    n = sum(sizes)
    if len(sizes) == n:
        return among
    mat = [[0] * n for _ in range(n)]
    pos = 0
    for i in range(n):
        for j in range(i + 1, n):
            mat[i][j] = mat[j][i] = among[pos]
            pos += 1
    cells, start = [], 0
    for size in sizes:
        cells.append(list(range(start, start + size)))
        start += size
    best = [among]
    _least_continuation(mat, cells, (), best)
    return best[0]


def _least_continuation(mat, cells, prefix, best):
    """Branch of :func:`_least_among`: place a row of ``cells[0]`` next, keep the least rows."""
    if not cells:
        if prefix < best[0]:
            best[0] = prefix
        return
    if prefix > best[0][:len(prefix)]:
        return
    first, options = cells[0], []
    for x in first:
        rest = [c for c in first if c != x]
        row, refined = [], []
        for cell in ([rest] if rest else []) + cells[1:]:
            ordered = sorted(cell, key=mat[x].__getitem__)
            sub = [ordered[0]]
            for c in ordered[1:]:
                if mat[x][c] != mat[x][sub[0]]:
                    refined.append(sub)
                    sub = []
                sub.append(c)
            refined.append(sub)
            row.extend(mat[x][c] for c in ordered)
        options.append((tuple(row), refined))
    least = min(row for row, _ in options)
    for row, refined in options:
        if row == least:
            _least_continuation(mat, refined, prefix + row, best)


def enumerate_shapes(k):
    """Enumerate the shapes of closed walks of length ``k`` with their walk counts.

    Parameters
    ----------
    k : int
        Walk length (moment order), ``k >= 1``.

    Returns
    -------
    list of Shape
        Sorted by (number of rows, key); ``sum(s.walks)`` is the number of
        labelled closed walks.

    Examples
    --------
    >>> [(s.rows, s.walks) for s in enumerate_shapes(3)]
    [(1, 1), (2, 1), (2, 2), (3, 1)]
    """
    return shapes_of_signatures(walk_signatures(k))


def walk_signatures(k):
    """The labelled signatures of the closed walks of length ``k``, in order of first walk.

    Returns
    -------
    dict
        ``{(blocks, diag, pairs): [walk count, first walk]}`` in the order of the
        depth-first search: the first step of :func:`enumerate_shapes`, which
        canonicalises each signature (:func:`shapes_of_signatures`).  Every walk of a
        shape has the same rows, blocks, factor counts and factor multiplicities, so
        any isomorphism invariant of a signature splits the shapes (a shard of the
        signatures with one value of it gives whole shapes).

    Examples
    --------
    >>> list(walk_signatures(2).values())
    [[1, (0, 0, 0)], [1, (0, 1, 0)]]
    """
    _check_k(k)
    found = {}
    get = found.get

    def visit(walk, blocks, diag, pairs):
        sig = (tuple(map(tuple, blocks)), tuple(diag), tuple(sorted(pairs.items())))
        entry = get(sig)
        if entry is None:
            found[sig] = [1, tuple(walk)]
        else:
            entry[0] += 1

    with collector_paused():
        _walk_search(k, visit)
    return found


def shapes_of_signatures(signatures):
    """Shapes from labelled walk signatures (:func:`walk_signatures`, or a part of them that
    holds every signature of its shapes), sorted as by :func:`enumerate_shapes`.

    A shape's representative (blocks, factors, example walk) is its signature with the
    earliest first walk, in the order of ``signatures``.
    """
    found = {}
    with collector_paused():
        for sig, (count, first) in signatures.items():        # in order of first walk
            key = canonical_key(*sig)
            entry = found.get(key)
            if entry is None:
                found[key] = [*sig, count, first]
            else:
                entry[3] += count
        shapes = [Shape(key, v[0], v[1], v[2], v[3], v[4]) for key, v in found.items()]
    shapes.sort(key=shape_order)
    return shapes


def shape_order(shape):
    """The sort key of :func:`enumerate_shapes`: (number of rows, text of the key)."""
    return shape.rows, repr(shape.key)


@contextmanager
def collector_paused():
    """The cyclic garbage collector paused: while millions of acyclic tuples are made, it
    would rescan them all."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def shape_counts(k):
    """``(number of shapes, number of labelled walks)`` for walks of length ``k``."""
    shapes = enumerate_shapes(k)
    return len(shapes), sum(s.walks for s in shapes)
