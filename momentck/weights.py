"""Exact (symbolic) weights w(S) of walk shapes (MATH.md §3–§4).

For a shape S the weight is

    w(S) = \\int prod_{incidences e} nu(dw_e) E[ prod_t K_t ],

where each factor ``K_t = f(h_a^{(t)}) f(h_b^{(t)})`` uses its own copy ``x^{(t)}``
of the inputs and ``h_a^{(t)} = sum_{e in a} w_e x^{(t)}_{col(e)} + R_a^{(t)}``;
``R_a^{(t)}`` is the **rest** of row a (its unvisited columns).  Rows share their
W-values across factors, never their x.

With a polynomial ``f = sum_p a_p x^p`` everything is a polynomial expectation,
evaluated in three stages exactly as MATH.md §4 prescribes:

1. inside each factor, integrate the x of the visited columns (moments ``mu_p``);
2. integrate each incidence weight: ``\\int w^p nu(dw) = gamma_p``;
3. the rests of one row across factors ``t_1..t_r`` have joint cumulants
   ``kappa(R^{(t_1)}, ..., R^{(t_r)}) = gamma_r prod_t mu_{r_t}``; their joint
   moments follow from the cumulants (moment–cumulant recursion).

The computation is organised row by row.  A factor couples its two rows only
through the input ``x`` of their shared column; each row's own expectation is
tabulated against the exponents of those shared inputs, and the tables are
joined across the block tree.  Coefficients live in one sympy polynomial ring
(python-flint rationals underneath when installed) and become sympy expressions
only at the edge.

Symmetry does the pruning: in a half-factor ``f(h_a)`` of an off-diagonal factor
the shared input must carry an odd power (otherwise the row's private inputs
carry an odd power and the term vanishes), and every incidence weight ends with
an even power >= 2, so ``gamma_0`` never occurs.
"""

from collections import defaultdict
from itertools import product
from math import comb, factorial

import sympy
from sympy.polys.rings import sring

from .errors import MomentckError

__all__ = ["Coefficients", "shape_weight", "generic_coefficients"]


class Coefficients:
    """The numbers a weight is made of, all in one exact ring.

    Parameters
    ----------
    a : dict
        Odd Taylor coefficients ``{p: a_p}`` of f (sympy expressions), ``p <= degree``.
    gamma : callable
        ``gamma(p)``: Lévy moment of the weight law (even ``p >= 2``).
    mu : callable
        ``mu(p)``: input moment.
    max_order : int
        Largest Lévy-moment order needed (``2 * degree * k`` suffices for walks of length k).

    Notes
    -----
    All values are converted together with :func:`sympy.polys.rings.sring`, so that
    symbols (``c``, ``a3``, ...) and constants such as ``1/sqrt(pi)`` become ring
    generators; when there are none, raw domain elements (exact rationals) are used.
    """

    def __init__(self, a, gamma, mu, max_order):
        self.degree = max(p for p, v in a.items() if v != 0)
        odd = list(range(1, self.degree + 1, 2))
        even = list(range(2, max_order + 1, 2))
        mus = list(range(2, max(2 * self.degree, 2) + 1, 2))
        raw = [sympy.sympify(a.get(p, 0)) for p in odd]
        raw += [sympy.sympify(gamma(p)) for p in even]
        raw += [sympy.sympify(mu(p)) for p in mus]
        for v in raw:
            if v.has(sympy.oo, sympy.zoo, sympy.nan):
                raise MomentckError("symbolic weights need finite moments; use method='numeric'")
        ring, elems = sring(raw)
        self.ring = ring
        if ring.ngens == 0:
            dom = ring.domain
            elems = [e.LC if e else dom.zero for e in elems]
            self.zero, self.one = dom.zero, dom.one
            self._to_sympy = dom.to_sympy
        else:
            self.zero, self.one = ring.zero, ring.one
            self._to_sympy = lambda e: e.as_expr()
        it = iter(elems)
        self.a = {p: next(it) for p in odd}
        self._gamma = {p: next(it) for p in even}
        self._mu = {0: self.one}
        self._mu.update({p: next(it) for p in mus})
        self.max_order = max_order

    def gamma(self, p):
        if p % 2:
            return self.zero
        if p not in self._gamma:
            raise MomentckError(f"Lévy moment gamma_{p} beyond max_order={self.max_order}")
        return self._gamma[p]

    def mu(self, p):
        if p % 2:
            return self.zero
        return self._mu[p]

    def to_sympy(self, value):
        """Convert a ring value to a sympy expression."""
        return self._to_sympy(value)


