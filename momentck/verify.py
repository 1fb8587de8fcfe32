"""Check limiting moments against simulation at several sizes (MATH.md §6).

:func:`verify` puts side by side, for j = 1..k:

* the limiting moment m_j from the exact engine (when it applies);
* Monte Carlo means and standard errors at each requested n, with z-scores;
* the trend in n: a weighted least-squares fit ``m_j(n) = a + b/n`` whose
  intercept ``a`` extrapolates to n = infinity (finite-size bias is O(1/n) for
  sparse and Gaussian weights; much slower for stable weights as alpha -> 2);
* for sparse weights, the local-limit estimates of the kernel moments h_j, which
  have no finite-n bias (:mod:`momentck.locallimit`);
* flags where a few replicates dominate the mean (heavy tails).
"""

import math
from dataclasses import dataclass, field

import numpy as np

from .engine import limiting_moments
from .errors import MomentckError
from .laws import Sparse, Stable
from .locallimit import local_limit_moments
from .model import Model
from .simulation import simulate

__all__ = ["VerifyReport", "verify"]

#: a replicate carrying more than this share of the total flags heavy tails
DOMINANCE = 0.5
#: |z| from which a Monte Carlo mean counts as far from the limit (ok below it)
Z_FAR = 4
#: a far mean counts as finite-size bias when the a + b/n fit puts it within this many
#: standard errors and the extrapolation a within Z_FAR of the limit
Z_FIT = 2


