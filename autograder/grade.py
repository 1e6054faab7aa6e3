"""Grade a batch of submissions: one nbgrader autograde per student, its kernel jailed, then grades.csv.

The parent process (this one) never runs student code. It builds the template gradebook from the master
(solutions blanked), maps the submissions to students (submissions.py), validates each notebook
(repair.py), flags code that could fool the tests (integrity.py), hands the rest to a grading child
(runner.py, job.py; the kernel in jail.py) and stores each student's files and row as they arrive
(report.py): an interrupted batch keeps everything graded before the interruption.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from traitlets.config import Config

from mtlkit.errors import UserError, unknown_name

from . import SOLUTIONS, assignments, drift, integrity, jail, repair, report, runner, settings
from .submissions import Submission, collect

NONE_RISKS = (
    "--sandbox none: student code runs as you, without a jail: it can read every file you can (the "
    "masters, classmates' notebooks), use the network, and edit grades.csv, nbgrader_config.py and the "
    "grader's own code, so that later students and later batches are graded by its code. Use it only for "
    "notebooks you trust."
)


@dataclass
class Options:
    """How to grade: output folder, per-cell timeout (s), sandbox mode, whether to keep the work folders."""

    out: Path
    timeout: int | None = field(default_factory=settings.default_timeout)
    sandbox: str = "auto"
    keep_work: bool = False
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr)
    masters: Path = SOLUTIONS  # tests grade their own small assignments
    limits: jail.Limits = field(default_factory=jail.Limits)


@dataclass
class Template:
    """The master's gradebook (solutions blanked) and release, built once per batch."""

    assignment: str
    gradebook: bytes
    release: nbformat.NotebookNode
    max_score: float


