"""Grade a batch of submissions: one nbgrader autograde per student, its kernel jailed, then grades.csv.

The parent process (this one) never runs student code. It:

1. builds a template gradebook from the master with ``generate_assignment`` and blanks its solutions;
2. maps the submissions to students (autograder.submissions), validates each notebook and re-attaches
   cell metadata an editor dropped (autograder.repair; nbgrader's OverwriteCells restores the tests),
   and flags code that could fool the tests (autograder.integrity);
3. hands the notebooks to a grading child (job.py via autograder.runner) that grades the students one
   after another, each in its own root-only course tree, with the kernel in a bubblewrap jail
   (autograder.jail);
4. writes each student's submitted and autograded notebooks and feedback HTML as soon as they arrive
   (autograder.outputs), then rewrites grades.csv, each atomically: an interrupted batch keeps
   everything graded before the interruption.
"""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from mtlkit.errors import UserError, unknown_name

from . import SOLUTIONS, assignments, drift, integrity, jail, outputs, repair, report, runner, settings
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

    gradebook: bytes
    release: nbformat.NotebookNode
    max_score: float


@dataclass
class _Batch:
    rows: dict[int, report.Row] = field(default_factory=dict)
    uploads: dict[int, bytes] = field(default_factory=dict)  # the gradable notebooks, as submitted
    notes: dict[int, list[str]] = field(default_factory=dict)  # re-attached cells
    flags: dict[int, list[str]] = field(default_factory=dict)  # integrity concerns


def grade(assignment: str, submissions: Path, options: Options) -> list[report.Row]:
    """Grade every submission in ``submissions`` (folder, zip or notebook) and write grades.csv."""
    known = assignments(options.masters)
    if assignment not in known:
        raise unknown_name("assignment", assignment, known)
    if options.timeout is None:  # nbgrader_config.py's Execute.timeout is unusable and no --timeout
        raise UserError(settings.timeout_problem() or "no per-cell timeout: pass --timeout")
    if not 1 <= options.timeout <= settings.MAX_TIMEOUT:
        raise UserError(
            f"the per-cell timeout must be 1 to {settings.MAX_TIMEOUT} seconds, got {options.timeout}"
        )
    if not submissions.exists():
        raise UserError(f"{submissions} does not exist: give a folder of notebooks or an LMS .zip")
    check_apart(submissions, options.out)
    jailed = _jailed(options)
    try:
        config = settings.snapshot()  # once, before any student code runs: every child grades with it
    except OSError as err:
        raise UserError(f"cannot read {settings.CONFIG_FILE}: {err}") from err
    work = Path(tempfile.mkdtemp(prefix="mtlkit-grade-"))  # 0700: templates, staging, course trees
    try:
        return _grade_batch(assignment, submissions, options, work, config, jailed)
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
    for kind in outputs.KINDS:
        folder = (out / kind).resolve()
        if source.is_relative_to(folder) or folder.is_relative_to(source):
            raise UserError(
                f"the submissions {submissions} overlap the grader's output folder {out / kind}, which it "
                "rewrites (an error row deletes the student's file there): copy the submissions elsewhere "
                "or pass another --out (e.g. --out autograder/batch1)"
            )


