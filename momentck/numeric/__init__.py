"""Numeric weights w(S) to a chosen precision: one registry of weight methods (MATH.md §4, numeric).

Each weight method is a :class:`~momentck.numeric.base.WeightMethod` subclass in a
module of its own, declaring the models it covers, its largest k, its cost and its
accuracy.  The registry answers, for a model and a walk length, which method
applies (the cheapest of those that do) or why none does; adding a method means
adding one module and one line to :data:`METHODS`.

==================  =======================================  ===========================
method              models                                   module
==================  =======================================  ===========================
gaussian-thetas     gaussian weights, any activation         :mod:`.gaussian_weights`
sparse-signs        sparse rademacher entries, rademacher    :mod:`.sparse_signs`
                    inputs, any activation
sparse-tables       sparse rademacher entries, normal,       :mod:`.sparse_tables`
                    uniform inputs, bounded activations
sparse-normal-sin   sparse normal entries, normal inputs,    :mod:`.sinweights`
                    sin
sparse-normal-gauss sparse normal entries, normal inputs,    :mod:`.sparse_normal`
                    bounded activations (k <= 4)
sparse-normal-signs sparse normal entries, rademacher        :mod:`.sparse_normal_signs`
                    inputs, bounded activations (k <= 2)
stable-sin          stable weights, normal inputs, sin       :mod:`.stable_sin`
stable-erf          stable weights, normal inputs, erf       :mod:`.stable_erf`
stable-sin-inputs   stable weights, rademacher or uniform    :mod:`.stable_inputs`
                    inputs, sin
sparse-normal-sin-  sparse normal entries, rademacher or     :mod:`.sparse_inputs`
inputs              uniform inputs, sin
fourier             stable or sparse weights, tanh, atan,    :mod:`.fourier` (from k = 4
                    erf, sin                                 with normal inputs:
                                                             :mod:`.gauss_mixture`)
==================  =======================================  ===========================

``momentck methods`` prints the coverage matrix computed here (:func:`coverage_table`).
"""

import hashlib
import importlib
import pkgutil
import sys
import types

import numpy as np

from .base import WeightMethod
from .gaussian_weights import GaussianWeights
from .sinweights import SparseNormalSinWeights
from .sparse_normal import SparseNormalWeights
from .sparse_normal_signs import SparseNormalSignWeights
from .sparse_tables import SparseTableWeights
from .sparse_signs import SparseSignWeights
from .stable_erf import StableErfWeights
from .stable_inputs import StableSinInputs
from .sparse_inputs import SparseNormalSinInputs
from .stable_sin import StableSinWeights
from .fourier import FourierWeights

__all__ = ["METHODS", "WeightMethod", "select", "numeric_available", "numeric_max_k", "numeric_weights",
           "coverage", "coverage_table", "methods_table", "refusal", "configuration_fingerprint", "COVERAGE_WEIGHTS", "COVERAGE_INPUTS", "COVERAGE_ACTIVATIONS"]

#: the registered weight methods
METHODS = [GaussianWeights, SparseSignWeights, SparseTableWeights, SparseNormalSinWeights, SparseNormalWeights,
           SparseNormalSignWeights, StableSinWeights, StableErfWeights, StableSinInputs, SparseNormalSinInputs,
           FourierWeights]

#: the cells of the coverage matrix (issue 9): weights x inputs x activations
COVERAGE_WEIGHTS = ("gaussian", "sparse(c=2, entries=rademacher)", "sparse(c=2, entries=normal)",
                    "stable(alpha=3/2)", "stable(alpha=7/10)")
COVERAGE_INPUTS = ("normal", "rademacher", "uniform")
COVERAGE_ACTIVATIONS = ("tanh", "erf", "sin", "atan")


def _limit(method, model):
    kmax = method.max_k(model)
    return "" if kmax is None else f" (k <= {kmax})"


