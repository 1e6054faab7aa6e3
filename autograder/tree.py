"""One student's throwaway nbgrader course tree: build it, and read the grade back out of it.

Both run in the grading child (job.py) right before and right after that student's kernel, so no other
student's kernel is alive while the tree exists, and the results leave it (on the child's private result
pipe) before the next student's code runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .sandbox import Sandbox, make_job_folders, write_kernelspec


def prepare(
    course: Path, box: Sandbox, assignment: str, student: str, notebook: str, gradebook: bytes
) -> None:
    """nbgrader's default layout with the submitted notebook, a private gradebook and a sandbox kernelspec."""
    course.mkdir(parents=True)
    course.chmod(0o700)  # the grader's only: a sandboxed kernel cannot even look inside
    target = course / "submitted" / student / assignment / f"{assignment}.ipynb"
    target.parent.mkdir(parents=True)
    target.write_text(notebook, encoding="utf-8")
    (course / "gradebook.db").write_bytes(gradebook)
    (course / "gradebook.db").chmod(0o600)
    make_job_folders(course)
    box.create()
    write_kernelspec(course / "jupyter", box)


def result(course: Path, assignment: str, student: str) -> dict[str, Any]:
    """Score, lost tests, timeouts and output files of a graded tree (``graded`` False when none)."""
    import nbformat

    autograded = course / "autograded" / student / assignment / f"{assignment}.ipynb"
    if not autograded.is_file() or autograded.is_symlink():
        return {"graded": False}
    score, lost = _read_gradebook(course / "gradebook.db", assignment, student)
    nb = nbformat.read(autograded, as_version=4)
    feedback = course / "feedback" / student / assignment / f"{assignment}.html"
    return {
        "graded": True,
        "score": score,
        "lost": lost,
        "consistent": abs(score - _score_from_outputs(nb)) < 1e-9,
        "timed_out": _timed_out(nb),
        "autograded": autograded.read_text(encoding="utf-8"),
        "feedback": feedback.read_text(encoding="utf-8")
        if feedback.is_file() and not feedback.is_symlink()
        else "",
    }


def _read_gradebook(gradebook: Path, assignment: str, student: str) -> tuple[float, list[str]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{gradebook}") as gb:
        submission = gb.find_submission(assignment, student)
        lost = [
            f"{g.name} ({g.score:g}/{g.max_score:g})"
            for nb in submission.notebooks
            for g in sorted(nb.grades, key=lambda g: g.name)
            if g.score < g.max_score
        ]
        return float(submission.score), lost


def _score_from_outputs(nb) -> float:
    """The score recomputed from the test cells' outputs with nbgrader's own rule (a tamper check)."""
    from nbgrader.utils import determine_grade, is_grade

    return sum(float(determine_grade(c)[0] or 0) for c in nb.cells if is_grade(c))


def _timed_out(nb) -> bool:
    return any(
        out.get("ename") == "CellTimeoutError" for c in nb.cells if c.cell_type == "code" for out in c.outputs
    )
