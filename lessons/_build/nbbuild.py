"""Build lesson notebooks from Python sources: the conventions of every lesson live here, once.

Each ``lessonNN.py`` next to this file lists its cells with :func:`md` and :func:`code` and calls
:func:`write`. The notebook it writes is what students open; rebuild after editing the source::

    python lessons/_build/build_all.py          # every lesson
    python lessons/_build/lesson03.py           # one lesson

Conventions (checked by tests/lessons/test_notebooks.py): a markdown title cell with the Colab badge,
learning goals and an estimated time; the first code cell tagged ``parameters`` (papermill) reading
``MTLKIT_SMOKE``; then an idempotent setup cell that installs mtlkit only in Colab; outputs stripped.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

LESSONS = Path(__file__).resolve().parents[1]
REPO_URL = "https://github.com/mtlkit/mtlkit"
BADGE = (
    "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
    "(https://colab.research.google.com/github/mtlkit/mtlkit/blob/main/lessons/{file})"
)
SETUP = f"""\
# Setup: in Colab, install mtlkit once. Elsewhere (and on a re-run) this cell does nothing.
import importlib.util
import subprocess
import sys

if "google.colab" in sys.modules and importlib.util.find_spec("mtlkit") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+{REPO_URL}"], check=True)
"""
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def md(text: str) -> nbformat.NotebookNode:
    """A markdown cell (the text is dedented and stripped)."""
    return new_markdown_cell(textwrap.dedent(text).strip())


def code(text: str, tags: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    """A code cell without outputs; ``tags`` go into the cell metadata."""
    cell = new_code_cell(textwrap.dedent(text).strip())
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def header(file: str, title: str, goals: list[str], minutes: int, intro: str = "") -> nbformat.NotebookNode:
    """The title cell: title, Colab badge, learning goals, estimated time, an optional introduction."""
    goal_lines = "\n".join(f"- {goal}" for goal in goals)
    text = (
        f"# {title}\n\n{BADGE.format(file=file)}\n\n**Learning goals.** After this lesson you can\n\n"
        f"{goal_lines}\n\n**Estimated time:** {minutes} minutes (about 1 minute of compute on a CPU in "
        "smoke mode, a few minutes in full mode).\n"
    )
    if intro:
        text += "\n" + textwrap.dedent(intro).strip()
    return new_markdown_cell(text)


def parameters(text: str) -> nbformat.NotebookNode:
    """The papermill ``parameters`` cell (the first code cell of every lesson)."""
    return code(text, tags=("parameters",))


def setup() -> nbformat.NotebookNode:
    """The idempotent Colab setup cell."""
    return code(SETUP)


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove outputs, execution counts and per-run metadata (in place); return ``nb``."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in ("execution", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
    for key in ("widgets", "papermill"):
        nb.metadata.pop(key, None)
    return nb


def _ruff_format(path: Path) -> None:
    """Format the notebook's code cells as CI checks them (``ruff format --check``), when ruff is here."""
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff:
        subprocess.run([ruff, "format", "--quiet", str(path)], check=True)


def write(file: str, cells: list[nbformat.NotebookNode]) -> Path:
    """Write ``lessons/<file>`` (stripped, ruff-formatted) and return its path."""
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["colab"] = {"provenance": []}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{Path(file).stem[:2]}-{i:02d}"  # stable ids: rebuilding gives a clean diff
    nbformat.validate(nb)
    path = LESSONS / file
    nbformat.write(strip(nb), path)
    _ruff_format(path)
    print(f"wrote {path.relative_to(LESSONS.parent)} ({len(cells)} cells)")
    return path
