"""``python -m autograder check``: is every committed exercise what nbgrader generates from its master?"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat

from . import EXERCISES, assignments, drift


def drift_of(assignment: str) -> list[str]:
    """Differences between exercises/ and a fresh ``generate_assignment`` of solutions/ (empty: in sync)."""
    from .grade import build_template

    committed = EXERCISES / assignment / f"{assignment}.ipynb"
    if not committed.is_file():
        return [f"{committed} is missing"]
    with tempfile.TemporaryDirectory(prefix="mtlkit-check-") as tmp:
        fresh = build_template(assignment, Path(tmp)).release
    return drift.differences(nbformat.read(committed, as_version=4), fresh)


def check() -> int:
    """Print the drift of every assignment; 0 when all are in sync, 1 otherwise."""
    failed = 0
    for assignment in assignments():
        problems = drift_of(assignment)
        failed += bool(problems)
        print(f"{assignment}: " + ("in sync" if not problems else "DRIFT: " + "; ".join(problems)))
    if failed:
        print("regenerate with: nbgrader generate_assignment <name> --force  (from the repository root)")
    return 1 if failed else 0