def _grade_batch(
    assignment: str, submissions: Path, options: Options, work: Path, config: str, jailed: bool
) -> list[report.Row]:
    template = build_template(assignment, work / "template", config, options.masters)
    _warn_drift(assignment, template.release, options.log, options.masters)
    try:
        found = collect(submissions, work / "staging", assignment)
    except (ValueError, OSError) as err:
        raise UserError(f"cannot read the submissions: {err}") from err
    mode = "bwrap" if jailed else "none"
    options.log(f"{assignment}: {len(found)} submission(s), sandbox={mode}")
    batch, items = _Batch(), []
    for index, sub in enumerate(found):
        prepared = _prepare(assignment, sub, template, options)
        if isinstance(prepared, report.Row):
            batch.rows[index] = prepared
            outputs.store(options.out, sub.student_id, assignment, {})  # no stale files of earlier runs
            continue
        item, batch.notes[index], batch.flags[index], batch.uploads[index] = prepared
        items.append({**item, "index": index})
    _write_csv(options, assignment, batch)
    manifest = {
        "assignment": assignment,
        "timeout": options.timeout,
        "config": config,
        "jailed": jailed,
        "limits": vars(options.limits),
        "keep_work": options.keep_work,
    }
    for item, outcome in runner.run_batch(work, template.gradebook, items, manifest):
        index = item["index"]
        row, files = _row(assignment, found[index], template, options, item, outcome)
        row = _annotate(row, batch.notes[index], batch.flags[index])
        batch.rows[index] = row
        outputs.store(options.out, row.student_id, assignment, {"submitted": batch.uploads[index], **files})
        _write_csv(options, assignment, batch)  # after the files: a row never points at missing files
        options.log(f"[{len(batch.rows)}/{len(found)}] {row.student_id or '?'}: {_summary(row, outcome)}")
    return [batch.rows[i] for i in sorted(batch.rows)]


def _annotate(row: report.Row, notes: list[str], flags: list[str]) -> report.Row:
    """Add re-attached cells to the reason; a graded row with integrity concerns needs review."""
    reasons = [row.reason] if row.reason else []
    if notes:
        reasons.append("cell metadata re-attached: " + ", ".join(notes))
    if flags and row.status == "graded":
        row.status = "needs review"
        reasons.append("needs review: " + "; ".join(flags[:8]))
    row.reason = "; ".join(reasons)
    return row


def _write_csv(options: Options, assignment: str, batch: _Batch) -> None:
    report.write(options.out / "grades.csv", assignment, [batch.rows[i] for i in sorted(batch.rows)])


def _summary(row: report.Row, outcome: dict[str, Any]) -> str:
    """The progress line of a student: score or error, and how long nbgrader took (seconds)."""
    seconds = outcome.get("seconds") or {}
    timing = ", ".join(f"{step} {value:.1f} s" for step, value in seconds.items())
    if row.status != "error":
        text = f"{row.score:g}/{row.max_score:g}" + (f" ({row.reason})" if row.reason else "")
    else:
        text = f"error: {row.reason}"
    return text + (f" [{timing}]" if timing else "")


def build_template(
    assignment: str, stage: Path, config: str | None = None, masters: Path = SOLUTIONS
) -> Template:
    """Run generate_assignment on a copy of the master; blank the solutions in the resulting gradebook."""
    shutil.copytree(
        masters / assignment,
        stage / "source" / assignment,
        ignore=shutil.ignore_patterns(".*", "__pycache__"),
    )
    result = runner.run_generate(stage, assignment, config=config)
    release_path = stage / "release" / assignment / f"{assignment}.ipynb"
    if result.returncode != 0 or not release_path.is_file():
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise UserError(f"nbgrader generate_assignment failed on {masters.name}/{assignment}:\n{tail}")
    release = nbformat.read(release_path, as_version=4)
    gradebook = stage / "gradebook.db"
    max_score = _blank_solutions(gradebook, assignment, release)
    return Template(gradebook.read_bytes(), release, max_score)


def _blank_solutions(gradebook: Path, assignment: str, release: nbformat.NotebookNode) -> float:
    """Replace solution sources by the released stubs, so no grading tree contains the answers."""
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


def _warn_drift(
    assignment: str, release: nbformat.NotebookNode, log: Callable[[str], None], masters: Path
) -> None:
    committed = masters.parent / "exercises" / assignment / f"{assignment}.ipynb"
    if not committed.is_file():
        log(f"warning: exercises/{assignment} is missing; run `nbgrader generate_assignment {assignment}`")
        return
    problems = drift.differences(nbformat.read(committed, as_version=4), release)
    if problems:
        log(f"warning: exercises/{assignment} differs from its master: {'; '.join(problems[:3])}")