def grade(assignment: str, submissions: Path, options: Options) -> list[report.Row]:
    """Grade every submission in ``submissions`` (folder, zip or notebook) and write grades.csv."""
    known = assignments(options.masters)
    if assignment not in known:
        raise unknown_name("assignment", assignment, known)
    if options.timeout is None:  # nbgrader_config.py's Execute.timeout is unusable and no --timeout
        problem = settings.timeout_setting()
        raise UserError(problem if isinstance(problem, str) else "no per-cell timeout: pass --timeout")
    if not submissions.exists():
        raise UserError(f"{submissions} does not exist: give a folder of notebooks or an LMS .zip")
    check_apart(submissions, options.out)
    jailed = _jailed(options)
    try:
        config = settings.shared()  # once, before any student code runs: every child grades with it
    except Exception as err:
        raise UserError(f"cannot read {settings.CONFIG_FILE}: {type(err).__name__}: {err}") from err
    work = Path(tempfile.mkdtemp(prefix="mtlkit-grade-"))  # 0700: templates, staging, course trees
    try:
        return _grade_batch(assignment, submissions, options, work, {"config": config, "jailed": jailed})
    finally:
        if options.keep_work:
            options.log(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def _jailed(options: Options) -> bool:
    """True for the bubblewrap jail; ``none`` only by name, with what it risks printed."""
    if options.sandbox == "none":
        options.log("WARNING: " + NONE_RISKS)
        return False
    problem = jail.problem()
    if problem:
        raise UserError(
            f"cannot jail the kernels: {problem}. Install bubblewrap (see autograder/README.md); "
            "--sandbox none grades without a jail, for notebooks you trust only"
        )
    return True


def check_apart(submissions: Path, out: Path) -> None:
    """Refuse submissions inside (or around) the output folders: storing a student's results replaces
    ``OUT/submitted/<id>/...`` and deletes it for an error row, which would destroy the originals."""
    source = submissions.resolve()
    for kind in report.KINDS:
        folder = (out / kind).resolve()
        if source.is_relative_to(folder) or folder.is_relative_to(source):
            raise UserError(
                f"the submissions {submissions} overlap the grader's output folder {out / kind}, which it "
                "rewrites (an error row deletes the student's file there): copy the submissions elsewhere "
                "or pass another --out (e.g. --out autograder/batch1)"
            )


def _grade_batch(
    assignment: str, submissions: Path, options: Options, work: Path, manifest: dict[str, Any]
) -> list[report.Row]:
    template = build_template(assignment, work / "template", manifest["config"], options.masters)
    drifted = drift.compare(assignment, template.release, options.masters.parent / "exercises")
    if drifted:
        fix = f"regenerate it: nbgrader generate_assignment {assignment} --force"
        options.log(
            f"warning: exercises/{assignment} drifts from its master: {'; '.join(drifted[:3])}; {fix}"
        )
    try:
        found = collect(submissions, work / "staging", assignment)
    except (ValueError, OSError) as err:
        raise UserError(f"cannot read the submissions: {err}") from err
    options.log(
        f"{assignment}: {len(found)} submission(s), sandbox={'bwrap' if manifest['jailed'] else 'none'}"
    )
    rows: dict[int, report.Row] = {}
    checked: dict[int, tuple[bytes, list[str], list[str]]] = {}  # upload, notes, integrity flags
    items = []
    for index, sub in enumerate(found):
        try:
            upload, nb, notes = _validate(sub, template)
        except repair.Ungradable as err:
            rows[index] = _row(sub, template, {"error": str(err)}, [], [])
            report.store(options.out, sub.student_id, assignment, {})  # no stale files of earlier runs
            continue
        checked[index] = (upload, notes, integrity.concerns(nb, template.release))
        limit = options.timeout * (sum(c.cell_type == "code" for c in nb.cells) + 2) + 120  # a backstop
        items.append(
            {"index": index, "student": sub.student_id, "limit": limit, "notebook": nbformat.writes(nb)}
        )
    _write_csv(options, rows)
    manifest |= {"assignment": assignment, "timeout": options.timeout, "limits": options.limits}
    manifest |= {"keep_work": options.keep_work, "gradebook": template.gradebook, "items": items}
    for index, outcome in runner.run_batch(work, manifest):
        sub, (upload, notes, flags) = found[index], checked[index]
        rows[index] = row = _row(sub, template, outcome, notes, flags)
        files: dict[str, bytes] = {k: outcome[k].encode() for k in ("autograded", "feedback") if k in outcome}
        report.store(options.out, sub.student_id, assignment, {"submitted": upload, **files})
        _write_csv(options, rows)  # after the files: a row never points at missing files
        options.log(f"[{len(rows)}/{len(found)}] {row.student_id or '?'}: {_summary(row, outcome)}")
    return [rows[i] for i in sorted(rows)]


def _validate(sub: Submission, template: Template) -> tuple[bytes, nbformat.NotebookNode, list[str]]:
    """The upload, the notebook to grade and its notes (cells re-attached); Ungradable says why not."""
    if sub.error or sub.path is None:
        raise repair.Ungradable(sub.error)
    upload = sub.path.read_bytes()
    nb, changes = repair.repair(repair.read(upload), template.release)
    return upload, nb, ["cell metadata re-attached: " + ", ".join(changes)] if changes else []


def _row(
    sub: Submission, template: Template, outcome: dict[str, Any], notes: list[str], flags: list[str]
) -> report.Row:
    """The row of one student: graded (a ``score`` in the outcome) or an error; flags ask for a review."""
    graded = "score" in outcome
    reasons = [*outcome.get("reasons", [outcome.get("error", "")]), *notes]
    status = "graded" if graded else "error"
    if graded and flags:
        status = "needs review"
        reasons.append("needs review: " + "; ".join(flags[:8]))
    score = outcome["score"] if graded else None
    return report.Row(
        sub.student_id, template.assignment, score, template.max_score, status, "; ".join(reasons), sub.origin
    )


def _write_csv(options: Options, rows: dict[int, report.Row]) -> None:
    report.write(options.out / "grades.csv", [rows[i] for i in sorted(rows)])


def _summary(row: report.Row, outcome: dict[str, Any]) -> str:
    """The progress line of a student: score or error, and how long nbgrader took (seconds)."""
    text = f"{row.score:g}/{row.max_score:g}" + (f" ({row.reason})" if row.reason else "")
    text = f"error: {row.reason}" if row.status == "error" else text
    timing = ", ".join(f"{step} {value:.1f} s" for step, value in outcome.get("seconds", {}).items())
    return f"{text} [{timing}]" if timing else text


def build_template(
    assignment: str, stage: Path, config: Config | None = None, masters: Path = SOLUTIONS
) -> Template:
    """Run generate_assignment on a copy of the master; blank the solutions in the resulting gradebook."""
    drift.generate(stage, assignment, config=config, masters=masters)
    release = nbformat.read(stage / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    gradebook = stage / "gradebook.db"
    max_score = _blank_solutions(gradebook, assignment, release)
    return Template(assignment, gradebook.read_bytes(), release, max_score)


def _blank_solutions(gradebook: Path, assignment: str, release: nbformat.NotebookNode) -> float:
    """Replace solution sources by the released stubs: nbgrader's add_missing_cells puts the gradebook's
    source of a deleted answer cell back (a written answer's model answer, say)."""
    from nbgrader.api import Gradebook

    released = {c.metadata.nbgrader["grade_id"]: c.source for c in release.cells if "nbgrader" in c.metadata}
    with Gradebook(f"sqlite:///{gradebook}") as gb:
        for notebook in gb.find_assignment(assignment).notebooks:
            solutions = {s.name for s in notebook.solution_cells}
            for cell in notebook.source_cells:
                if cell.name in released and cell.name in solutions:
                    cell.source = released[cell.name]
        gb.db.commit()
        return float(gb.find_assignment(assignment).max_score)
