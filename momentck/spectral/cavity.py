"""Population dynamics for the resolvent of K on the block tree, with the Silverstein step (MATH.md §7).

A *member* of the population is a row b reached through one column (its parent
block P): its incidence weight ``w`` on P, its norm ``s`` (which includes ``w^2``) and
its cavity self-energy ``Sigma_b(zeta)`` from its other blocks.  For a row a and a
block B of a with other rows b (members drawn from the population),

    k_B^T (K_{B\\a} - zeta - D_B)^{-1} k_B,    k_b = off(s_a, s_b, w_a w_b),

with ``K_{B\\a}`` the entries among the other rows (diag(s_b) on its diagonal) and
``D_B = diag(Sigma_b)``, summed over the blocks of a, is a's self-energy (Schur
complements on a tree of cliques).  A new member has a parent weight ``w ~ nu``,
``Poisson(lam)`` child columns each with ``Poisson(lam/psi)`` other rows; a root row is
the same with no parent (``w = 0``).  ``G = 1/(diag(s) - zeta - Sigma)`` at the root
averages to ``s_H(zeta)``.  Each sweep replaces the whole population (vectorised over
rows, blocks and spectral points).  The small block systems are solved by symmetric
Gaussian elimination without pivoting: ``Im(zeta + Sigma) > 0`` makes every leading
block of ``K - zeta - D`` invertible.

The Silverstein step runs in the same loop: for each z the solver keeps
``omega(z)``, evaluates the population at ``zeta = z/omega``, and sets
``s_M = s_H(zeta)/omega``, ``omega <- 1 - gamma - gamma z s_M`` (damped).

Weak couplings (stable weights, incidences below the cut) enter to first order in the
small weight: a column's small rows b couple to every other row y of the column (kept
rows x, the owner, and each other) as ``v_b v_y``, ``v = w slope(s)``, so among the small
rows the column's block is ``diag(1/G_b) + v v^T`` with ``G_b = 1/(K_bb - v_b^2 - zeta -
Sigma_b)``.  Schur-complementing all of them out at once (Sherman–Morrison) changes the
column's entries among its kept rows (owner included) to ``K_xy - tau v_x v_y`` with
``tau = q/(1 + q)``, ``q = sum_b v_b^2 G_b`` replaced by its mean ``m_small/psi
E_w(slope(s_b)^2 G_b)`` (Mecke: b is a root row whose norm also holds its small weight w,
drawn from ``w^2 nu(dw)/m_small``).  Adding ``sum_b K_ab^2 G_b`` unscreened made K
indefinite.  The owner's own small columns add ``slope(s_a)^2 S_a (tau + E_col(u^T (K_B -
tau v v^T - zeta - D_B)^{-1} u))`` (``u = (1 - tau) v`` over a random column of members;
``tau``: the column's small rows) with a's own rest ``S_a``, not its mean: a row with a
small norm has a small diagonal and small weak couplings alike.  Without the small rows'
couplings among themselves (``tau = q``, and no ``tau`` term at the owner's small columns)
the pairs of rows meeting through a column where both weights are below the cut were
lost: h_2 short by ``O(m_small^2)`` and the CDF off by 0.023 at eps = 0.2 (MATH.md §7).
"""

import numpy as np
import scipy.sparse as sp

__all__ = ["block_forms", "population_resolvent"]

#: complex elements per chunk of block systems (2 MiB: the elimination's working set stays in cache;
#: 2^17 to 2^18 were fastest, 2^22 took 1.8x as long)
_CHUNK = 1 << 17


def block_forms(K, k, D):
    """``k^T (K - diag D)^{-1} k`` for a batch of small symmetric systems.

    Symmetric elimination of the last unknown, repeatedly (only the lower triangle
    is updated, one row at a time over the batch).

    Parameters
    ----------
    K : ndarray, shape (L, L, B) or (L, L, B, nz)
        Symmetric blocks (real, or complex per spectral point).
    k : ndarray, shape (L, B) or (L, B, nz)
    D : ndarray, shape (L, B, nz), complex

    Returns
    -------
    ndarray, shape (B, nz)

    Examples
    --------
    >>> K = np.array([[[2.0], [1.0]], [[1.0], [3.0]]]); k = np.array([[1.0], [2.0]])
    >>> D = np.full((2, 1, 1), 1j)
    >>> A = K[:, :, 0] - 1j * np.eye(2)
    >>> bool(np.isclose(block_forms(K, k, D)[0, 0], k[:, 0] @ np.linalg.solve(A, k[:, 0])))
    True
    """
    A = np.empty(K.shape[:2] + D.shape[1:], dtype=np.complex128)
    A[...] = K if K.ndim == 4 else K[..., None]
    kk = np.empty(D.shape, dtype=np.complex128)
    kk[...] = k if k.ndim == 3 else k[..., None]
    return _eliminate(A, kk, D)


