"""Helpers for the autograder tests: build student notebooks from the releases and run the grader.

(A uniquely named module, not conftest.py: several test folders have a conftest.py.)
"""

from __future__ import annotations

import copy
import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `autograder` is a repository tool, not part of the installed package

ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if (p / f"{p.name}.ipynb").is_file())


def master(assignment: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)


def release(assignment: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def answers(assignment: str) -> list[str]:
    """The answer (solution) cell ids, in notebook order."""
    return [grade_id(c) for c in master(assignment).cells if c.metadata.get("nbgrader", {}).get("solution")]


def points(assignment: str, prefix: str = "test_") -> float:
    """Points of the test cells whose id starts with ``prefix``."""
    return sum(
        float(c.metadata.nbgrader["points"])
        for c in master(assignment).cells
        if c.metadata.get("nbgrader", {}).get("grade") and grade_id(c).startswith(prefix)
    )


def student(assignment: str, solved=(), replace: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The released notebook with the master's answers in ``solved`` and ``replace[id]`` sources."""
    nb = copy.deepcopy(release(assignment))
    solutions = {grade_id(c): c.source for c in master(assignment).cells if grade_id(c)}
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in solved:
            lines = solutions[gid].splitlines()
            cell.source = "\n".join(
                x for x in lines if x.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
            )
        if replace and gid in replace:
            cell.source = replace[gid]
    return nb


def write(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def grader_command(assignment: str, submissions: Path, out: Path, *extra: str) -> list[str]:
    """``python -m autograder grade`` with the current interpreter (run it from the repository root)."""
    return [
        sys.executable,
        "-m",
        "autograder",
        "grade",
        assignment,
        str(submissions),
        "--out",
        str(out),
        *extra,
    ]


def run_grader(assignment: str, submissions: Path, out: Path, *extra: str, timeout: int = 540, env=None):
    """Run the grader to the end; it must exit 0."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    result = subprocess.run(
        grader_command(assignment, submissions, out, *extra),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def read_grades(out: Path, assignment: str | None = None) -> list[dict[str, str]]:
    with open(out / "grades.csv", newline="") as f:
        return [r for r in csv.DictReader(f) if assignment is None or r["assignment"] == assignment]
