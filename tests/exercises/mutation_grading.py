"""Grade mutants of an exercise with plain nbgrader in a throwaway course folder.

A mutant is a small dict ``{answer cell id: source}``: the student notebook is the released notebook with
the master's answers in every answer cell, except the cells the mutant replaces. All mutants of one
assignment are graded in one ``nbgrader autograde`` call (one student each), with ``MTLKIT_SMOKE=1`` in
the kernels' environment, and the points come from nbgrader's gradebook (``autograde`` exits 0 even when
tests fail).

(A uniquely named module, not conftest.py: several test folders have a conftest.py.)
"""

from __future__ import annotations

import copy
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = Path(__file__).resolve().parent / "mutants"
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def load_mutants(assignment: str):
    """``mutants/<assignment>.py``: ``WRONG`` and ``CORRECT`` (name -> {answer cell id: source}) and
    ``CAUGHT_BY_VISIBLE`` (the wrong answers a visible test must already flag)."""
    path = MUTANTS / f"{assignment}.py"
    spec = importlib.util.spec_from_file_location(f"mutants_{assignment}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.WRONG, module.CORRECT, module.CAUGHT_BY_VISIBLE


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def read(folder: str, assignment: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / folder / assignment / f"{assignment}.ipynb", as_version=4)


def master_answers(assignment: str) -> dict[str, str]:
    """The master's code answers with the solution markers removed: what a perfect student types."""
    answers = {}
    for cell in read("solutions", assignment).cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            lines = cell.source.splitlines()
            answers[grade_id(cell)] = "\n".join(x for x in lines if x.strip() not in MARKERS)
    return answers


def student_notebook(assignment: str, replace: dict[str, str]) -> nbformat.NotebookNode:
    """The released notebook, answered with the master's code except the cells in ``replace``."""
    nb = copy.deepcopy(read("exercises", assignment))
    answers = {**master_answers(assignment), **replace}
    unknown = set(replace) - set(master_answers(assignment))
    assert not unknown, f"mutant replaces cells that are no code answers: {unknown}"
    for cell in nb.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    return nb


@dataclass
class Graded:
    """Autograded points per student and test cell, and the wall time of the one autograde call."""

    points: dict[str, dict[str, float]]  # student -> test cell id -> points scored
    max_points: dict[str, float]  # test cell id -> points available (autograded cells only)
    seconds: float

    def total(self, student: str) -> float:
        return sum(self.points[student].values())

    def lost(self, student: str) -> list[str]:
        return [cell for cell, got in self.points[student].items() if got < self.max_points[cell]]


def autograde(assignment: str, students: dict[str, nbformat.NotebookNode], course: Path) -> Graded:
    """``nbgrader generate_assignment`` + one ``nbgrader autograde`` of all ``students`` in ``course``."""
    (course / "autograder").mkdir(parents=True, exist_ok=True)  # the gradebook goes there
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(ROOT / "solutions" / assignment, course / "solutions" / assignment)
    env = {
        **os.environ,
        "MTLKIT_SMOKE": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }

    def nbgrader(*args: str) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args],
            cwd=course,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    nbgrader("generate_assignment", assignment, "--force")
    for student, nb in students.items():
        target = course / "autograder" / "submitted" / student / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
    start = time.perf_counter()
    nbgrader("autograde", assignment)
    seconds = time.perf_counter() - start
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'autograder' / 'gradebook.db'}") as gb:
        points: dict[str, dict[str, float]] = {}
        max_points: dict[str, float] = {}
        for student in students:
            submission = gb.find_submission(assignment, student)
            points[student] = {}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.cell_type != "code":  # a written answer: graded by hand, by the rubric
                        continue
                    points[student][grade.name] = float(grade.auto_score or 0.0)
                    max_points[grade.name] = float(grade.max_score)
    return Graded(points, max_points, seconds)
