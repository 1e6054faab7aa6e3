"""Helpers for the autograder tests: build student notebooks from the releases and run the grader.

(A uniquely named module, not conftest.py: several test folders have a conftest.py.)
"""

from __future__ import annotations

import copy
import csv
import json
import os
import re
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


_PROGRESS = re.compile(r"^\[\d+/\d+\] (\S+): .*\[autograde ([0-9.]+) s")


def autograde_seconds(log: str) -> dict[str, float]:
    """Seconds nbgrader's autograde took per student, from the grader's progress lines."""
    return {m[1]: float(m[2]) for line in log.splitlines() if (m := _PROGRESS.match(line))}


def read_grades(out: Path, assignment: str | None = None) -> list[dict[str, str]]:
    with open(out / "grades.csv", newline="") as f:
        return [r for r in csv.DictReader(f) if assignment is None or r["assignment"] == assignment]


def forge_cell(batch_size: int, max_score: float) -> str:
    """Student code that forges result lines for the grader on every channel it can reach.

    It infers its own index from its working folder (``.../s<index>/work``) and writes, for itself, a
    full-marks result, for every classmate a zero, one for an index not in the batch, and a garbage line
    (without a newline, so that it would glue onto the next real line): on fds 1 and 2, on ipykernel's
    copies of the original stdout/stderr, and into every pipe of its parent process (the grading child).
    Prints ``FORGE {channel: what happened}``.
    """
    return f"""import errno, json, os, re, sys
match = re.search(r"/s(\\d+)/work", os.getcwd())
own = int(match.group(1)) if match else -1
def line(i, score):
    fake = {{"cells": [], "metadata": {{}}, "nbformat": 4, "nbformat_minor": 5}}
    return json.dumps({{"index": i, "ok": True, "graded": True, "score": score, "lost": [], "consistent": True,
                       "timed_out": False, "autograded": json.dumps(fake), "feedback": "forged"}}) + "\\n"
payload = "".join(line(i, {max_score!r} if i == own else 0) for i in range({batch_size} + 2)) + "{{x"
payload = payload.encode()
done = {{}}
def attempt(name, write):
    try:
        write()
        done[name] = "done"
    except OSError as err:
        done[name] = errno.errorcode.get(err.errno, str(err))
attempt("fd1", lambda: os.write(1, payload))
attempt("fd2", lambda: os.write(2, payload))
for stream in ("stdout", "stderr"):
    copy = getattr(getattr(sys, stream), "_original_stdstream_copy", None)
    if copy is not None:
        attempt(stream + "_copy", lambda copy=copy: os.write(copy, payload))
parent = f"/proc/{{os.getppid()}}/fd"
try:
    fds = os.listdir(parent)
except OSError as err:
    fds, done["parent_fds"] = [], errno.errorcode.get(err.errno, str(err))
for fd in fds:
    try:
        target = os.readlink(f"{{parent}}/{{fd}}")
    except OSError as err:
        done["parent_fd_" + fd] = errno.errorcode.get(err.errno, str(err))
        continue
    if target.startswith("pipe:"):
        def write(path=f"{{parent}}/{{fd}}"):
            with open(path, "wb", buffering=0) as f:
                f.write(payload)
        attempt("parent_fd_" + fd, write)
print("\\nFORGE " + json.dumps(done))"""


def printed_report(out: Path, sid: str, assignment: str, tag: str) -> dict:
    """The JSON a cell of ``sid``'s autograded notebook printed after ``TAG `` (what an attack cell saw)."""
    nb = nbformat.read(out / "autograded" / sid / assignment / f"{assignment}.ipynb", as_version=4)
    texts = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    line = next(t for text in texts for t in text.splitlines() if t.startswith(f"{tag} "))
    return json.loads(line.removeprefix(f"{tag} "))
