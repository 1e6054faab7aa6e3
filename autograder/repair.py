"""Check a submitted notebook and restore the master's test cells before nbgrader sees it.

nbgrader's autograde restores the source of test cells a student edited (by checksum) but not cells a
student deleted or whose nbgrader metadata was lost (copy/paste, some editors). Here every graded or
read-only cell of the released notebook is put back, with the released source and metadata, so the
submission is always graded on the complete, unmodified tests.
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


def _is_protected(cell: NotebookNode) -> bool:
    info = cell.get("metadata", {}).get("nbgrader", {})
    return bool(info.get("grade") or info.get("locked")) and not info.get("solution")


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
    """Return ``nb`` with every protected cell of ``release`` present and unmodified, and what changed.

    Raises Ungradable when the notebook shares no graded cell with the release (another notebook).
    """
    released_ids = {_grade_id(c) for c in release.cells if _grade_id(c)}
    nb = copy.deepcopy(nb)
    changes = _reattach(nb, release)
    if not released_ids & {_grade_id(c) for c in nb.cells}:
        raise Ungradable(
            "wrong notebook: none of this assignment's answer or test cells (by their nbgrader ids) are in it; "
            "another assignment's notebook, or an editor dropped the cell metadata"
        )
    position = {gid: i for i, c in enumerate(nb.cells) if (gid := _grade_id(c))}
    insert_at = 0
    for master in release.cells:
        gid = _grade_id(master)
        if gid is None:
            continue
        if gid in position:
            index = position[gid]
            if _is_protected(master) and _differs(nb.cells[index], master):
                nb.cells[index] = _fresh(master)
                changes.append(f"restored {gid}")
            insert_at = index + 1
        elif _is_protected(master):
            cell = _fresh(master)
            if cell.get("id") in {c.get("id") for c in nb.cells}:
                cell.id = f"restored-{gid}".replace("_", "-")
            nb.cells.insert(insert_at, cell)
            changes.append(f"re-inserted {gid}")
            position = {g: i for i, c in enumerate(nb.cells) if (g := _grade_id(c))}
            insert_at = position[gid] + 1
    return nb, changes


def _first_line(cell: NotebookNode) -> str:
    return next((line.strip() for line in cell.source.splitlines() if line.strip()), "")


def _reattach(nb: NotebookNode, release: NotebookNode) -> list[str]:
    """Give back the nbgrader metadata an editor dropped, matching cells in order by their first line.

    A released cell whose id is missing is matched with the next cell, after the previous match, that
    has no nbgrader id and starts with the same line (an answer's ``def``/``class`` line, a test's
    first line): that cell is then graded as the student's answer (or restored as the test).
    """
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


def _differs(cell: NotebookNode, master: NotebookNode) -> bool:
    return (
        cell.cell_type != master.cell_type
        or cell.source != master.source
        or cell.metadata.get("nbgrader") != master.metadata.get("nbgrader")
    )


def _fresh(master: NotebookNode) -> NotebookNode:
    cell = copy.deepcopy(master)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell
