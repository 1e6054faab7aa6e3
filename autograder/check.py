"""``python -m autograder check``: is every committed exercise what nbgrader generates from its master?"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nbformat

from mtlkit.errors import UserError

from . import EXERCISES, SOLUTIONS, assignments, drift, runner


def drift_all(names: list[str] | None = None) -> dict[str, list[str]]:
    """Differences between exercises/ and a fresh ``generate_assignment`` of solutions/, per assignment."""
    names = assignments() if names is None else names
    with tempfile.TemporaryDirectory(prefix="mtlkit-check-") as tmp:
        stage = Path(tmp)
        for name in names:
            shutil.copytree(SOLUTIONS / name, stage / "source" / name, ignore=shutil.ignore_patterns(".*"))
        result = runner.run_generate(stage, *names)
        if result.returncode != 0:
            raise UserError(f"nbgrader generate_assignment failed:\n{result.stderr.strip()[-2000:]}")
        problems = {}
        for name in names:
            committed = EXERCISES / name / f"{name}.ipynb"
            if not committed.is_file():
                problems[name] = [f"{committed} is missing"]
                continue
            fresh = nbformat.read(stage / "release" / name / f"{name}.ipynb", as_version=4)
            problems[name] = drift.differences(nbformat.read(committed, as_version=4), fresh)
        return problems


def check() -> int:
    """Print the drift of every assignment; 0 when all are in sync, 1 otherwise."""
    problems = drift_all()
    for name, found in problems.items():
        print(f"{name}: " + ("in sync" if not found else "DRIFT: " + "; ".join(found)))
    if any(problems.values()):
        print("regenerate with: nbgrader generate_assignment <name> --force  (from the repository root)")
        return 1
    return 0