def select(model, k=None):
    """``(method class, "")`` for the cheapest method covering ``model`` (and walks of length
    ``k``, when given), else ``(None, reason)``."""
    if model.free_symbols:
        return None, "numeric weights need numeric parameters (no symbols)"
    found = [m for m in METHODS if m.applies(model)[0]]
    if not found:
        covered = ", ".join(m.covers() + _limit(m, model) for m in METHODS)
        return None, (f"numeric weights are implemented for {covered}; not for weights "
                      f"{model.weights.spec} with inputs {model.inputs.spec} and activation "
                      f"{model.activation.spec}")
    fit = [m for m in found if k is None or m.max_k(model) is None or k <= m.max_k(model)]
    if not fit:
        kmax = max(m.max_k(model) for m in found)
        return None, (f"numeric weights for weights {model.weights.spec} with inputs {model.inputs.spec} "
                      f"and activation {model.activation.spec} are implemented for k <= {kmax}, not k = {k}")
    return min(fit, key=lambda m: m.cost), ""


def numeric_available(model):
    """``(True, "")`` when numeric weights exist for the model, else ``(False, reason)``."""
    method, why = select(model)
    return method is not None, why


def numeric_max_k(model):
    """The longest walk the numeric weights of ``model`` cover, or None when unlimited (or uncovered)."""
    limits = [m.max_k(model) for m in METHODS if m.applies(model)[0]]
    return None if not limits or None in limits else max(limits)


def numeric_weights(model, digits=15, k=None):
    """The weight method for ``model`` (walks up to ``k``) at ``digits`` digits, ready to call on shapes."""
    from ..errors import NotCovered
    method, why = select(model, k)
    if method is None:
        raise NotCovered(why)
    return method(model, digits)


def methods_table():
    """The registered methods as a Markdown table: name, models, largest k, accuracy, cost."""
    lines = ["| method | covers | largest k | accuracy | cost (s per shape, k ≤ 4) |", "|---|---|---|---|---|"]
    for m in METHODS:
        kmax = m.max_k(None)
        lines.append(f"| {m.name} | {m.covers()} | {'any' if kmax is None else kmax} | {m.accuracy} | {m.cost:g} |")
    return "\n".join(lines)


def refusal(model, k=None):
    """Why no method covers ``model`` (walks up to ``k``), in short: what the methods for its weight
    law need, or the walk-length limit; "" when one does."""
    method, why = select(model, k)
    if method is not None:
        return ""
    if " are implemented for k <= " in why:
        return why.split(" are ", 1)[1]
    if "not for weights" not in why:  # symbols
        return why
    near = [m.applies(model)[1] for m in METHODS if m.weights[1](model.weights)]
    return "; ".join(near) if near else f"no method for weights {model.weights.spec}"


def _reach(methods, model):
    """``[(name, max_k), ...]``: the cheapest method first, then each costlier one that reaches
    further (None: unlimited), so a cell shows every walk length the registry answers."""
    out, best = [], 0
    for m in sorted(methods, key=lambda m: m.cost):
        kmax = m.max_k(model)
        if best is not None and (kmax is None or kmax > best):
            out.append((m.name, kmax))
            best = kmax
    return out


def coverage(weights=COVERAGE_WEIGHTS, inputs=COVERAGE_INPUTS, activations=COVERAGE_ACTIVATIONS):
    """One dict per cell: ``weights``, ``inputs``, ``activation`` (specs), ``method`` (the cheapest
    method's name, or None), ``max_k`` (the largest k any method answers; None when unlimited),
    ``methods`` (``[(name, max_k), ...]``: the cheapest first, then the costlier ones reaching
    further) and ``reason`` (why no method applies, else "")."""
    from ..model import Model
    out = []
    for w in weights:
        for x in inputs:
            for f in activations:
                model = Model(w, x, f)
                method, _ = select(model)
                if method is not None:
                    reach = _reach([m for m in METHODS if m.applies(model)[0]], model)
                    out.append(dict(weights=w, inputs=x, activation=f, method=method.name,
                                    max_k=reach[-1][1], methods=reach, reason=""))
                    continue
                out.append(dict(weights=w, inputs=x, activation=f, method=None, max_k=None,
                                methods=[], reason=refusal(model)))
    return out


