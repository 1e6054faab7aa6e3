"""Grade a batch of submissions: one isolated nbgrader autograde per student, then grades.csv.

The parent process (this one) never runs student code. It:

1. builds a template gradebook from the master with ``generate_assignment`` and blanks its solutions;
2. maps the submissions to students (autograder.submissions), validates each notebook and restores the
   released test cells (autograder.repair);
3. hands the notebooks, through a pipe, to a grading child (job.py via autograder.runner) that grades
   the students one after another, each in its own throwaway course tree with its own copy of the
   gradebook and a sandboxed kernel (autograder.sandbox), and reports each result on a private,
   authenticated pipe (autograder.channel);
4. after each student, while the child waits (no student code runs), writes that student's submitted
   and autograded notebooks and feedback HTML (autograder.outputs) and rewrites grades.csv, each
   atomically: an interrupted batch keeps everything graded before the interruption.
"""

from __future__ import annotations

import contextlib
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

from . import (
    SOLUTIONS,
    assignments,
    drift,
    namespace,
    outputs,
    repair,
    report,
    runner,
    sandbox,
    settings,
    uids,
)
from .submissions import Submission, collect


@dataclass
class Options:
    """How to grade: output folder, per-cell timeout (s), sandbox mode, whether to keep the work folders."""

    out: Path
    timeout: int | None = field(default_factory=settings.default_timeout)
    sandbox: str = "auto"
    keep_work: bool = False
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr)


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
    changes: dict[int, list[str]] = field(default_factory=dict)  # test cells restored in each


def grade(assignment: str, submissions: Path, options: Options) -> list[report.Row]:
    """Grade every submission in ``submissions`` (folder, zip or notebook) and write grades.csv."""
    if assignment not in assignments():
        raise unknown_name("assignment", assignment, assignments())
    if options.timeout is None:  # nbgrader_config.py's Execute.timeout is unusable and no --timeout
        raise UserError(settings.timeout_problem() or "no per-cell timeout: pass --timeout")
    if not 1 <= options.timeout <= settings.MAX_TIMEOUT:
        raise UserError(
            f"the per-cell timeout must be 1 to {settings.MAX_TIMEOUT} seconds, got {options.timeout}"
        )
    if not submissions.exists():
        raise UserError(f"{submissions} does not exist: give a folder of notebooks or an LMS .zip")
    check_apart(submissions, options.out)
    try:
        config = settings.snapshot()  # once, before any student code runs: every child grades with it
    except OSError as err:
        raise UserError(f"cannot read {settings.CONFIG_FILE}: {err}") from err
    work = Path(tempfile.mkdtemp(prefix="mtlkit-grade-"))  # 0700: templates, staging, course trees
    boxes = Path(
        tempfile.mkdtemp(prefix="mtlkit-sandbox-")
    )  # elsewhere: no fixed relative path leads to work
    boxes.chmod(0o711)  # each sandbox is reachable by its own uid only; nothing can be listed
    try:
        with contextlib.ExitStack() as held:  # what the batch holds until it ends: its sandbox uids
            return _grade_batch(assignment, submissions, options, work, boxes, config, held)
    finally:
        if options.keep_work:
            options.log(f"work folders kept: {work} {boxes}")
        else:
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(boxes, ignore_errors=True)


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
    assignment: str,
    submissions: Path,
    options: Options,
    work: Path,
    boxes: Path,
    config: str,
    held: contextlib.ExitStack,
) -> list[report.Row]:
    template = build_template(assignment, work / "template", config)
    _warn_drift(assignment, template.release, options.log)
    try:
        found = collect(submissions, work / "staging", assignment)
    except (ValueError, OSError) as err:
        raise UserError(f"cannot read the submissions: {err}") from err
    mode, note = sandbox.choose_mode(options.sandbox, work / "probe")
    options.log(f"{assignment}: {len(found)} submission(s), sandbox={mode}" + (f" ({note})" if note else ""))
    kernel_uids = [-1] * len(found)
    if mode == "user":  # uids no other batch on this machine uses meanwhile (each kills all of its uid's)
        kernel_uids = held.enter_context(uids.reserved_uids(len(found)))
    isolation = {
        "namespace": mode == "namespace",
        "pid": mode == "namespace" and not namespace.problem(pid=True),
        "hide": _hidden(work, submissions, options.out),
    }
    batch, items = _Batch(), []
    for index, (sub, uid) in enumerate(zip(found, kernel_uids, strict=True)):
        prepared = _prepare(assignment, sub, template, options, uid)
        if isinstance(prepared, report.Row):
            batch.rows[index] = prepared
            outputs.store(options.out, sub.student_id, assignment, {})  # no stale files of earlier runs
            continue
        item, batch.changes[index], batch.uploads[index] = prepared
        paths = {"course": str(work / f"s{index}"), "sandbox": str(boxes / f"s{index}")}
        items.append({**item, **paths, "index": index, **isolation})
    _write_csv(options, assignment, batch)
    batches = runner.run_batch(work, assignment, options.timeout, template.gradebook, items, config)
    for item, outcome in batches:
        index = item["index"]
        row, files = _row(assignment, found[index], template, options, item, outcome, batch.changes[index])
        batch.rows[index] = row
        outputs.store(options.out, row.student_id, assignment, {"submitted": batch.uploads[index], **files})
        _write_csv(options, assignment, batch)  # after the files: a row never points at missing files
        options.log(f"[{len(batch.rows)}/{len(found)}] {row.student_id or '?'}: {_summary(row, outcome)}")
    return [batch.rows[i] for i in sorted(batch.rows)]


