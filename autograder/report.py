"""What the grader writes under ``--out``: grades.csv and each student's files.

grades.csv has one row per submission, merged across assignments, written atomically under a lock. A
student's ``submitted/``, ``autograded/`` and ``feedback/`` files are written (atomically) before their
row, and a kind of file this run did not produce is removed: the files always match the row.
"""

from __future__ import annotations

import csv
import fcntl
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from operator import methodcaller
from pathlib import Path

from mtlkit._io import atomic_write, write_text

KINDS = {"submitted": ".ipynb", "autograded": ".ipynb", "feedback": ".html"}
FIELDS = ["student_id", "assignment", "score", "max_score", "status", "reason", "submission"]


@dataclass
class Row:
    """A graded submission (status ``graded``, a score) or one that could not be graded (``error``, a reason)."""

    student_id: str
    assignment: str
    score: float | None
    max_score: float
    status: str
    reason: str
    submission: str


def _safe(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP "CSV injection"): ``'`` before ``=+-@``."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def read(path: Path) -> list[dict[str, str]]:
    """Rows of an existing grades.csv (empty when it does not exist)."""
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row.get("assignment")]


def _key(row: dict[str, str]) -> tuple[str, str]:
    """A row stands for a student's grade in an assignment (or, without a student id, for a file)."""
    return (row["assignment"], row["student_id"] or "file:" + row.get("submission", ""))


def _cells(row: Row) -> dict[str, str]:
    """A row as grades.csv cells: numbers as ``%g``, text a spreadsheet will not run."""
    text = {k: _safe(v) for k, v in asdict(row).items() if isinstance(v, str)}
    score = "" if row.score is None else f"{row.score:g}"
    return text | {"score": score, "max_score": f"{row.max_score:g}"}


def write(path: Path, rows: list[Row]) -> None:
    """Put ``rows`` into ``path``, replacing the rows of the same students and assignment, keeping all
    others (other assignments, and students not in this batch, e.g. graded earlier)."""
    with _locked(path):
        new = [_cells(r) for r in rows]
        replaced = {_key(r) for r in new}
        merged = [r for r in read(path) if _key(r) not in replaced] + new
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=FIELDS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(
            sorted(merged, key=lambda r: (r["assignment"], r["student_id"], r.get("submission", "")))
        )
        write_text(path, buffer.getvalue())


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
            atomic_write(target, methodcaller("write", files[kind]))
        else:
            target.unlink(missing_ok=True)