def generic_coefficients(degree, k):
    """Coefficients with symbols ``a1, a3, ..``, ``gamma2, gamma4, ..``, ``mu4, mu6, ..`` (mu2 = 1).

    The weight computed with these is the polynomial of MATH.md §4 in the
    activation's Taylor coefficients, the Lévy moments and the input moments.
    """
    a = {p: sympy.Symbol(f"a{p}") for p in range(1, degree + 1, 2)}
    return Coefficients(a, lambda p: sympy.Symbol(f"gamma{p}"),
                        lambda p: sympy.Integer(1) if p == 2 else sympy.Symbol(f"mu{p}"),
                        max_order=2 * degree * k)


def _compositions(total, parts):
    """All tuples of ``parts`` non-negative integers summing to ``total``."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for tail in _compositions(total - first, parts - 1):
            yield (first,) + tail


def _multinomial(parts):
    out = factorial(sum(parts))
    for p in parts:
        out //= factorial(p)
    return out


class _RowAlgebra:
    """Per-coefficient-set caches: factor menus and joint moments of the rests."""

    def __init__(self, co):
        self.co = co
        self._menus = {}
        self._moments = {(): co.one}
        odd = sorted(co.a)
        self.pairs = defaultdict(lambda: co.zero)
        for p in odd:
            for q in odd:
                self.pairs[p + q] = self.pairs[p + q] + co.a[p] * co.a[q]

    def diag_menu(self, deg):
        """Terms of ``E_x f(h)^2`` (x of the visited columns integrated).

        Entries ``(w exponents per incidence, rest exponent, coefficient)``.
        """
        key = ("d", deg)
        if key not in self._menus:
            co, acc = self.co, defaultdict(lambda: self.co.zero)
            for total in range(2, 2 * co.degree + 1, 2):
                c = self.pairs[total]
                if not c:
                    continue
                for comp in _compositions(total, deg + 1):
                    ws = comp[:deg]
                    if any(n % 2 for n in ws):
                        continue
                    term = c * _multinomial(comp)
                    for n in ws:
                        term = term * co.mu(n)
                    acc[(ws, comp[deg])] += term
            self._menus[key] = [(w, r, v) for (w, r), v in acc.items() if v]
        return self._menus[key]

    def half_menu(self, deg, shared):
        """Terms of one half ``f(h_a)`` of an off-diagonal factor through incidence ``shared``.

        Entries ``(w exponents, exponent of the shared input, rest exponent, coefficient)``;
        the private inputs are integrated, the shared one is left for the join.
        """
        key = ("h", deg, shared)
        if key not in self._menus:
            co, acc = self.co, defaultdict(lambda: self.co.zero)
            for p, ap in co.a.items():
                if not ap:
                    continue
                for comp in _compositions(p, deg + 1):
                    ws = comp[:deg]
                    if ws[shared] % 2 == 0:
                        continue
                    if any(n % 2 for i, n in enumerate(ws) if i != shared):
                        continue
                    term = ap * _multinomial(comp)
                    for i, n in enumerate(ws):
                        if i != shared:
                            term = term * co.mu(n)
                    acc[(ws, ws[shared], comp[deg])] += term
            self._menus[key] = [(w, s, r, v) for (w, s, r), v in acc.items() if v]
        return self._menus[key]

    def rest_moment(self, exps):
        """``E[prod_t (R^{(t)})^{n_t}]`` for the sorted tuple ``exps`` of positive n_t.

        Joint cumulants ``kappa(j) = gamma_{|j|} prod_t mu_{j_t}``; recursion on the
        first coordinate: ``m(n) = sum_{j <= n - e_1} C(n - e_1, j) kappa(j + e_1) m(n - e_1 - j)``.
        """
        got = self._moments.get(exps)
        if got is not None:
            return got
        co = self.co
        head = (exps[0] - 1,) + exps[1:]
        total = co.zero
        # j_1 + 1 and the other j_t must be even (odd input moments vanish)
        ranges = [range(1, head[0] + 1, 2)] + [range(0, n + 1, 2) for n in head[1:]]
        for j in product(*ranges):
            first = j[0] + 1
            kappa = co.gamma(first + sum(j[1:])) * co.mu(first)
            if not kappa:
                continue
            for x in j[1:]:
                if x:
                    kappa = kappa * co.mu(x)
            coef = 1
            for n, x in zip(head, j):
                coef *= comb(n, x)
            rest = tuple(sorted(n - x for n, x in zip(head, j) if n - x))
            sub = self.rest_moment(rest)
            if sub:
                total = total + coef * kappa * sub
        self._moments[exps] = total
        return total


def _row_table(alg, deg, diag_count, halves):
    """Expectation of one row's part of the weight, tabulated by shared-input exponents.

    Parameters
    ----------
    deg : int
        Number of incidences (blocks) of the row.
    diag_count : int
        Number of diagonal factors at the row.
    halves : list of int
        For each off-diagonal factor at the row, the index of the shared incidence.

    Returns
    -------
    dict
        ``{tuple of shared-input exponents (one per half): coefficient}``.
    """
    co = alg.co
    states = {((0,) * deg, (), ()): co.one}
    for _ in range(diag_count):
        menu = alg.diag_menu(deg)
        new = defaultdict(lambda: co.zero)
        for (w, rest, keys), c in states.items():
            for dw, r, v in menu:
                nr = tuple(sorted(rest + (r,))) if r else rest
                new[(tuple(x + y for x, y in zip(w, dw)), nr, keys)] += c * v
        states = new
    for shared in halves:
        menu = alg.half_menu(deg, shared)
        new = defaultdict(lambda: co.zero)
        for (w, rest, keys), c in states.items():
            for dw, s, r, v in menu:
                nr = tuple(sorted(rest + (r,))) if r else rest
                new[(tuple(x + y for x, y in zip(w, dw)), nr, keys + (s,))] += c * v
        states = new
    table = defaultdict(lambda: co.zero)
    for (w, rest, keys), c in states.items():
        if not c:
            continue
        if any(n == 0 for n in w):  # pragma: no cover - excluded by the parity argument
            raise AssertionError("an incidence weight with total power 0")
        g = c
        for n in w:
            g = g * co.gamma(n)
            if not g:
                break
        if not g:
            continue
        m = alg.rest_moment(rest)
        if m:
            table[keys] += g * m
    return {k: v for k, v in table.items() if v}


def shape_weight(shape, co):
    """Exact weight ``w(S)`` of a shape as an element of ``co``'s ring.

    Parameters
    ----------
    shape : Shape
    co : Coefficients

    Returns
    -------
    ring element
        Convert with ``co.to_sympy``.
    """
    alg = co.__dict__.get("_algebra")
    if alg is None:
        alg = co._algebra = _RowAlgebra(co)
    rows = shape.rows
    incid = [[] for _ in range(rows)]          # blocks of each row
    for j, block in enumerate(shape.blocks):
        for a in block:
            incid[a].append(j)
    shared_block = shape.pair_blocks
    # Off-diagonal factor instances, with their ends' half lists.
    halves = [[] for _ in range(rows)]          # per row: list of (factor id, shared index)
    fid = 0
    for (a, b), m in shape.pairs:
        j = shared_block[(a, b)]
        for _ in range(m):
            halves[a].append((fid, incid[a].index(j)))
            halves[b].append((fid, incid[b].index(j)))
            fid += 1
    # Join the row tables over the shared inputs, row by row.
    partial = {(): co.one}                       # open factor exponents (sorted by id) -> value
    open_ids = ()
    for a in range(rows):
        table = _row_table(alg, len(incid[a]), shape.diag[a], [s for _, s in halves[a]])
        ids = [f for f, _ in halves[a]]
        closing = [i for i, f in enumerate(ids) if f in open_ids]
        opening = [i for i, f in enumerate(ids) if f not in open_ids]
        new_open = tuple(sorted(set(open_ids) - {ids[i] for i in closing}) + [ids[i] for i in opening])
        pos = {f: i for i, f in enumerate(open_ids)}
        new = defaultdict(lambda: co.zero)
        for assign, c in partial.items():
            for keys, v in table.items():
                val = c * v
                for i in closing:
                    val = val * co.mu(assign[pos[ids[i]]] + keys[i])
                    if not val:
                        break
                if not val:
                    continue
                closed = {ids[i] for i in closing}
                kept = tuple(assign[pos[f]] for f in sorted(set(open_ids) - closed))
                new[kept + tuple(keys[i] for i in opening)] += val
        partial = {k: v for k, v in new.items() if v}
        open_ids = new_open
    if open_ids:  # pragma: no cover - every factor has two ends
        raise AssertionError("unclosed factors")
    return partial.get((), co.zero)
