"""One source of truth: each lesson is a jupytext percent-format script (lessons/NN_name.py) and its
notebook (lessons/NN_name.ipynb) is generated from it. The notebook must hold the script's cells (type,
source, tags) in order, without outputs; the code a student reads stays short (the ~400-line cap of the
developers' guide counts code lines, not prose).
"""

from __future__ import annotations

import jupytext
import nbformat
import pytest
from notebook_runner import REPO, read

LESSON_DIR = REPO / "lessons"
SCRIPTS = sorted(LESSON_DIR.glob("[0-9][0-9]_*.py"))
MAX_CODE_LINES = 400  # the developers' guide: no file over ~400 lines (of code; markdown cells are prose)
FIX = "regenerate it from its script: `jupytext --to ipynb --update lessons/[0-9]*.py`"


def signature(nb: nbformat.NotebookNode) -> list[tuple[str, str, list[str]]]:
    """What a student sees of each cell: its type, source and tags, in order."""
    return [(c.cell_type, c.source, list(c.metadata.get("tags", []))) for c in nb.cells]


def differences(script: nbformat.NotebookNode, notebook: nbformat.NotebookNode) -> list[str]:
    """Human-readable differences between a script's cells and a notebook's (empty when in sync)."""
    a, b = signature(script), signature(notebook)
    found = [f"{len(a)} cells in the script, {len(b)} in the notebook"] if len(a) != len(b) else []
    names = ("type", "source", "tags")
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        found += [f"cell {i}: {name} differs" for name, u, v in zip(names, x, y, strict=True) if u != v]
    if script.metadata.get("kernelspec") != notebook.metadata.get("kernelspec"):
        found.append("kernelspec differs")
    return found


def code_lines(nb: nbformat.NotebookNode) -> int:
    """Lines of code in the code cells: blank lines and comments not counted."""
    return sum(
        1
        for cell in nb.cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


def test_every_lesson_has_a_script_and_every_script_a_notebook():
    notebooks = sorted(p.stem for p in LESSON_DIR.glob("[0-9][0-9]_*.ipynb"))
    assert [p.stem for p in SCRIPTS] == notebooks
    assert [p.name[:2] for p in SCRIPTS][:7] == [f"0{i}" for i in range(1, 8)]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_is_generated_from_its_script(script):
    notebook = script.with_suffix(".ipynb")
    found = differences(jupytext.read(script), read(notebook))
    assert not found, f"lessons/{notebook.name} is out of sync with {script.name}: {found[:10]}; {FIX}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_lesson_code_stays_short(script):
    lines = code_lines(jupytext.read(script))
    assert lines <= MAX_CODE_LINES, f"{script.name} has {lines} lines of code: move code into mtlkit"


def test_differences_and_code_lines_see_what_a_student_sees():
    script = jupytext.reads('# %% tags=["parameters"]\nx = 1\n\n# %% [markdown]\n# # Title\n', "py:percent")
    changed = nbformat.from_dict(script)
    changed.cells[0].source = "x = 2"
    changed.cells[0].metadata["tags"] = []
    assert differences(script, nbformat.from_dict(script)) == []
    assert differences(script, changed) == ["cell 0: source differs", "cell 0: tags differs"]
    assert (
        code_lines(jupytext.reads("# %%\n# a comment\n\nx = 1\n\n# %% [markdown]\n# prose\n", "py:percent"))
        == 1
    )
