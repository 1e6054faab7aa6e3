"""Grade a batch of submissions: one isolated nbgrader autograde per student, then grades.csv.

For each submission the parent process (this one, which never runs student code):

1. validates the JSON and restores the released test cells (autograder.repair);
2. builds a throwaway course tree holding only that notebook and a copy of a template gradebook whose
   solution sources are blanked, and a sandbox folder for the kernel (autograder.sandbox);
3. runs ``job.py grade`` (nbgrader autograde + generate_feedback) in a child process with a wall-clock
   limit, then kills everything the student's kernel started;
4. reads the score back from that tree's gradebook and copies the autograded notebook and the feedback
   HTML into the output folder; grades.csv is rewritten (atomically) after every student.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from mtlkit._io import atomic_write
from mtlkit.errors import UserError, unknown_name

from . import SOLUTIONS, assignments, drift, repair, report, sandbox
from .submissions import Submission, collect

JOB = Path(__file__).with_name("job.py")


@dataclass
class Options:
    """How to grade: per-cell timeout (s), sandbox mode, output folder, whether to keep the work folder."""

    out: Path
    timeout: int = 60
    sandbox: str = "auto"
    keep_work: bool = False
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr)


@dataclass
class Template:
    """The master's gradebook (solutions blanked) and release, built once per batch."""

    gradebook: Path
    release: nbformat.NotebookNode
    max_score: float


def grade(assignment: str, submissions: Path, options: Options) -> list[report.Row]:
    """Grade every submission in ``submissions`` (folder, zip or notebook) and write grades.csv."""
    if assignment not in assignments():
        raise unknown_name("assignment", assignment, assignments())
    if not submissions.exists():
        raise UserError(f"{submissions} does not exist: give a folder of notebooks or an LMS .zip")
    work = Path(tempfile.mkdtemp(prefix="mtlkit-grade-"))  # 0700: course trees, gradebooks
    boxes = Path(
        tempfile.mkdtemp(prefix="mtlkit-sandbox-")
    )  # elsewhere: no fixed relative path leads to work
    boxes.chmod(0o711)  # each sandbox is reachable by its own uid; nothing can be listed
    try:
        return _grade_batch(assignment, submissions, options, work, boxes)
    finally:
        if not options.keep_work:
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(boxes, ignore_errors=True)
        else:
            options.log(f"work folders kept: {work} {boxes}")


def _grade_batch(
    assignment: str, submissions: Path, options: Options, work: Path, boxes: Path
) -> list[report.Row]:
    template = build_template(assignment, work / "template")
    _warn_drift(assignment, template.release, options.log)
    try:
        found = collect(submissions, work / "staging", assignment)
    except (ValueError, OSError) as err:
        raise UserError(f"cannot read the submissions: {err}") from err
    mode, note = sandbox.choose_mode(options.sandbox, work / "probe")
    options.log(f"{assignment}: {len(found)} submission(s), sandbox={mode}" + (f" ({note})" if note else ""))
    uids = sandbox.free_uids(len(found)) if mode == "user" else [-1] * len(found)
    rows: list[report.Row] = []
    csv_path = options.out / "grades.csv"
    for index, (sub, uid) in enumerate(zip(found, uids, strict=True)):
        row = _grade_one(assignment, sub, template, options, work / f"s{index}", boxes / f"s{index}", uid)
        rows.append(row)
        options.log(f"[{index + 1}/{len(found)}] {row.student_id or '?'}: {_summary(row)}")
        report.write(csv_path, assignment, rows)
    report.write(csv_path, assignment, rows)
    return rows


def _summary(row: report.Row) -> str:
    if row.status == "graded":
        return f"{row.score:g}/{row.max_score:g}" + (f" ({row.reason})" if row.reason else "")
    return f"error: {row.reason}"


def build_template(assignment: str, stage: Path) -> Template:
    """Run generate_assignment on a copy of the master; blank the solutions in the resulting gradebook."""
    shutil.copytree(
        SOLUTIONS / assignment,
        stage / "source" / assignment,
        ignore=shutil.ignore_patterns(".*", "__pycache__"),
    )
    result = _run_job(["generate", str(stage), assignment], stage, timeout=300)
    release_path = stage / "release" / assignment / f"{assignment}.ipynb"
    if result.returncode != 0 or not release_path.is_file():
        raise UserError(f"nbgrader generate_assignment failed on solutions/{assignment}:\n{_tail(result)}")
    release = nbformat.read(release_path, as_version=4)
    gradebook = stage / "gradebook.db"
    max_score = _blank_solutions(gradebook, assignment, release)
    return Template(gradebook, release, max_score)


def _blank_solutions(gradebook: Path, assignment: str, release: nbformat.NotebookNode) -> float:
    """Replace solution sources by the released stubs, so no grading tree contains the answers."""
    from nbgrader.api import Gradebook

    released = {c.metadata.nbgrader["grade_id"]: c.source for c in release.cells if "nbgrader" in c.metadata}
    with Gradebook(f"sqlite:///{gradebook}") as gb:
        for notebook in gb.find_assignment(assignment).notebooks:
            for cell in notebook.source_cells:
                if cell.name in released and cell.name in {s.name for s in notebook.solution_cells}:
                    cell.source = released[cell.name]
        gb.db.commit()
        return float(gb.find_assignment(assignment).max_score)


def _warn_drift(assignment: str, release: nbformat.NotebookNode, log: Callable[[str], None]) -> None:
    committed = SOLUTIONS.parent / "exercises" / assignment / f"{assignment}.ipynb"
    if not committed.is_file():
        log(f"warning: exercises/{assignment} is missing; run `nbgrader generate_assignment {assignment}`")
        return
    problems = drift.differences(nbformat.read(committed, as_version=4), release)
    if problems:
        log(f"warning: exercises/{assignment} differs from its master: {'; '.join(problems[:3])}")