def coverage_table(cells=None, reasons=False):
    """The coverage matrix as a Markdown table (rows weights x inputs, columns activations).

    A cell names the cheapest method and its largest k (``any k`` when unlimited), then any
    costlier method reaching further, or ``—``;
    ``reasons=True`` lists why each ``—`` cell is refused below the table.

    Examples
    --------
    >>> print(coverage_table(coverage(["gaussian"], ["normal"], ["tanh", "sin"])))
    | weights | inputs | tanh | sin |
    |---|---|---|---|
    | gaussian | normal | gaussian-thetas, any k | gaussian-thetas, any k |
    """
    cells = coverage() if cells is None else cells
    acts = list(dict.fromkeys(c["activation"] for c in cells))
    rows = list(dict.fromkeys((c["weights"], c["inputs"]) for c in cells))
    at = {(c["weights"], c["inputs"], c["activation"]): c for c in cells}

    def show(c):
        if c["method"] is None:
            return "—"
        reach = c.get("methods") or [(c["method"], c["max_k"])]
        return "; ".join(name + (", any k" if kmax is None else f", k ≤ {kmax}") for name, kmax in reach)

    lines = ["| weights | inputs | " + " | ".join(acts) + " |", "|---|---|" + "---|" * len(acts)]
    lines += [f"| {w} | {x} | " + " | ".join(show(at[(w, x, f)]) for f in acts) + " |" for w, x in rows]
    if reasons:
        lines.append("")
        lines += [f"- {c['weights']} × {c['inputs']} × {c['activation']}: {c['reason']}"
                  for c in cells if c["method"] is None]
    return "\n".join(lines)


# -- what a cached numeric weight depends on beyond the source files ------------------------------------------
def _describe(obj, owner, depth=0):
    """A stable text for a module global or class attribute: numbers, strings and tuples by value, arrays
    by their bytes, functions by where they are defined and their code; mutable containers (memos,
    registries) by type only, so that what grows at run time does not change the text."""
    obj = getattr(obj, "__func__", obj)                 # classmethod / staticmethod
    obj = getattr(obj, "__wrapped__", obj)              # :func:`.base.memoized`
    if obj is None or isinstance(obj, (bool, int, float, complex, str)):
        return repr(obj)
    if isinstance(obj, tuple):
        return "(" + ",".join(_describe(x, owner, depth) for x in obj) + ")"
    if isinstance(obj, np.ndarray):
        return f"array{obj.shape}{obj.dtype}:" + hashlib.sha256(np.ascontiguousarray(obj).tobytes()).hexdigest()
    if isinstance(obj, types.FunctionType):
        return f"{obj.__module__}.{obj.__qualname__}:" + hashlib.sha256(_code_text(obj.__code__)).hexdigest()[:16]
    if isinstance(obj, type) and obj.__module__ == owner and depth == 0:
        return obj.__qualname__ + "{" + ";".join(
            f"{k}={_describe(v, owner, 1)}" for k, v in sorted(vars(obj).items()) if not k.startswith("__")) + "}"
    return type(obj).__qualname__


def _code_text(code):
    """Bytecode and constants of a code object, nested code objects (comprehensions, lambdas) by their
    own text: their reprs hold memory addresses, which differ from one process to the next."""
    consts = [_code_text(c) if isinstance(c, types.CodeType) else repr(c).encode() for c in code.co_consts]
    return code.co_code + b"|".join(consts) + repr(code.co_names).encode()


def configuration_fingerprint():
    """SHA-256 (hex, 16 digits) of the numeric modules' state as it is now: their constants (quadrature
    levels and steps), functions and classes' attributes.  With :func:`momentck.cache.code_fingerprint`
    it keys the cached numeric weights, so that a level or method replaced at run time (as the tests do,
    to coarsen rules) stores and reads its numbers apart from the shipped configuration."""
    for info in pkgutil.iter_modules(__path__):      # every module, whatever this process imported so far
        importlib.import_module(f"{__name__}.{info.name}")
    digest = hashlib.sha256()
    for name in sorted(n for n in sys.modules if n == __name__ or n.startswith(__name__ + ".")):
        module = sys.modules[name]
        for attr, value in sorted(vars(module).items()):
            if not attr.startswith("__") and not isinstance(value, types.ModuleType):
                digest.update(f"{name}.{attr}={_describe(value, name)}\n".encode())
    return digest.hexdigest()[:16]