def _eliminate(A, kk, D):
    """``kk^T (A - diag D)^{-1} kk`` over the batch; ``A`` (L, L, ...) and ``kk`` (L, ...) are
    overwritten (work arrays; only A's lower triangle is read)."""
    L = A.shape[0]
    diag = np.arange(L)
    A[diag, diag] -= D
    out = np.zeros(D.shape[1:], dtype=A.dtype)
    for j in range(L - 1, -1, -1):
        inv = np.reciprocal(A[j, j])
        kj = kk[j] * inv
        out += kk[j] * kj
        if j == 0:
            break
        row = A[j, :j]
        kk[:j] -= row * kj
        row_inv = row * inv
        for i in range(j):
            A[i, :i + 1] -= row_inv[i] * row[:i + 1]
    return out


def _owner_coupling(entries, own_s, own_w, sb, wb):
    return entries.off(own_s, sb, own_w * wb)


def _rank_one_columns(entries, factor, own_s, own_w, L, idx, pop_s, pop_w, pop_sig, zeta):
    """All columns at once when ``off = rho factor(s_a) factor(s_b)``: each member's share
    ``(w r)^2 / (K_bb - (w r)^2 - zeta - Sigma_b)`` of q depends on the member only, so
    ``q = (columns x members) @ shares`` (Sherman–Morrison: the block term is ``r_a^2 q/(1 + q)``, ``r_a = w_a factor(s_a)``)."""
    real = pop_sig.real.dtype
    wr2 = ((pop_w * factor(pop_s)) ** 2).astype(real)
    share = np.subtract((entries.diag(pop_s) - wr2).astype(real)[:, None], pop_sig)
    share -= zeta[None, :]
    np.divide(wr2[:, None], share, out=share)
    start = np.concatenate(([0], np.cumsum(L)))
    pick = sp.csr_matrix((np.ones(len(idx), dtype=real), idx, start), shape=(len(L), len(pop_s)))
    q = pick @ share
    q += 1.0                                   # r_a^2 q/(1 + q) = r_a^2 (1 - 1/(1 + q)), in place
    np.reciprocal(q, out=q)
    np.subtract(1.0, q, out=q)
    q *= ((own_w * factor(own_s)) ** 2)[:, None]
    return q


