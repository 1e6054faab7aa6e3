"""A tiny nbgrader assignment of the tests' own (``tiny``: write ``add``), independent of solutions/.

Its master has one answer cell, one test cell with a visible and a hidden assert (2 points) and a
locked helper ``check`` that the test calls; ``student(release, code)`` puts ``code`` in the answer.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.grade import build_template

ANSWER = "def add(a, b):\n    return a + b\n"
HIDDEN_MESSAGE = "add fails on negatives"
HIDDEN_LINE = "assert check(add(-1, 1), 0), 'add fails on negatives'"


def _meta(gid: str, **kw) -> dict:
    base = {"grade": False, "grade_id": gid, "locked": False, "schema_version": 3, "solution": False}
    return {"nbgrader": {**base, "task": False, **kw}}


def make_course(root: Path) -> tuple[Path, nbformat.NotebookNode, float]:
    """Write the master under ``root/solutions/tiny``; return the masters folder, the release, max score."""
    tests = f"assert check(add(1, 2), 3)\n### BEGIN HIDDEN TESTS\n{HIDDEN_LINE}\n### END HIDDEN TESTS"
    nb = new_notebook(
        cells=[
            new_markdown_cell("# tiny: write `add`"),
            new_code_cell(
                "def check(got, want):\n    return got == want", metadata=_meta("helpers", locked=True)
            ),
            new_code_cell(
                "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION",
                metadata=_meta("answer_add", solution=True),
            ),
            new_code_cell(tests, metadata=_meta("test_add", grade=True, locked=True, points=2)),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    masters = root / "solutions"
    (masters / "tiny").mkdir(parents=True)
    nbformat.write(nb, masters / "tiny" / "tiny.ipynb")
    template = build_template("tiny", root / "template", masters=masters)
    return masters, template.release, template.max_score


def student(release: nbformat.NotebookNode, code: str) -> nbformat.NotebookNode:
    """The release with ``code`` as the answer."""
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer_add":
            cell.source = code
    return nb
