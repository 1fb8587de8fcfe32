"""The numeric weight registry: selection, refusals, the coverage matrix and its copies in README and CLI."""

from pathlib import Path

import pytest

from momentck import Model
from momentck.cli import main
from momentck.engine import limiting_moments
from momentck.errors import MomentckError
from momentck.numeric import (METHODS, WeightMethod, coverage, coverage_table, methods_table, numeric_weights,
                              select)

ROOT = Path(__file__).resolve().parents[1]


def test_readme_shows_the_registry_tables():
    readme = (ROOT / "README.md").read_text()
    assert methods_table() in readme
    assert coverage_table() in readme


def test_cli_methods_prints_the_registry_tables(capsys):
    assert main(["methods", "--reasons"]) == 0
    out = capsys.readouterr().out
    assert methods_table() in out and coverage_table(reasons=True) in out


def test_every_method_is_a_weight_method_with_a_unique_name():
    assert all(issubclass(m, WeightMethod) for m in METHODS)
    assert len({m.name for m in METHODS}) == len(METHODS)


def test_each_covered_cell_selects_a_method_that_applies_and_others_say_why():
    for cell in coverage():
        model = Model(cell["weights"], cell["inputs"], cell["activation"])
        method, why = select(model)
        if cell["method"] is None:
            assert method is None and "not for weights" in why and cell["reason"]
        else:
            assert method.name == cell["method"] and method.applies(model) == (True, "")
            # the cell's largest k is answered, one more is refused with the reason
            assert cell["methods"][0][0] == cell["method"] and cell["max_k"] == cell["methods"][-1][1]
            if cell["max_k"] is not None:
                assert select(model, cell["max_k"])[0] is not None
                assert select(model, cell["max_k"] + 1)[0] is None


def test_walk_length_and_symbols_are_refused_with_the_reason():
    sin = Model("stable(alpha=1)", "normal", "sin")
    assert select(sin, 6)[0] is not None
    method, why = select(sin, 7)
    assert method is None and "k <= 6, not k = 7" in why
    for alpha in ("3/2", "7/10"):  # stable erf: rows in up to three blocks
        erf = Model(f"stable(alpha={alpha})", "normal", "erf")
        assert select(erf, 7)[0].name == "stable-erf"
        method, why = select(erf, 8)
        assert method is None and "k <= 7, not k = 8" in why
    import sympy
    from momentck import Sparse
    sym = Model(Sparse(sympy.Symbol("c", positive=True), "rademacher"), "rademacher", "tanh")
    assert select(sym) == (None, "numeric weights need numeric parameters (no symbols)")
    with pytest.raises(MomentckError, match="no symbols"):
        numeric_weights(sym)
    with pytest.raises(MomentckError, match="numeric weights are implemented"):
        limiting_moments(Model("sparse(c=2, entries=normal)", "rademacher", "poly(1, 1)"), 2, method="numeric")


def test_a_method_refuses_a_model_it_does_not_cover():
    from momentck.numeric.stable_erf import StableErfWeights
    with pytest.raises(MomentckError, match="stable-erf needs activation erf"):
        StableErfWeights(Model("stable(alpha=1)", "normal", "sin"), 15)
