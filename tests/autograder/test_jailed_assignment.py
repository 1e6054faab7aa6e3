"""A real assignment graded by ``python -m autograder grade`` with its kernels jailed: a student with the
master's answers scores full marks (torch and mtlkit import in the jail, MTLKIT_SMOKE=1 reaches the
kernel), the released blank scores 0, and the progress line names the jail."""

from __future__ import annotations

import pytest
from autograder_helpers import ASSIGNMENTS, answers, read_grades, release, run_grader, student, write

from autograder import jail

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(jail.problem()), reason=f"no bubblewrap jail here: {jail.problem()}"),
]
SMOKE = "import os\nassert os.environ.get('MTLKIT_SMOKE') == '1', 'MTLKIT_SMOKE is not set'\n"


def test_a_real_assignment_grades_in_the_jail(tmp_path):
    assignment = ASSIGNMENTS[0]
    subs, out = tmp_path / "subs", tmp_path / "out"
    solved = student(assignment, solved=answers(assignment))
    first = next(c for c in solved.cells if c.metadata.get("nbgrader", {}).get("solution"))
    first.source = SMOKE + first.source
    write(solved, subs / f"ann_{assignment}.ipynb")
    write(release(assignment), subs / f"bob_{assignment}.ipynb")
    result = run_grader(assignment, subs, out)
    assert "sandbox=bwrap" in result.stderr
    rows = {r["student_id"]: r for r in read_grades(out, assignment)}
    assert rows["ann"]["status"] == "graded" and rows["ann"]["score"] == rows["ann"]["max_score"], rows["ann"]
    assert rows["bob"]["status"] == "graded" and float(rows["bob"]["score"]) == 0, rows["bob"]
