"""A student's output files under ``--out``: ``submitted/``, ``autograded/`` and ``feedback/``.

They are written as soon as the student is graded (the grading child waits meanwhile, so no student code
runs), each file atomically, so an interrupted batch keeps every student graded before the interruption.
The files of a student always match their row in grades.csv: a kind of file this run did not produce
(the row is an error, or the kernel died before nbgrader wrote a notebook) is removed, not left stale
from an earlier run.
"""

from __future__ import annotations

from pathlib import Path

from mtlkit._io import atomic_write

KINDS = {"submitted": ".ipynb", "autograded": ".ipynb", "feedback": ".html"}


def path(out: Path, kind: str, student: str, assignment: str) -> Path:
    """nbgrader's layout: ``OUT/<kind>/<student>/<assignment>/<assignment>.ipynb`` (``.html`` for feedback)."""
    return out / kind / student / assignment / f"{assignment}{KINDS[kind]}"


def store(out: Path, student: str, assignment: str, files: dict[str, bytes]) -> None:
    """Write ``files`` (kind -> content) of one student and remove their other kinds of file."""
    if not student:
        return  # a file that belongs to nobody has no folder
    for kind in KINDS:
        target = path(out, kind, student, assignment)
        if kind in files:
            atomic_write(target, lambda f, data=files[kind]: f.write(data))
        else:
            target.unlink(missing_ok=True)