def _error(assignment: str, sub: Submission, max_score: float, reason: str) -> report.Row:
    return report.Row(sub.student_id, assignment, None, max_score, "error", reason, sub.origin)


def _grade_one(
    assignment: str,
    sub: Submission,
    template: Template,
    options: Options,
    tree: Path,
    box_dir: Path,
    uid: int,
) -> report.Row:
    if sub.error or sub.path is None:
        return _error(assignment, sub, template.max_score, sub.error)
    data = sub.path.read_bytes()
    try:
        nb, changes = repair.repair(repair.read(data), template.release)
    except repair.Ungradable as err:
        return _error(assignment, sub, template.max_score, str(err))
    _save(options.out / "submitted" / sub.student_id / assignment / f"{assignment}.ipynb", data)
    box = sandbox.Sandbox(box_dir, uid, uid)
    course = tree / "course"
    try:
        _prepare_tree(course, box, assignment, sub.student_id, nb, template)
        row = _run_and_score(assignment, sub, template, options, course, box, nb)
    finally:
        box.kill_processes()
        if not options.keep_work:
            shutil.rmtree(tree, ignore_errors=True)
            shutil.rmtree(box_dir, ignore_errors=True)
    if changes and row.status == "graded":
        row.reason = "; ".join(
            filter(None, [row.reason, "tests restored from the master: " + ", ".join(changes)])
        )
    return row


def _prepare_tree(
    course: Path, box: sandbox.Sandbox, assignment: str, student: str, nb, template: Template
) -> None:
    course.mkdir(parents=True)
    course.chmod(0o700)  # the grader's only when sandboxed: the kernel cannot even look inside
    for sub in ("home", "jupyter_config", "runtime"):
        (course / sub).mkdir()
    target = course / "submitted" / student / assignment / f"{assignment}.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(nb, target)
    shutil.copyfile(template.gradebook, course / "gradebook.db")
    (course / "gradebook.db").chmod(0o600)
    box.create()
    sandbox.write_kernelspec(course / "jupyter", box)


def _run_and_score(
    assignment: str, sub: Submission, template: Template, options: Options, course: Path, box, nb
) -> report.Row:
    cells = sum(c.cell_type == "code" for c in nb.cells)
    limit = options.timeout * (cells + 2) + 120
    args = ["grade", str(course), assignment, sub.student_id, str(options.timeout)]
    try:
        result = _run_job(args, course, timeout=limit)
    except subprocess.TimeoutExpired:
        return _error(
            assignment, sub, template.max_score, f"grading took longer than {limit} s and was stopped"
        )
    autograded = course / "autograded" / sub.student_id / assignment / f"{assignment}.ipynb"
    if not autograded.is_file() or autograded.is_symlink():
        reason = "nbgrader could not run the notebook"
        if "DeadKernelError" in result.stderr or "Kernel died" in result.stderr:
            reason = "the kernel died while running the notebook (does the code exit or crash Python?)"
        return _error(assignment, sub, template.max_score, f"{reason}: {_last_line(result)}")
    score, lost = _read_score(course / "gradebook.db", assignment, sub.student_id)
    graded = nbformat.read(autograded, as_version=4)
    if abs(score - _score_from_outputs(graded)) > 1e-9:
        return _error(
            assignment,
            sub,
            template.max_score,
            "the grading database was modified while the notebook ran (score mismatch); inspect by hand",
        )
    reasons = []
    if _timed_out(graded):
        reasons.append(f"a cell ran longer than {options.timeout} s and was interrupted")
    if lost:
        reasons.append("lost points in " + ", ".join(lost))
    _copy_outputs(course, options.out, assignment, sub.student_id)
    return report.Row(
        sub.student_id, assignment, score, template.max_score, "graded", "; ".join(reasons), sub.origin
    )


def _read_score(gradebook: Path, assignment: str, student: str) -> tuple[float, list[str]]:
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
    """The autograded notebook's score recomputed from its test cells' outputs (nbgrader's own rule)."""
    from nbgrader.utils import determine_grade, is_grade

    return sum(float(determine_grade(c)[0] or 0) for c in nb.cells if is_grade(c))


def _timed_out(nb) -> bool:
    return any(
        out.get("ename") == "CellTimeoutError" for c in nb.cells if c.cell_type == "code" for out in c.outputs
    )


def _copy_outputs(course: Path, out: Path, assignment: str, student: str) -> None:
    pairs = [
        ("autograded", f"{assignment}.ipynb"),
        ("feedback", f"{assignment}.html"),
    ]
    for step, name in pairs:
        src = course / step / student / assignment / name
        if src.is_file() and not src.is_symlink():
            _save(out / step / student / assignment / name, src.read_bytes())


def _save(path: Path, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data))


def _run_job(args: list[str], course: Path, timeout: float) -> subprocess.CompletedProcess:
    """Run job.py in its own session; on timeout kill the whole session and re-raise."""
    env = sandbox.job_env(course)
    for sub in ("home", "jupyter", "jupyter_config", "runtime"):
        (course / sub).mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, str(JOB), *args],
        cwd=course,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _tail(result: subprocess.CompletedProcess, lines: int = 15) -> str:
    return "\n".join((result.stdout + result.stderr).strip().splitlines()[-lines:])


def _last_line(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    return lines[-1][-200:] if lines else f"exit status {result.returncode}"
