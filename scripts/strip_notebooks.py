"""Strip outputs, execution counts and run metadata from notebooks, in place, before committing: the one
list of what a run leaves in a notebook (``RUN_CELL_METADATA``, ``RUN_NOTEBOOK_METADATA``).

Lesson notebooks are generated without outputs from their jupytext scripts (lessons/README.md); this
strips them too, after an author ran one in place.

    python scripts/strip_notebooks.py                 # lessons/, exercises/, solutions/
    python scripts/strip_notebooks.py path.ipynb ...  # these files
    python scripts/strip_notebooks.py --check         # exit 1 if any notebook has outputs

Only notebooks that change are rewritten (atomically).
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
FOLDERS = ("lessons", "exercises", "solutions")
# What running or viewing a notebook adds: per-cell timing, collapse/scroll state, the widget state and
# papermill's run record. Cell ids, tags, nbgrader and jupytext metadata are content, and stay.
RUN_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled", "outputId")
RUN_NOTEBOOK_METADATA = ("widgets", "papermill")


def notebooks(paths: list[str]) -> list[Path]:
    if paths:
        return [Path(p) for p in paths]
    found = [p for folder in FOLDERS for p in sorted((REPO / folder).rglob("*.ipynb"))]
    return [p for p in found if ".ipynb_checkpoints" not in p.parts]


def is_stripped(nb: nbformat.NotebookNode) -> bool:
    """True when :func:`strip` would change nothing."""
    return nb == strip(copy.deepcopy(nb))


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove outputs, execution counts and run metadata from ``nb`` (in place); return it."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in RUN_CELL_METADATA:
            cell.metadata.pop(key, None)
    for key in RUN_NOTEBOOK_METADATA:
        nb.metadata.pop(key, None)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "paths", nargs="*", help="notebooks (default: every one in lessons/, exercises/, solutions/)"
    )
    parser.add_argument("--check", action="store_true", help="only report notebooks with outputs")
    args = parser.parse_args(argv)
    dirty = []
    for path in notebooks(args.paths):
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        if is_stripped(nb):
            continue
        dirty.append(path)
        if not args.check:
            strip(nb)
            tmp = path.with_name(f".{path.name}.tmp")
            nbformat.write(nb, tmp)
            tmp.replace(path)
    for path in dirty:
        print(f"{'has outputs' if args.check else 'stripped'}: {path}")
    return 1 if args.check and dirty else 0


if __name__ == "__main__":
    sys.exit(main())
