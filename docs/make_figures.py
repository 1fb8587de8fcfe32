"""Redraw the README gallery: run each notebook and keep the figure it saves.

Each notebook in ``notebooks/`` calls ``momentck.plotting.save_figure(fig, name)``
on its main figure; that writes ``<name>.png`` only when ``MOMENTCK_FIGURE_DIR`` is
set.  This script sets it to ``docs/figures`` and executes the notebooks (default
sizes) with nbclient, so the gallery images come from the same code and the same
plotting functions as the notebooks.  Nothing is written back into the notebooks.

    python docs/make_figures.py                 # every notebook
    python docs/make_figures.py heavy_vs_light  # some of them
"""

import os
import sys
import time
from pathlib import Path

import nbclient
import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
FIGURES = ROOT / "docs" / "figures"


def main(names):
    os.environ["MOMENTCK_FIGURE_DIR"] = str(FIGURES)
    os.environ.setdefault("MPLBACKEND", "Agg")
    paths = [NOTEBOOKS / f"{n}.ipynb" for n in names] if names else sorted(NOTEBOOKS.glob("*.ipynb"))
    for path in paths:
        start = time.perf_counter()
        nb = nbformat.read(path, as_version=4)
        nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
        print(f"{path.stem}: {time.perf_counter() - start:.1f} s -> {FIGURES / (path.stem + '.png')}")
        for cell in nb.cells:  # the numbers behind the figure, as the notebook prints them
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") == "stdout":
                    print("    " + out["text"].rstrip().replace("\n", "\n    "))


if __name__ == "__main__":
    main(sys.argv[1:])