def _error(assignment: str, sub: Submission, max_score: float, reason: str) -> report.Row:
    return report.Row(sub.student_id, assignment, None, max_score, "error", reason, sub.origin)


def _prepare(
    assignment: str, sub: Submission, template: Template, options: Options
) -> report.Row | tuple[dict[str, Any], list[str], list[str], bytes]:
    """An error row, or the grading item of a valid notebook, re-attached cells, integrity concerns
    and the notebook as submitted."""
    if sub.error or sub.path is None:
        return _error(assignment, sub, template.max_score, sub.error)
    data = sub.path.read_bytes()
    try:
        nb, notes = repair.repair(repair.read(data), template.release)
    except repair.Ungradable as err:
        return _error(assignment, sub, template.max_score, str(err))
    cells = sum(c.cell_type == "code" for c in nb.cells)
    limit = options.timeout * (cells + 2) + 120  # a backstop: each cell is interrupted after options.timeout
    item = {"student": sub.student_id, "limit": limit, "notebook": nbformat.writes(nb)}
    return item, notes, integrity.concerns(nb, template.release), data


def _row(
    assignment: str,
    sub: Submission,
    template: Template,
    options: Options,
    item: dict[str, Any],
    outcome: dict[str, Any],
) -> tuple[report.Row, dict[str, bytes]]:
    """The row of one graded (or failed) student and their output files (kind -> content)."""
    max_score = template.max_score
    log = "\n".join(outcome.get("log", []))
    died = "kernel_start" not in outcome and ("DeadKernelError" in log or "Kernel died" in log)
    if not outcome.get("graded") and died and not outcome.get("timeout"):
        reason = "the kernel died while running the notebook (out of memory, the process limit, or the code exits): every test counts 0"
        return report.Row(sub.student_id, assignment, 0.0, max_score, "graded", reason, sub.origin), {}
    if not outcome.get("graded"):
        return _error(assignment, sub, max_score, _failure(outcome, item, options)), {}
    reasons = []
    if outcome["timed_out"]:
        reasons.append(f"timeout: a cell ran longer than {options.timeout} s and was interrupted")
    if outcome["lost"]:
        reasons.append("lost points in " + ", ".join(outcome["lost"]))
    files = {"autograded": outcome["autograded"].encode()}
    if outcome["feedback"]:
        files["feedback"] = outcome["feedback"].encode()
    score = float(outcome["score"])
    return report.Row(
        sub.student_id, assignment, score, max_score, "graded", "; ".join(reasons), sub.origin
    ), files


def _failure(outcome: dict[str, Any], item: dict[str, Any], options: Options) -> str:
    """Why a student has no score, naming the real cause."""
    log = "\n".join(outcome.get("log", []))
    last = ([line for line in log.splitlines() if line.strip()][-1:] or ["no details"])[0][-200:]
    if outcome.get("timeout"):
        return f"timeout: grading took longer than {item['limit']} s (cells of {options.timeout} s each) and was stopped"
    if outcome.get("dead"):
        return f"the grading process stopped while grading it ({_how(outcome.get('returncode'))}): {last}"
    if outcome.get("failed"):
        return f"the grader failed on this notebook: {outcome['failed']}"
    if outcome.get("too_large"):
        size = outcome["too_large"] / 2**20
        return f"its results ({size:.1f} MiB) are larger than the {runner.MAX_RESULT_BYTES >> 20} MiB the grader accepts"
    if "kernel_start" in outcome:  # before any cell ran: not the student's doing
        return "the kernel could not start: " + outcome["kernel_start"]
    return f"nbgrader could not run the notebook: {last}"


def _how(returncode: int | None) -> str:
    """How a child process ended, in words (a SIGKILL is most often the kernel's out-of-memory killer)."""
    if returncode is None or returncode >= 0:
        return f"exit status {returncode}"
    name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else str(-returncode)
    return f"killed by {name}" + (", e.g. out of memory" if -returncode == signal.SIGKILL else "")
