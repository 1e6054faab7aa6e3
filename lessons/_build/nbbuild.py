"""Build lesson notebooks from Python sources: the conventions of every lesson live here, once.

Each ``lessonNN.py`` next to this file lists its cells with :func:`md` and :func:`code` and calls
:func:`write`. The notebook it writes is what students open; rebuild after editing the source::

    python lessons/_build/build_all.py          # every lesson
    python lessons/_build/lesson03.py           # one lesson

Conventions (checked by tests/lessons/test_notebooks.py): a markdown title cell with the Colab badge,
learning goals and an estimated time; the first code cell tagged ``parameters`` (papermill) holding only
raw values: ``SMOKE`` read from ``MTLKIT_SMOKE``, and every size or epoch knob ``None`` ("the value for
the mode"); the next cell (:func:`defaults`) fills those ``None`` from ``SMOKE``. papermill injects its
``-p`` values between the two, so ``-p SMOKE True`` gives smoke mode and ``-p EPOCHS 3`` sets one knob.
Then an idempotent setup cell that installs mtlkit only in Colab; outputs stripped.

The build is deterministic and runs no formatter: a notebook is a function of its source alone (the tests
rebuild every lesson and compare it with the committed notebook). Code in the sources is kept exactly as
``ruff format`` writes it, which CI checks on the notebooks; :func:`write` warns when a cell is not.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
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
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "git+{REPO_URL}"], check=True
    )
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
        f"{goal_lines}\n\n**Estimated time:** {minutes} minutes of reading, running and self-checks. The "
        "compute takes well under a minute on a CPU in smoke mode (the lesson tests time every notebook), "
        "longer in full mode (more data and epochs).\n"
    )
    if intro:
        text += "\n" + textwrap.dedent(intro).strip()
    return new_markdown_cell(text)


def parameters(text: str) -> nbformat.NotebookNode:
    """The papermill ``parameters`` cell (the first code cell of every lesson)."""
    return code(text, tags=("parameters",))


DEFAULTS_COMMENT = (
    "# Resolve defaults for the chosen mode: each parameter left at None gets its mode's value."
)


def defaults(text: str) -> nbformat.NotebookNode:
    """The cell right after ``parameters``: it fills every parameter left at ``None`` from ``SMOKE``.

    papermill injects ``-p`` values in a new cell *after* the parameters cell, so anything derived from
    ``SMOKE`` must be derived here, one line per knob:
    ``EPOCHS = EPOCHS if EPOCHS is not None else (1 if SMOKE else 6)``.
    """
    return code(DEFAULTS_COMMENT + "\n" + textwrap.dedent(text).strip())


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


def unformatted_cells(path: Path) -> list[int] | None:
    """Indices of the code cells that ``ruff format`` would change; ``None`` when ruff is not installed.

    The build itself never runs ruff, so a notebook depends only on its source (the tests rebuild every
    lesson and compare); the sources are kept ruff-formatted instead, and this tells the author where not.
    """
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        shutil.copy(path, copy)
        config = LESSONS.parent / "pyproject.toml"  # the copy lives outside the repo: name the config
        subprocess.run(
            [ruff, "format", "--quiet", "--no-cache", "--config", str(config), str(copy)], check=True
        )
        before, after = (nbformat.read(p, as_version=4).cells for p in (path, copy))
    return [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a.source != b.source]


def build(file: str, cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    """The notebook for ``lessons/<file>``: stable cell ids, kernelspec, stripped outputs (no I/O)."""
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["colab"] = {"provenance": []}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{Path(file).stem[:2]}-{i:02d}"  # stable ids: rebuilding gives a clean diff
    nbformat.validate(nb)
    return strip(nb)


def write(file: str, cells: list[nbformat.NotebookNode]) -> Path:
    """Write ``lessons/<file>``, warn about code that ruff would reformat, and return the path."""
    path = LESSONS / file
    nbformat.write(build(file, cells), path)
    print(f"wrote {path.relative_to(LESSONS.parent)} ({len(cells)} cells)")
    unformatted = unformatted_cells(path)
    if unformatted:
        print(f"  warning: `ruff format` would change cells {unformatted}: reformat them in the source")
    return path