def _hidden(work: Path, submissions: Path, out: Path) -> list[str]:
    """Folders a ``namespace`` kernel must not even read: masters (and git history), inputs, outputs."""
    folders = [SOLUTIONS, SOLUTIONS.parent / ".git", work, out, submissions if submissions.is_dir() else None]
    return [str(p.resolve()) for p in folders if p is not None]


def _write_csv(options: Options, assignment: str, batch: _Batch) -> None:
    report.write(options.out / "grades.csv", assignment, [batch.rows[i] for i in sorted(batch.rows)])


def _summary(row: report.Row, outcome: dict[str, Any]) -> str:
    """The progress line of a student: score or error, and how long nbgrader took (seconds)."""
    seconds = outcome.get("seconds") or {}
    timing = ", ".join(f"{step} {value:.1f} s" for step, value in seconds.items())
    if row.status == "graded":
        text = f"{row.score:g}/{row.max_score:g}" + (f" ({row.reason})" if row.reason else "")
    else:
        text = f"error: {row.reason}"
    return text + (f" [{timing}]" if timing else "")


def build_template(assignment: str, stage: Path, config: str | None = None) -> Template:
    """Run generate_assignment on a copy of the master; blank the solutions in the resulting gradebook."""
    shutil.copytree(
        SOLUTIONS / assignment,
        stage / "source" / assignment,
        ignore=shutil.ignore_patterns(".*", "__pycache__"),
    )
    result = runner.run_generate(stage, assignment, config=config)
    release_path = stage / "release" / assignment / f"{assignment}.ipynb"
    if result.returncode != 0 or not release_path.is_file():
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise UserError(f"nbgrader generate_assignment failed on solutions/{assignment}:\n{tail}")
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


def _prepare(
    assignment: str, sub: Submission, template: Template, options: Options, uid: int
) -> report.Row | tuple[dict[str, Any], list[str], bytes]:
    """An error row, or the grading item of a valid notebook (test cells restored), what was restored
    and the notebook as submitted."""
    if sub.error or sub.path is None:
        return _error(assignment, sub, template.max_score, sub.error)
    data = sub.path.read_bytes()
    try:
        nb, changes = repair.repair(repair.read(data), template.release)
    except repair.Ungradable as err:
        return _error(assignment, sub, template.max_score, str(err))
    cells = sum(c.cell_type == "code" for c in nb.cells)
    limit = options.timeout * (cells + 2) + 120  # a backstop: each cell is interrupted after options.timeout
    item = {"student": sub.student_id, "uid": uid, "limit": limit, "notebook": nbformat.writes(nb)}
    return item, changes, data


