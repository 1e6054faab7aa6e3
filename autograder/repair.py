"""Check a submitted notebook before nbgrader sees it: valid JSON, this assignment's, metadata intact.

nbgrader's autograde restores edited test cells (by checksum) and, with ``OverwriteCells.add_missing_cells``
(nbgrader_config.py), deleted ones. What it cannot do is grade an answer whose nbgrader metadata an
editor dropped; those cells get it back here, matched by their first line.
"""

from __future__ import annotations

import copy
import json

import nbformat
from nbformat import NotebookNode


class Ungradable(Exception):
    """The file cannot be graded; the message is the reason shown in grades.csv."""


def _grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def read(data: bytes) -> NotebookNode:
    """Parse and validate notebook JSON, raising Ungradable with a readable reason."""
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise Ungradable(f"not a valid notebook: the file is not JSON ({err})") from None
    if not isinstance(raw, dict) or "cells" not in raw:
        raise Ungradable("not a valid notebook: no 'cells' list in the JSON")
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
        nbformat.validate(nb)
    except Exception as err:
        raise Ungradable(f"not a valid notebook: {str(err).splitlines()[0]}") from None
    if not nb.cells:
        raise Ungradable("the notebook has no cells")
    return nb


def repair(nb: NotebookNode, release: NotebookNode) -> tuple[NotebookNode, list[str]]:
    """``nb`` with the cell metadata an editor dropped re-attached, and what was re-attached; Ungradable
    when it shares no graded cell with the release (restoring tests is nbgrader's job)."""
    released_ids = {_grade_id(c) for c in release.cells if _grade_id(c)}
    nb = copy.deepcopy(nb)
    changes = _reattach(nb, release)
    if not released_ids & {_grade_id(c) for c in nb.cells}:
        raise Ungradable(
            "wrong notebook: none of this assignment's answer or test cells (by their nbgrader ids) are in it; "
            "another assignment's notebook, or an editor dropped the cell metadata"
        )
    return nb, changes


def _first_line(cell: NotebookNode) -> str:
    return next((line.strip() for line in cell.source.splitlines() if line.strip()), "")


def _reattach(nb: NotebookNode, release: NotebookNode) -> list[str]:
    """A released cell whose id is missing gets the next cell, after the previous match, that has no
    nbgrader id and the same first line (an answer's ``def``): graded as the answer, restored as a test."""
    present = {_grade_id(c) for c in nb.cells}
    changes, start = [], 0
    for master in release.cells:
        gid = _grade_id(master)
        if gid is None or gid in present:
            continue
        for index in range(start, len(nb.cells)):
            cell = nb.cells[index]
            if (
                _grade_id(cell) is None
                and cell.cell_type == master.cell_type
                and _first_line(cell) == _first_line(master)
            ):
                cell.metadata["nbgrader"] = copy.deepcopy(master.metadata["nbgrader"])
                changes.append(f"re-attached {gid}")
                start = index + 1
                break
    return changes
