"""From the law H of K to the law of M: free Poisson compression with ratio gamma (MATH.md §7).

``s_M(z) = s_H(z/omega)/omega`` with ``omega = 1 - gamma - gamma z s_M(z)`` (Silverstein's
equation in subordination form), ``Im s_M > 0`` for ``Im z > 0``.

For Gaussian weights H is the law of ``a + theta_2 MP(1/psi)``, ``a = theta_1 - theta_2``
(MATH.md §5), whose Stieltjes transform solves a quadratic; eliminating ``s_H`` gives one
quartic for ``s = s_M(z)``, with ``lam = 1/psi``, ``p = 1 - gamma``, ``q = -gamma z``:

    -lam theta_2 a q^2 s^4 + lam theta_2 q (z - 2ap) s^3
      + (lam theta_2 (z - ap) p - q (a + theta_2 (1 - lam))) s^2 + (z - (a + theta_2 (1 - lam)) p) s + 1 = 0,

solved per point (eigenvalues of the companion matrix); on the real axis the density is ``Im s/pi`` of the root
with the largest positive imaginary part (0 where all roots are real, and for x <= 0:
M is positive semi-definite; spurious complex roots occur there).
"""

import numpy as np

__all__ = ["mp_stieltjes", "gaussian_h_stieltjes", "subordinate", "gaussian_density", "gaussian_support"]


def mp_stieltjes(u, lam):
    """Stieltjes transform of MP(lam) (mean 1, ratio lam) at ``Im u > 0``: the root of
    ``lam u s^2 + (u - 1 + lam) s + 1 = 0`` with ``Im s > 0``.

    Examples
    --------
    >>> s = mp_stieltjes(np.array([1e3j]), 0.5)
    >>> bool(abs(s[0] * 1e3j + 1) < 1e-3)
    True
    """
    u = np.asarray(u, dtype=np.complex128)
    disc = np.sqrt((u - 1 + lam) ** 2 - 4 * lam * u)
    r1 = (-(u - 1 + lam) + disc) / (2 * lam * u)
    r2 = (-(u - 1 + lam) - disc) / (2 * lam * u)
    return np.where(r1.imag >= r2.imag, r1, r2)


def gaussian_h_stieltjes(zeta, theta1, theta2, psi):
    """``s_H`` of ``H = (theta_1 - theta_2) + theta_2 MP(1/psi)`` at ``Im zeta > 0``."""
    a = theta1 - theta2
    if theta2 == 0:
        return 1.0 / (a - np.asarray(zeta, dtype=np.complex128))
    return mp_stieltjes((np.asarray(zeta) - a) / theta2, 1.0 / psi) / theta2


def subordinate(s_h, z, gamma, iterations=20000, tol=1e-14):
    """``s_M(z)`` from a function ``s_H`` by the damped subordination iteration (Im z > 0).

    Deterministic; converges geometrically away from the real axis (each step is a
    contraction in the hyperbolic metric), slowly close to it.

    Examples
    --------
    Free Poisson compression of a point mass at 1 is Marchenko–Pastur:

    >>> z = np.array([0.5 + 0.5j])
    >>> s = subordinate(lambda w: 1 / (1 - w), z, 0.5)
    >>> bool(np.allclose(s, mp_stieltjes(z, 0.5)))
    True
    """
    z = np.asarray(z, dtype=np.complex128)
    omega = np.ones_like(z)
    for _ in range(iterations):
        s = s_h(z / omega) / omega
        new = 1 - gamma - gamma * z * s
        if np.max(np.abs(new - omega)) < tol:
            return s_h(z / new) / new
        omega = 0.5 * omega + 0.5 * new
    return s


def gaussian_density(x, theta1, theta2, psi, gamma):
    """Density of M for Gaussian weights at real points ``x`` (quartic roots, vectorised as
    eigenvalues of companion matrices)."""
    x = np.asarray(x, dtype=float)
    lam, a, p = 1.0 / psi, theta1 - theta2, 1.0 - gamma
    b = a + theta2 * (1 - lam)
    out = np.zeros(len(x))
    pos = x > 0          # M is positive semi-definite; an atom at 0 is reported apart
    xv = x[pos]
    q = -gamma * xv
    c = np.stack([-lam * theta2 * a * q * q, lam * theta2 * q * (xv - 2 * a * p),
                  lam * theta2 * (xv - a * p) * p - q * b, xv - b * p, np.ones_like(xv)], axis=1)
    if not np.all(np.abs(c[:, 0]) > 1e-300):
        raise ValueError("degenerate quartic (theta_2 = 0 or a linear activation)")
    comp = np.zeros((len(xv), 4, 4))
    comp[:, 0, :] = -c[:, 1:] / c[:, :1]
    comp[:, 1, 0] = comp[:, 2, 1] = comp[:, 3, 2] = 1.0
    roots = np.linalg.eigvals(comp)
    im = roots.imag.max(axis=1)
    scale = np.maximum(1.0, np.abs(roots).max(axis=1))
    out[pos] = np.where(im > 1e-9 * scale, im / np.pi, 0.0)
    return out


def gaussian_support(theta1, theta2, psi, gamma, xs, density=None, tol=1e-13):
    """Support of the continuous part of M for Gaussian weights: intervals ``(lo, hi)``.

    The density is positive exactly where the quartic has a complex root; its sign changes on
    the increasing grid ``xs`` (> 0 where it matters) are refined by bisection to ``tol`` times
    the grid's end.  A density positive at the first positive grid point puts the lower edge
    at 0 (the hard edge of gamma = 1).

    Examples
    --------
    Free Poisson compression (gamma = 1/2) of nearly a point mass at 1 (theta_1 = theta_2 + 1,
    theta_2 = 1e-8) is nearly Marchenko–Pastur(1/2), supported on ``[(1 - 2^{-1/2})^2,
    (1 + 2^{-1/2})^2]``:

    >>> lo, hi = gaussian_support(1 + 1e-8, 1e-8, 1.0, 0.5, np.linspace(0, 4, 4001))[0]
    >>> bool(abs(lo - (1 - 0.5 ** 0.5) ** 2) < 1e-6 and abs(hi - (1 + 0.5 ** 0.5) ** 2) < 1e-6)
    True
    """
    xs = np.asarray(xs, dtype=float)
    xs = xs[xs > 0]
    dens = gaussian_density(xs, theta1, theta2, psi, gamma) if density is None else np.asarray(density)[-len(xs):]
    pos = dens > 0

    def inside(x):
        return gaussian_density(np.array([x]), theta1, theta2, psi, gamma)[0] > 0

    edges = []
    for i in np.flatnonzero(pos[1:] != pos[:-1]):
        a, b = xs[i], xs[i + 1]
        a_in = pos[i]
        while b - a > tol * xs[-1]:
            mid = 0.5 * (a + b)
            if inside(mid) == a_in:
                a = mid
            else:
                b = mid
        edges.append(0.5 * (a + b))
    if pos[0]:
        edges.insert(0, 0.0)
    if pos[-1]:
        edges.append(float(xs[-1]))
    return [(float(lo), float(hi)) for lo, hi in zip(edges[::2], edges[1::2])]
