"""The committed notebooks are stripped, and each one is wired into the gallery.

nbmake (pytest addopts) executes the notebooks themselves; these tests check what
is committed: no outputs or execution counts (diffable notebooks), and every
notebook saves its main figure for the README gallery through momentck.plotting.
"""

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
GALLERY = ["quickstart", "heavy_vs_light", "sparse_to_gaussian", "non_universality", "formulas",
           "theory_vs_simulation"]


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_gallery_is_complete():
    assert sorted(p.stem for p in NOTEBOOKS) == sorted(GALLERY)


def stripped_problems(cells):
    """Where a notebook's cells carry outputs or execution counts (empty when stripped)."""
    problems = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {i} has outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {i} has execution count {cell['execution_count']}")
    return problems


def test_stripped_problems_finds_outputs_and_counts():
    cells = [{"cell_type": "code", "outputs": [{"output_type": "stream", "text": "1"}], "execution_count": 3},
             {"cell_type": "markdown", "source": "x"},
             {"cell_type": "code", "outputs": [], "execution_count": None}]
    assert stripped_problems(cells) == ["cell 0 has outputs", "cell 0 has execution count 3"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_is_stripped(path):
    problems = stripped_problems(_cells(path))
    assert not problems, f"{path.name}: {'; '.join(problems)} (clear outputs before committing)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_saves_its_gallery_figure_and_asserts(path):
    code = "\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "code")
    assert f'plotting.save_figure(fig, "{path.stem}")' in code
    assert "assert " in code, "each notebook asserts the claim its figure shows"
    assert (path.parent.parent / "docs" / "figures" / f"{path.stem}.png").exists()
    assert "import matplotlib" not in code, "plots go through momentck.plotting"