def _row(
    assignment: str,
    sub: Submission,
    template: Template,
    options: Options,
    item: dict[str, Any],
    outcome: dict[str, Any],
    changes: list[str],
) -> tuple[report.Row, dict[str, bytes]]:
    """The row of one graded (or failed) student and their output files (kind -> content)."""
    max_score = template.max_score
    notes = [_IGNORED.format(outcome["ignored"])] if outcome.get("ignored") else []
    if outcome.get("timeout"):
        reason = f"grading took longer than {item['limit']} s and was stopped"
        return _error(assignment, sub, max_score, "; ".join([reason, *notes])), {}
    log = "\n".join(outcome.get("log", []))
    last = ([line for line in log.splitlines() if line.strip()][-1:] or ["no details"])[0][-200:]
    if outcome.get("dead"):
        reason = f"the grading process stopped while grading it ({_how(outcome.get('returncode'))}): {last}"
        return _error(assignment, sub, max_score, "; ".join([reason, *notes])), {}
    if outcome.get("failed"):
        reason = f"the grader failed on this notebook: {outcome['failed']}"
        return _error(assignment, sub, max_score, "; ".join([reason, *notes])), {}
    if outcome.get("too_large"):
        reason = (
            f"its results (graded notebook and feedback: {outcome['too_large'] / 2**20:.1f} MiB) are larger "
            f"than the {runner.MAX_RESULT_BYTES / 2**20:g} MiB the grader accepts: a cell prints or shows too much"
        )
        return _error(assignment, sub, max_score, "; ".join([reason, *notes])), {}
    if "kernel_start" in outcome:  # before any cell ran: not the student's doing
        reason = "the kernel could not start: " + (outcome["kernel_start"] or "it printed nothing")
        return _error(assignment, sub, max_score, "; ".join([reason, *notes])), {}
    if not outcome.get("graded"):
        if "DeadKernelError" in log or "Kernel died" in log:
            reason = "the kernel died while running the notebook (the code exits or crashes Python): every test counts 0"
            reason = "; ".join([reason, *notes])
            return report.Row(sub.student_id, assignment, 0.0, max_score, "graded", reason, sub.origin), {}
        reason = f"nbgrader could not run the notebook: {last}"
        return _error(assignment, sub, max_score, "; ".join([reason, *notes])), {}
    if not outcome["consistent"]:
        reason = "the grading database was modified while the notebook ran (score mismatch); inspect by hand"
        return _error(assignment, sub, max_score, "; ".join([reason, *notes])), {}
    reasons = []
    if outcome["timed_out"]:
        reasons.append(f"a cell ran longer than {options.timeout} s and was interrupted")
    if outcome["lost"]:
        reasons.append("lost points in " + ", ".join(outcome["lost"]))
    if changes:
        reasons.append("tests restored from the master: " + ", ".join(changes))
    files = {"autograded": outcome["autograded"].encode()}
    if outcome["feedback"]:
        files["feedback"] = outcome["feedback"].encode()
    score = float(outcome["score"])
    row = report.Row(
        sub.student_id, assignment, score, max_score, "graded", "; ".join(reasons + notes), sub.origin
    )
    return row, files


def _how(returncode: int | None) -> str:
    """How a child process ended, in words (a SIGKILL is most often the kernel's out-of-memory killer)."""
    if returncode is None or returncode >= 0:
        return f"exit status {returncode}"
    name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else str(-returncode)
    return f"killed by {name}" + (", e.g. out of memory" if -returncode == signal.SIGKILL else "")


_IGNORED = "ignored {} result line(s) that the grader did not send, written while this notebook ran"
