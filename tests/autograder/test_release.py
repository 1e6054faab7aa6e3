"""exercises/ must be what nbgrader generates from solutions/, and the documented nbgrader commands work."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from autograder_helpers import ASSIGNMENTS, ROOT, grade_id, release, student

from autograder.__main__ import main

pytestmark = pytest.mark.slow


def test_exercises_match_a_fresh_generate_assignment(capsys):
    """``python -m autograder check`` (the runbook's step 1) finds every exercise in sync."""
    assert len(ASSIGNMENTS) >= 6
    assert main(["check"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{name}: in sync" for name in ASSIGNMENTS]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_notebooks_are_colab_ready(assignment):
    nb = release(assignment)
    url = f"https://colab.research.google.com/github/mtlkit/mtlkit/blob/main/exercises/{assignment}/{assignment}.ipynb"
    assert url in nb.cells[0].source
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert 'if "google.colab" in sys.modules and importlib.util.find_spec("mtlkit") is None' in code[1].source
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert not any("BEGIN SOLUTION" in c.source or "BEGIN HIDDEN TESTS" in c.source for c in nb.cells)
    assert not any("nbgrader" in c.source for c in code)  # visible tests are plain asserts


def test_documented_nbgrader_commands_from_the_repository_layout(tmp_path):
    """generate_assignment -> autograde -> generate_feedback -> export with nbgrader_config.py, unchanged."""
    course = tmp_path / "course"
    name = "06_evaluation"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    # generate_feedback imports autograder.preprocessors from the folder of nbgrader_config.py.
    shutil.copytree(ROOT / "autograder", course / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "solutions" / name, course / "solutions" / name)
    solved = [grade_id(c) for c in release(name).cells if c.metadata.get("nbgrader", {}).get("solution")]
    submitted = course / "autograder" / "submitted" / "alice" / name / f"{name}.ipynb"
    submitted.parent.mkdir(parents=True)
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
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
        assert result.returncode == 0, result.stdout + result.stderr

    nbgrader("generate_assignment", name)
    released = nbformat.read(course / "exercises" / name / f"{name}.ipynb", as_version=4)
    assert [c.source for c in released.cells] == [c.source for c in release(name).cells]
    nbformat.write(student(name, solved=solved[:1]), submitted)
    nbgrader("autograde", name)
    nbgrader("generate_feedback", name)
    nbgrader("export")
    assert (course / "autograder" / "feedback" / "alice" / name / f"{name}.html").is_file()
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'autograder' / 'gradebook.db'}") as gb:
        submission = gb.find_submission(name, "alice")
        assert (submission.score, submission.max_score) == (4.0, 11.0)  # 3 points graded by hand
    assert not (course / "grades.csv").exists()  # not at the root, where git would pick it up
    rows = (course / "autograder" / "nbgrader_grades.csv").read_text().splitlines()
    assert any(
        line.startswith(f"{name},") and ",alice," in line and line.endswith(",4.0,11.0") for line in rows
    ), rows