def _column_terms(entries, own_s, own_w, L, idx, pop_s, pop_w, pop_sig, zeta, coupling=_owner_coupling,
                  tau=None):
    """Block terms of columns (owner norm, owner weight, L members each) -> (ncols, nz).

    ``tau`` (nz,), for stable weights: the column's small rows, Schur-complemented out,
    change every entry among its kept rows x, y (owner included) by ``-tau v_x v_y``,
    ``v = w slope(s)``, ``tau = sum_b v_b^2 G_b`` (its mean: ``m_small/psi E_w(slope^2 G)``).
    """
    nz = len(zeta)
    factor = getattr(entries, "factor", None)
    if factor is not None and coupling is _owner_coupling and tau is None:
        return _rank_one_columns(entries, factor, own_s, own_w, L, idx, pop_s, pop_w, pop_sig, zeta)
    dtype = pop_sig.dtype
    out = np.zeros((len(L), nz), dtype=dtype)
    start = np.concatenate(([0], np.cumsum(L)))
    for size in np.unique(L[L > 0]):
        cols = np.flatnonzero(L == size)
        step = max(1, _CHUNK // (size * size * nz))
        for c0 in range(0, len(cols), step):
            cc = cols[c0:c0 + step]
            mem = idx[start[cc][:, None] + np.arange(size)[None, :]].T        # (L, B)
            sb, wb = pop_s[mem], pop_w[mem]
            k = coupling(entries, own_s[cc][None, :], own_w[cc][None, :], sb, wb)
            K = entries.off(sb[:, None], sb[None, :], wb[:, None] * wb[None, :])
            K[np.arange(size), np.arange(size)] = entries.diag(sb)
            if tau is None:
                A = np.empty(K.shape + (nz,), dtype=dtype)
                kk = np.empty(k.shape + (nz,), dtype=dtype)
                A[...], kk[...] = K[..., None], k[..., None]
            else:
                vb = wb * entries.slope(sb)
                va = own_w[cc] * (entries.slope(own_s[cc]) if coupling is _owner_coupling else 1.0)
                A = np.multiply.outer(vb[:, None, :] * vb[None, :, :], -tau.astype(dtype))
                A += K[..., None]
                kk = np.multiply.outer(va[None, :] * vb, -tau.astype(dtype))
                kk += k[..., None]
            out[cc] = _eliminate(A, kk, pop_sig[mem] + zeta)
    return out


def population_resolvent(tree, entries, z, gamma, psi, size, sweeps, burn, rng, fixed=(),
                         batches=8, bar=None, dtype=np.complex128, wide=0):
    """Solve the cavity recursion with the Silverstein step by population dynamics.

    Parameters
    ----------
    tree : :class:`momentck.spectral.trees.Tree`
    entries : K-entry family (:mod:`momentck.spectral.entries`)
    z : ndarray of complex, Im z > 0
        Spectral points of M.
    gamma, psi : float
    size : int
        Population size (members; as many root rows per sweep).
    sweeps, burn : int
        Measured sweeps after ``burn`` sweeps of burn-in.
    fixed : sequence of complex
        Extra points where ``s_H`` itself is wanted (no subordination).
    batches : int
        Number of batch means (over sweeps).
    bar : object with ``update(n)``, optional
        Progress bar, advanced once per sweep.
    dtype : numpy complex dtype
        Of the self-energies and block terms at the first ``len(z) - wide`` points
        (``complex64`` halves the memory traffic); the last ``wide`` points of ``z`` (far
        from the spectrum, where moments are read off) and ``fixed`` stay in complex128,
        on the same sampled trees.  Weights with small incidences (a mean field) use
        complex128 throughout.

    Returns
    -------
    dict
        ``s_M`` (nz,), ``s_H_fixed`` (len(fixed),), ``batch_s_M`` (batches, nz),
        ``batch_s_H_fixed``, ``omega``.
    """
    z = np.asarray(z, dtype=np.complex128)
    fixed = np.asarray(fixed, dtype=np.complex128)
    nz1 = len(z)
    nz = nz1 + len(fixed)
    N = int(size)
    omega = np.ones(nz1, dtype=np.complex128)
    pop_w = tree.sample_w(N, rng)
    pop_s = pop_w ** 2 + tree.rest(N, rng)
    blocks = _precision_blocks(nz, nz1 - wide, dtype if tree.m_small == 0 else np.complex128)
    pop_sig = [np.zeros((N, sl.stop - sl.start), dtype=dt) for sl, dt in blocks]
    e_root = np.zeros(nz, dtype=np.complex128)
    sums = np.zeros((batches, nz), dtype=np.complex128)
    counts = np.zeros(batches)
    per_batch = max(1, -(-sweeps // batches))
    for t in range(burn + sweeps):
        zeta_all = np.concatenate((z / omega, fixed))
        R = 2 * N
        w = np.concatenate((tree.sample_w(N, rng), np.zeros(N)))
        ncol = rng.poisson(tree.lam, R)
        owner = np.repeat(np.arange(R), ncol)
        v = tree.sample_w(len(owner), rng)
        kept = np.bincount(owner, v * v, R)
        rest = tree.rest(R, rng)
        s = w * w + kept + rest
        L = rng.poisson(tree.lam / psi, len(owner))
        idx = rng.integers(0, N, int(L.sum()))
        col_start = np.concatenate(([0], np.cumsum(ncol)))
        s_h = np.empty(nz, dtype=np.complex128)
        for i, (sl, dt) in enumerate(blocks):
            real = np.finfo(dt).dtype
            zeta = zeta_all[sl].astype(dt)
            tau = _screening(e_root[sl] * tree.m_small / psi) if tree.m_small > 0 else None
            terms = _column_terms(entries, s[owner], v, L, idx, pop_s, pop_w, pop_sig[i], zeta, tau=tau)
            scatter = sp.csr_matrix((np.ones(len(owner), dtype=real), np.arange(len(owner)), col_start),
                                    shape=(R, len(owner)))
            sig = scatter @ terms
            if tree.m_small > 0:
                sig += _mean_field(tree, entries, s, kept, rest, tau, psi, pop_s, pop_w, pop_sig[i], zeta, rng)
                e_root[sl] = _weak_row_mean(tree, entries, s[N:], sig[N:], zeta, rng)
            G = np.subtract(entries.diag(s[N:]).astype(real)[:, None], sig[N:])
            G -= zeta[None, :]
            np.reciprocal(G, out=G)
            s_h[sl] = G.mean(axis=0, dtype=np.complex128)
            pop_sig[i] = sig[:N]
        pop_w, pop_s = w[:N], s[:N]
        s_m = s_h[:nz1] / omega
        omega = 0.5 * omega + 0.5 * (1 - gamma - gamma * z * s_m)
        if t >= burn:
            b = min((t - burn) // per_batch, batches - 1)
            sums[b] += np.concatenate((s_m, s_h[nz1:]))
            counts[b] += 1
        if bar is not None:
            bar.update(1)
    batch = sums[counts > 0] / counts[counts > 0][:, None]
    mean = sums.sum(axis=0) / counts.sum()
    return {"s_M": mean[:nz1], "s_H_fixed": mean[nz1:], "batch_s_M": batch[:, :nz1],
            "batch_s_H_fixed": batch[:, nz1:], "omega": omega}


def _precision_blocks(nz, low, dtype):
    """``(slice, dtype)`` of the spectral points: the first ``low`` in ``dtype``, the rest in complex128."""
    if np.dtype(dtype) == np.complex128 or low <= 0:
        return [(slice(0, nz), np.complex128)]
    return [(slice(0, low), np.dtype(dtype).type), (slice(low, nz), np.complex128)]


def _screening(q):
    """The column's small rows, coupled among themselves as ``v_b v_b'`` too, Schur-complemented
    out together (Sherman–Morrison): ``tau = q/(1 + q)``, ``q = sum_b v_b^2 G_b``."""
    return q / (1.0 + q)


def _mean_field(tree, entries, s, kept, rest, tau, psi, pop_s, pop_w, pop_sig, zeta, rng):
    """Self-energy of the couplings through small incidences (see module docstring)."""
    N = len(pop_s)
    L = rng.poisson(tree.lam / psi, N)
    idx = rng.integers(0, N, int(L.sum()))
    # k_b = w_b slope(s_b): a column where the owner's own weight is infinitesimal
    q = _column_terms(entries, np.zeros(N), np.ones(N), L, idx, pop_s, pop_w, pop_sig, zeta,
                      coupling=_weak_coupling, tau=tau)
    e_col = q.mean(axis=0)
    return entries.slope(s)[:, None] ** 2 * (kept[:, None] * tau[None, :]
                                             + rest[:, None] * (tau + e_col)[None, :])


def _weak_row_mean(tree, entries, s, sig, zeta, rng):
    """``E[slope(s_b)^2 G_b]`` over rows b met through one of their small incidences w:
    a root row whose norm also holds ``w^2``, w drawn from ``w^2 nu(dw) / m_small`` on
    ``|w| <= eps`` (Mecke).  Adding ``w^2`` to b's norm keeps K positive semi-definite: a row
    with a tiny norm has tiny weak couplings too."""
    w2 = tree.small_square(len(s), rng)
    sb = s + w2
    g = 1.0 / ((entries.diag(sb) - w2 * entries.slope(sb) ** 2)[:, None] - zeta[None, :] - sig)
    return np.mean(entries.slope(sb)[:, None] ** 2 * g, axis=0)


def _weak_coupling(entries, own_s, own_w, sb, wb):
    """Coupling per unit owner weight, to first order: ``w_b slope(s_b)`` (owner slope outside)."""
    return wb * entries.slope(sb) * np.ones_like(own_s)
