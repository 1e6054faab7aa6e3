"""Mutation testing of the exercises: plausible wrong answers must lose points, correct ones must not.

For every assignment, ``mutants/<assignment>.py`` holds ``WRONG`` (each a realistic student mistake) and
``CORRECT`` (right answers written differently from the master). They replace answer cells of the
released notebook and are graded by real nbgrader (mutation_grading.py). A mutant that keeps full marks
"survives", and the test names it with the cells it should have failed.
"""

from __future__ import annotations

import os

import pytest
from mutation_grading import MUTANTS, autograde, load_mutants, read, student_notebook

pytestmark = pytest.mark.slow

ASSIGNMENTS = sorted(p.stem for p in MUTANTS.glob("[0-9]*.py"))


def test_every_assignment_has_a_mutation_suite():
    released = sorted(p.name for p in (MUTANTS.parents[2] / "exercises").iterdir() if p.is_dir())
    assert ASSIGNMENTS == released


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_mutants_are_realistic_answers(assignment):
    """At least 8 wrong answers and one correct alternative, each replacing existing answer cells."""
    wrong, correct, visible = load_mutants(assignment)
    assert visible <= set(wrong)
    assert len(wrong) >= 8 and len(correct) >= 1
    answer_cells = {
        c.metadata["nbgrader"]["grade_id"]
        for c in read("exercises", assignment).cells
        if c.get("metadata", {}).get("nbgrader", {}).get("solution") and c.cell_type == "code"
    }
    for name, cells in {**wrong, **correct}.items():
        assert cells and set(cells) <= answer_cells, (name, set(cells) - answer_cells)
        assert all("NotImplementedError" not in source and source.strip() for source in cells.values()), name


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_wrong_answer_loses_points_and_every_correct_one_scores_full_marks(assignment, tmp_path):
    wrong, correct, visible = load_mutants(assignment)
    students = {"master": student_notebook(assignment, {})}
    students.update({f"wrong-{name}": student_notebook(assignment, cells) for name, cells in wrong.items()})
    students.update({f"right-{name}": student_notebook(assignment, cells) for name, cells in correct.items()})
    graded = autograde(assignment, students, tmp_path / "course")
    full = sum(graded.max_points.values())
    per_notebook = graded.seconds / len(students)
    print(f"{assignment}: {len(students)} notebooks in {graded.seconds:.1f} s ({per_notebook:.1f} s each)")
    if os.environ.get("MTLKIT_MUTANT_REPORT"):  # a kill table for the exercise author
        for student in students:
            print(f"  {student:>40}: {graded.total(student):g}/{full:g} lost {graded.lost(student)}")
    assert full > 0 and graded.total("master") == full, graded.lost("master")
    survivors = [name for name in wrong if graded.total(f"wrong-{name}") >= full]
    assert not survivors, f"wrong answers that keep full marks: {survivors}"
    unwarned = [n for n in visible if not any(c.endswith("_visible") for c in graded.lost(f"wrong-{n}"))]
    assert not unwarned, f"wrong answers that pass every visible test but should not: {unwarned}"
    rejected = {
        name: graded.lost(f"right-{name}") for name in correct if graded.total(f"right-{name}") < full
    }
    assert not rejected, f"correct answers that lose points: {rejected}"