@dataclass
class VerifyReport:
    """Result of :func:`verify`; ``str()`` renders the table.

    ``rows`` has one dict per order j with keys ``j``, ``exact`` (float or None),
    ``mc`` (list of ``{"n", "mean", "stderr", "z", "dominated", "finite_size"}``; ``finite_size``
    marks a mean with ``|z| >= 4`` that the ``a + b/n`` fit explains: within 2 standard
    errors of ``a + b/n``, with ``|z(a)| < 4``), ``extrapolated``,
    ``extrapolated_stderr``, ``extrapolated_slope`` (b of the fit a + b/n), ``z_extrapolated``,
    and for sparse weights ``h_exact``,
    ``h_local``, ``h_local_stderr``, ``z_local``.
    """

    model: Model
    k: int
    ns: list
    reps: int
    seed: int
    rows: list
    warnings: list = field(default_factory=list)

    @property
    def ok(self):
        """True when every available z-score is below 4 in absolute value, except means
        marked as finite-size bias (whose extrapolation is then within 4)."""
        zs = [c["z"] for r in self.rows for c in r["mc"] if c["z"] is not None and not c["finite_size"]]
        zs += [r["z_local"] for r in self.rows if r.get("z_local") is not None]
        return all(abs(z) < Z_FAR for z in zs)

    def __str__(self):
        lines = [f"verify {self.model!r}", f"Monte Carlo: {self.reps} replicates per n, seed {self.seed}"]
        head = ["j", "exact m_j"] + [f"n={n}" for n in self.ns] + ["a + b/n: a", "z(a)"]
        body = []
        for r in self.rows:
            cells = [str(r["j"]), _g(r["exact"])]
            for c in r["mc"]:
                z = "" if c["z"] is None else f" z={c['z']:+.1f}"
                cells.append(f"{_g(c['mean'])}±{_g(c['stderr'], 2)}{z}{' b' if c['finite_size'] else ''}"
                             f"{' !' if c['dominated'] else ''}")
            cells.append("-" if r["extrapolated"] is None else
                         f"{_g(r['extrapolated'])}±{_g(r['extrapolated_stderr'], 2)}")
            cells.append("-" if r["z_extrapolated"] is None else f"{r['z_extrapolated']:+.1f}")
            body.append(cells)
        widths = [max(len(x) for x in col) for col in zip(head, *body)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines += [fmt.format(*head)] + [fmt.format(*b) for b in body]
        if any("h_local" in r for r in self.rows):
            lines.append("local limit (no finite-n bias), kernel moments h_j:")
            for r in self.rows:
                z = "-" if r["z_local"] is None else f"{r['z_local']:+.1f}"
                lines.append(f"  h_{r['j']}: exact {_g(r['h_exact'])}  local {_g(r['h_local'])}"
                             f"±{_g(r['h_local_stderr'], 2)}  z={z}")
        if any(c["finite_size"] for r in self.rows for c in r["mc"]):
            lines.append(f"b = |z| >= {Z_FAR}, but within {Z_FIT} standard errors of the a + b/n fit, whose "
                         f"extrapolation a is within {Z_FAR}: finite-size bias, not a disagreement")
        if any(c["dominated"] for r in self.rows for c in r["mc"]):
            lines.append(f"! = one replicate carries more than {DOMINANCE:.0%} of the total: "
                         "heavy-tailed replicates, the standard error is unreliable")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _g(x, digits=6):
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


def _fit(ns, means, ses):
    """Weighted least squares of mean = a + b/n; returns (a, se(a), b) or (None, None, None)."""
    if len(ns) < 2 or not all(s > 0 for s in ses):
        return None, None, None
    A = np.column_stack([np.ones(len(ns)), 1.0 / np.asarray(ns, float)])
    w = 1.0 / np.asarray(ses) ** 2
    cov = np.linalg.inv(A.T @ (A * w[:, None]))
    a, b = cov @ (A.T @ (w * np.asarray(means)))
    return float(a), float(math.sqrt(cov[0, 0])), float(b)


def _mark_finite_size(cells, a, b, za):
    """Mark the far means (``|z| >= Z_FAR``) that ``a + b/n`` explains (see :class:`VerifyReport`)."""
    for c in cells:
        c["finite_size"] = bool(
            c["z"] is not None and abs(c["z"]) >= Z_FAR and za is not None and abs(za) < Z_FAR
            and abs(c["mean"] - (a + b / c["n"])) < Z_FIT * c["stderr"])


def verify(model, k, n=(250, 500, 1000), reps=20, seed=0, local_samples=2000, progress=None):
    """Compare limiting moments with Monte Carlo at several n (and the local limit).

    Parameters
    ----------
    model : Model
    k : int
    n : sequence of int
        Sizes to simulate (each with ``reps`` replicates and the same ``seed``).
    reps, seed : int
    local_samples : int or None
        Trees for the local-limit sampler (sparse weights only); None skips it.
    progress : bool, optional

    Returns
    -------
    VerifyReport

    Examples
    --------
    >>> m = Model("sparse(c=2, entries=rademacher)", "rademacher", "poly(1, -1/10)")
    >>> rep = verify(m, 2, n=(200, 400), reps=10, local_samples=500)
    >>> rep.ok
    True
    """
    if not isinstance(model, Model):
        raise MomentckError(f"expected a momentck Model, got {model!r}")
    ns = [n] if isinstance(n, int) else list(n)
    if not ns:
        raise MomentckError("n must list at least one size")
    if len(set(ns)) != len(ns):
        raise MomentckError(f"n must list distinct sizes (the a + b/n fit needs them), got {ns}")
    warnings = []
    exact = h_exact = None
    try:
        res = limiting_moments(model, k, progress=False)
        exact, h_exact = res.floats("spectral"), res.floats("kernel")
    except MomentckError as exc:
        warnings.append(f"no limiting value ({exc}); showing the trend only")
    if isinstance(model.weights, Stable):
        warnings.append("stable weights: finite-size bias decays slowly, very slowly as alpha -> 2; "
                        "compare several n")
    sims = [simulate(model, size, k, reps=reps, seed=seed, progress=progress) for size in ns]
    local = None
    if isinstance(model.weights, Sparse) and local_samples:
        local = local_limit_moments(model, k, samples=local_samples, seed=seed)
    rows = []
    for j in range(k):
        cells = []
        for s in sims:
            mean, se = float(s.moments[j]), float(s.stderr[j])
            per = np.abs(s.per_replicate[:, j])
            dominated = bool(per.sum() > 0 and per.max() > DOMINANCE * per.sum() and reps >= 4)
            z = None if exact is None or not se > 0 else (mean - exact[j]) / se
            cells.append({"n": s.n, "mean": mean, "stderr": se, "z": z, "dominated": dominated})
        a, sa, b = _fit([c["n"] for c in cells], [c["mean"] for c in cells], [c["stderr"] for c in cells])
        za = None if a is None or exact is None else (a - exact[j]) / sa
        _mark_finite_size(cells, a, b, za)
        row = {"j": j + 1, "exact": None if exact is None else exact[j], "mc": cells,
               "extrapolated": a, "extrapolated_stderr": sa, "extrapolated_slope": b, "z_extrapolated": za}
        if local is not None:
            hl, hs = float(local.kernel[j]), float(local.stderr[j])
            row.update(h_exact=None if h_exact is None else h_exact[j], h_local=hl, h_local_stderr=hs,
                       z_local=None if h_exact is None or not hs > 0 else (hl - h_exact[j]) / hs)
        rows.append(row)
    return VerifyReport(model, k, [c["n"] for c in rows[0]["mc"]], reps, seed, rows, warnings)


