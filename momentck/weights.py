"""Exact (symbolic) weights w(S) of walk shapes (MATH.md §3–§4).

For a shape S the weight is

    w(S) = \\int prod_{incidences e} nu(dw_e) E[ prod_t K_t ],

where each factor ``K_t = f(h_a^{(t)}) f(h_b^{(t)})`` uses its own copy ``x^{(t)}``
of the inputs and ``h_a^{(t)} = sum_{e in a} w_e x^{(t)}_{col(e)} + R_a^{(t)}``;
``R_a^{(t)}`` is the **rest** of row a (its unvisited columns).  Rows share their
W-values across factors, never their x.

With a polynomial ``f = sum_p a_p x^p`` everything is a polynomial expectation
(MATH.md §4), evaluated row by row:

1. given the W-values, a row's rests ``R^{(t)} = sum_v v x_v^{(t)}`` are independent
   across factors with cumulants ``kappa_m(x) P_m``, ``P_m = sum_v v^m``; integrating
   the x of the visited columns (moments ``mu_p``) makes each factor a polynomial in
   the incidence weights ``w_e``, the power sums ``P_m`` and its shared inputs;
2. the factors of a row multiply; the expectation over W sends ``w_e^n`` to
   ``gamma_n = \\int w^n nu(dw)`` and ``prod_m P_m^{b_m}`` to a moment of the
   compound-Poisson vector ``(P_m)``, whose joint cumulants are
   ``kappa(P_{m_1}, ..., P_{m_r}) = gamma_{m_1 + ... + m_r}``; this equals the
   set-partition sum over the joint cumulants
   ``kappa(R^{(t_1)}, ..., R^{(t_r)}) = gamma_r prod_t mu_{r_t}`` of the rests;
3. a factor couples its two rows only through the input of their shared column:
   each row's expectation is tabulated against how many of its halves carry each
   power of their shared input (halves at one incidence are exchangeable), and
   the tables are joined up the block tree by messages memoised by structure.

Polynomials are dictionaries keyed by monomials packed into one int, with
coefficients in one sympy polynomial ring (python-flint rationals underneath when
installed); they become sympy expressions only at the edge.

Symmetry does the pruning: in a half-factor ``f(h_a)`` of an off-diagonal factor
the shared input carries an odd power (otherwise the row's private inputs carry
an odd power and the term vanishes), and every incidence weight ends with an even
power >= 2, so ``gamma_0`` never occurs.
"""

from itertools import product
from math import comb

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


def _mul(x, y):
    """Product of two sparse polynomials ``{packed monomial: coefficient}``."""
    if len(x) < len(y):
        x, y = y, x
    out = {}
    get = out.get
    for m2, c2 in y.items():
        for m1, c1 in x.items():
            m = m1 + m2
            v = get(m)
            out[m] = c1 * c2 if v is None else v + c1 * c2
    return {m: v for m, v in out.items() if v}


def _add_to(acc, poly, coef=1, shift=0):
    """``acc += coef * monomial(shift) * poly`` in place."""
    for m, v in poly.items():
        key = m + shift
        acc[key] = acc[key] + coef * v if key in acc else coef * v


#: bits per field of a packed count vector (how many halves carry each power)
_COUNT_BITS = 16


class _Layout:
    """Monomials ``prod_e w_e^{n_e} prod_i P_{2i+2}^{b_i}`` of one row, packed into an int.

    ``w_e`` are the row's incidence weights (``e < deg``), ``P_m = sum_v v^m`` the power
    sums of the weights of its unvisited columns; each exponent gets ``bits`` bits.
    """

    def __init__(self, deg, npow, bits):
        self.deg, self.npow, self.bits = deg, npow, bits
        self.mask = (1 << bits) - 1
        self.key = (deg, bits)

    def w(self, e, n=1):
        return n << (e * self.bits)

    def p(self, i, n=1):
        return n << ((self.deg + i) * self.bits)

    def unpack(self, mono):
        out = []
        for _ in range(self.deg + self.npow):
            out.append(mono & self.mask)
            mono >>= self.bits
        return out[:self.deg], tuple(out[self.deg:])


class _RowAlgebra:
    """Per-coefficient-set caches: factor polynomials, row tables, expectations.

    One factor ``t`` at a row, given all the W-values, is a polynomial in the
    incidence weights ``w_e`` and the power sums ``P_m`` of the row's rest: its
    private inputs are independent given W, and ``R^{(t)} = sum_v v x_v^{(t)}`` has
    conditional cumulants ``kappa_m(x) P_m``.  The factors of a row multiply as
    polynomials; the expectation over W then sends ``w_e^n`` to ``gamma_n`` and
    ``prod P_m^{b_m}`` to the moment of the compound-Poisson vector ``(P_m)``, whose
    joint cumulants are ``kappa(P_{m_1}, .., P_{m_r}) = gamma_{m_1 + .. + m_r}``.
    """

    def __init__(self, co):
        self.co = co
        self.exps = tuple(range(1, co.degree + 1, 2))   # odd powers of a shared input
        self.npow = co.degree                            # P_2, P_4, .., P_{2 degree}
        zero = co.zero
        self.pairs = {}
        for p in co.a:
            for q in co.a:
                self.pairs[p + q] = self.pairs.get(p + q, zero) + co.a[p] * co.a[q]
        self.kappa = self._cumulants(2 * co.degree)
        self._cache = {}
        self._ids = {}
        self._pmoments = {(0,) * self.npow: co.one}

    def _cumulants(self, top):
        """Cumulants ``kappa_n`` of one input, ``n <= top`` (odd ones vanish)."""
        co, kappa = self.co, {}
        for n in range(1, top + 1):
            v = co.mu(n)
            for i in range(1, n):
                if kappa[i] and co.mu(n - i):
                    v = v - comb(n - 1, i - 1) * kappa[i] * co.mu(n - i)
            kappa[n] = v
        return kappa

    def _memo(self, key, build):
        got = self._cache.get(key)
        if got is None:
            got = self._cache[key] = build()
        return got

    def _sum_moments(self, lay, members):
        """``[E(sum_{e in members} w_e x_e + R)^n | W] for n <= 2 degree]`` as polynomials."""
        def build():
            co = self.co
            top = 2 * co.degree
            if not members:                 # E[R^n | W]: complete Bell polynomial in kappa_m P_m
                out = [{0: co.one}]
                for n in range(1, top + 1):
                    acc = {}
                    for i in range(2, n + 1, 2):
                        if self.kappa[i]:
                            _add_to(acc, out[n - i], comb(n - 1, i - 1) * self.kappa[i], lay.p(i // 2 - 1))
                    out.append({m: v for m, v in acc.items() if v})
                return out
            e, rest = members[-1], self._sum_moments(lay, members[:-1])
            out = []
            for n in range(top + 1):
                acc = {}
                for j in range(0, n + 1, 2):
                    _add_to(acc, rest[n - j], comb(n, j) * co.mu(j), lay.w(e, j))
                out.append({m: v for m, v in acc.items() if v})
            return out
        return self._memo(("moments", lay.key, members), build)

    def _diag_poly(self, lay):
        """``E_x f(h)^2`` given W, h = sum_e w_e x_e + R (a diagonal factor)."""
        def build():
            moments, acc = self._sum_moments(lay, tuple(range(lay.deg))), {}
            for n, c in self.pairs.items():
                if c:
                    _add_to(acc, moments[n], c)
            return {m: v for m, v in acc.items() if v}
        return self._memo(("diag", lay.key), build)

    def _half_poly(self, lay, s, k):
        """Coefficient of ``xi^k`` in ``E f(w_s xi + sum_{e != s} w_e x_e + R)`` given W:
        one half of an off-diagonal factor whose shared input ``xi`` sits at incidence s."""
        def build():
            moments = self._sum_moments(lay, tuple(e for e in range(lay.deg) if e != s))
            acc = {}
            for p, ap in self.co.a.items():
                if ap and p >= k:
                    _add_to(acc, moments[p - k], comb(p, k) * ap, lay.w(s, k))
            return {m: v for m, v in acc.items() if v}
        return self._memo(("half", lay.key, s, k), build)

    def _power_moment(self, b):
        """``E prod_i P_{2i+2}^{b_i}``; joint cumulants ``gamma_{sum of orders}``, recursion on
        the first nonzero exponent."""
        got = self._pmoments.get(b)
        if got is not None:
            return got
        co = self.co
        i = next(i for i, n in enumerate(b) if n)
        head = b[:i] + (b[i] - 1,) + b[i + 1:]
        total = co.zero
        for j in product(*(range(n + 1) for n in head)):
            g = co.gamma(2 * (i + 1) + sum(2 * (l + 1) * x for l, x in enumerate(j)))
            if not g:
                continue
            coef = 1
            for n, x in zip(head, j):
                coef *= comb(n, x)
            sub = self._power_moment(tuple(n - x for n, x in zip(head, j)))
            if sub:
                total = total + coef * g * sub
        self._pmoments[b] = total
        return total

    def _expect(self, lay, poly, shift=0):
        """Expectation over W of ``poly`` times the monomial ``shift``: ``w_e^n -> gamma_n``,
        ``prod P^b`` -> its compound-Poisson moment."""
        co = self.co
        cache = self._cache.setdefault(("mono", lay.key), {})
        total = co.zero
        for mono, c in poly.items():
            mono += shift
            v = cache.get(mono)
            if v is None:
                ws, b = lay.unpack(mono)
                if 0 in ws:  # pragma: no cover - every incidence carries a shared input
                    raise AssertionError("an incidence weight with total power 0")
                v = self._power_moment(b)
                for n in ws:
                    if not v:
                        break
                    v = v * co.gamma(n)
                cache[mono] = v
            if v:
                total = total + c * v
        return total

    def row_table(self, deg, diag, halves):
        """Expectation of one row's part of the weight, by counts of shared-input powers.

        Parameters
        ----------
        deg : int
            Number of incidences (blocks) of the row.
        diag : int
            Number of diagonal factors at the row.
        halves : tuple of int
            For each incidence, the number of off-diagonal factors (halves) sharing its input.

        Returns
        -------
        dict
            ``{counts: value}``; ``counts[e][i]`` is how many halves at incidence e carry
            the power ``exps[i]`` of their shared input.  The row's expectation for a given
            assignment of powers to halves depends only on these counts.
        """
        key = ("row", deg, diag, halves)
        got = self._cache.get(key)
        if got is not None:
            return got
        co = self.co
        lay = _Layout(deg, self.npow, (2 * co.degree * (diag + sum(halves))).bit_length() or 1)
        states = {(): {0: co.one}}           # products of the halves, by power counts
        for s, m in enumerate(halves):
            powers = [[{0: co.one}] for _ in self.exps]
            for i, k in enumerate(self.exps):
                for _ in range(m):
                    powers[i].append(_mul(powers[i][-1], self._half_poly(lay, s, k)))
            new = {}
            for counts in _compositions(m, len(self.exps)):
                factor = {0: co.one}
                for i, n in enumerate(counts):
                    factor = _mul(factor, powers[i][n])
                packed = sum(n << (_COUNT_BITS * i) for i, n in enumerate(counts))
                for keys, p in states.items():
                    new[keys + (packed,)] = _mul(p, factor)
            states = new
        diagonal = {0: co.one}
        for _ in range(diag):
            diagonal = _mul(diagonal, self._diag_poly(lay))
        # E[diagonal * halves] = sum over the halves' monomials a of c_a E[diagonal * a]
        with_diagonal = {}
        table = {}
        for keys, p in states.items():
            v = co.zero
            for a, c in p.items():
                e = with_diagonal.get(a)
                if e is None:
                    e = with_diagonal[a] = self._expect(lay, diagonal, a)
                if e:
                    v = v + c * e
            if v:
                table[keys] = v
        self._cache[key] = table
        return table

    def pairing(self, m):
        """``{(c, c'): value}``: sum over the powers of m shared inputs, ``c`` and ``c'`` counting
        them at the two ends, of ``prod mu_{k + k'}`` (the inputs shared by two rows)."""
        def build():
            co = self.co
            states = {(0, 0): co.one}
            for _ in range(m):
                new = {}
                for (c, d), v in states.items():
                    for i, k in enumerate(self.exps):
                        ci = c + (1 << (_COUNT_BITS * i))
                        for j, q in enumerate(self.exps):
                            mu = co.mu(k + q)
                            if mu:
                                key = (ci, d + (1 << (_COUNT_BITS * j)))
                                new[key] = new[key] + v * mu if key in new else v * mu
                states = new
            return {key: v for key, v in states.items() if v}
        return self._memo(("pairing", m), build)


    def row_message(self, diag, halves, up, blocks):
        """``{t: value}``: a row's table summed against the messages of the blocks below it.

        ``halves`` counts the row's halves per incidence; incidence 0 is the block above
        the row when ``up`` (then ``t`` is the power counts there), and ``t = ()`` for the
        root.  ``blocks`` are the messages of the blocks below, in incidence order.
        """
        table = self.row_table(len(halves), diag, tuple(halves))
        off = 1 if up else 0
        out = {}
        for counts, v in table.items():
            for i, msg in enumerate(blocks):
                w = msg.get(counts[off + i])
                if not w:
                    break
                v = v * w
            else:
                t = counts[0] if up else ()
                out[t] = out[t] + v if t in out else v
        return {t: v for t, v in out.items() if v}

    def block_message(self, pairs, kids):
        """``{t: value}``: a block below a row, summed over the powers of its shared input.

        The block's rows are its parent (index 0) and ``len(kids)`` rows below it, whose
        messages are ``kids``; ``pairs`` lists ``(x, y, m)``: m factors between rows x < y of
        the block.  ``t`` is the parent's power counts at the block.
        """
        n, co = len(kids) + 1, self.co
        states = {(0,) * n: co.one}
        for x in range(1, n):                  # each row below: its pairs, then its message
            for p, q, m in pairs:
                if x not in (p, q) or (p != 0 and p < x):
                    continue                   # pairs with an earlier row are done already
                new, pairing = {}, self.pairing(m).items()
                for st, v in states.items():
                    for (cp, cq), w in pairing:
                        nxt = list(st)
                        nxt[p] += cp
                        nxt[q] += cq
                        nxt = tuple(nxt)
                        val = v * w
                        new[nxt] = new[nxt] + val if nxt in new else val
                states = new
            new, msg = {}, kids[x - 1]
            for st, v in states.items():
                w = msg.get(st[x])
                if w:
                    nxt = st[:x] + (None,) + st[x + 1:]
                    new[nxt] = new[nxt] + v * w if nxt in new else v * w
            states = new
        out = {}
        for st, v in states.items():
            out[st[0]] = out[st[0]] + v if st[0] in out else v
        return {t: v for t, v in out.items() if v}

    def message(self, key, build):
        """The message with structural ``key`` (built once), and a small int naming it."""
        got = self._ids.get(key)
        if got is None:
            got = self._ids[key] = (len(self._ids), build())
        return got


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

    Notes
    -----
    The rows' tables (:meth:`_RowAlgebra.row_table`) are joined over the inputs the
    rows share, up the block tree: each block below a row is summed, given the row's
    power counts at the block, over its other rows' subtrees (a *message*), and each
    row's table against the messages of the blocks below it.  Messages depend only
    on the subtree's structure and are reused across shapes.
    """
    alg = co.__dict__.get("_algebra")
    if alg is None:
        alg = co._algebra = _RowAlgebra(co)
    blocks, rows = shape.blocks, shape.rows
    incid = [[] for _ in range(rows)]          # blocks of each row; the block above comes first
    for j, block in enumerate(blocks):
        for a in block:
            incid[a].append(j)
    mult = dict(shape.pairs)
    halves = [[0] * len(incid[a]) for a in range(rows)]
    for j, block in enumerate(blocks):
        for x, a in enumerate(block):
            for b in block[x + 1:]:
                m = mult.get((a, b) if a < b else (b, a), 0)
                halves[a][incid[a].index(j)] += m
                halves[b][incid[b].index(j)] += m
    names, msgs = [None] * rows, [None] * rows
    bnames, bmsgs = {}, {}
    for a in reversed(range(rows)):            # rows below have larger labels
        below = [j for j in incid[a] if blocks[j][0] == a]
        for j in below:
            block = blocks[j]                  # its parent a first, then the rows below it
            pairs = [(x, y, mult[key]) for x in range(len(block)) for y in range(x + 1, len(block))
                     if (key := (min(block[x], block[y]), max(block[x], block[y]))) in mult]
            kids = block[1:]
            name = ("block", tuple(names[c] for c in kids), tuple(pairs))
            bnames[j], bmsgs[j] = alg.message(name, lambda: alg.block_message(pairs, [msgs[c] for c in kids]))
        # the row's value does not depend on the order of the blocks below it
        below = sorted(below, key=lambda j: (halves[a][incid[a].index(j)], bnames[j]))
        own = [halves[a][0]] if a else []
        own += [halves[a][incid[a].index(j)] for j in below]
        name = ("row", shape.diag[a], a > 0, tuple(own), tuple(bnames[j] for j in below))
        names[a], msgs[a] = alg.message(name, lambda: alg.row_message(shape.diag[a], own, a > 0,
                                                                       [bmsgs[j] for j in below]))
    return msgs[0].get((), co.zero)
