"""Output files are written student by student: a batch killed halfway keeps what it graded, a re-run
completes it, and a student whose row becomes an error keeps no stale files (real nbgrader and kernels)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from autograder_helpers import (
    ROOT,
    answers,
    grader_command,
    points,
    read_grades,
    release,
    run_grader,
    student,
    write,
)

from autograder import report

A = "06_evaluation"


def _files(out: Path, sid: str) -> dict[str, bool]:
    return {kind: report.path(out, kind, sid, A).is_file() for kind in report.KINDS}


def _grade_then_kill(subs: Path, out: Path, env: dict[str, str]) -> list[str]:
    """Start the grader and SIGKILL it (no cleanup at all) as soon as it reports its first student."""
    proc = subprocess.Popen(
        grader_command(A, subs, out, "--sandbox", "none", "--timeout", "15"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    try:
        for line in proc.stderr:
            seen.append(line)
            if line.startswith("[1/"):
                os.kill(proc.pid, signal.SIGKILL)
                break
    finally:
        proc.kill()
        proc.wait()
    assert seen and seen[-1].startswith("[1/3] ann: "), seen
    return seen


def _grading_processes(tmp: Path) -> list[int]:
    """Processes whose working folder is under ``tmp`` (the orphaned grading child, its kernels)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and Path(os.readlink(proc / "cwd")).is_relative_to(tmp):
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


@pytest.mark.slow
def test_a_killed_batch_keeps_the_graded_students_and_a_rerun_completes_it(tmp_path):
    subs, out, tmp = tmp_path / "subs", tmp_path / "out", tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TMPDIR": str(tmp)}  # its work folders, left behind
    for sid in ("ann", "bob"):
        write(student(A, solved=answers(A)), subs / f"{sid}_{A}.ipynb")
    write(release(A), subs / f"cat_{A}.ipynb")
    _grade_then_kill(subs, out, env)
    rows = {r["student_id"]: r for r in read_grades(out, A)}
    assert set(rows) == {"ann"} and rows["ann"]["score"] == f"{points(A):g}"
    assert _files(out, "ann") == {"submitted": True, "autograded": True, "feedback": True}
    assert _files(out, "bob") == {"submitted": False, "autograded": False, "feedback": False}
    deadline = time.monotonic() + 60
    while _grading_processes(tmp) and time.monotonic() < deadline:  # the orphan stops by itself
        time.sleep(0.5)
    assert not _grading_processes(tmp)

    run_grader(A, subs, out, "--sandbox", "none", "--timeout", "15", env={"TMPDIR": str(tmp)})
    rows = {r["student_id"]: r for r in read_grades(out, A)}
    full = f"{points(A):g}"
    assert {sid: rows[sid]["score"] for sid in rows} == {"ann": full, "bob": full, "cat": "0"}
    assert all(all(_files(out, sid).values()) for sid in rows)

    # ann re-submits a broken file: an error row, and none of ann's old files is left behind
    (subs / f"ann_{A}.ipynb").write_text('{"cells": [')
    run_grader(A, subs, out, "--sandbox", "none", "--timeout", "15", env={"TMPDIR": str(tmp)})
    rows = {r["student_id"]: r for r in read_grades(out, A)}
    assert rows["ann"]["status"] == "error" and "not JSON" in rows["ann"]["reason"]
    assert _files(out, "ann") == {"submitted": False, "autograded": False, "feedback": False}
    assert all(all(_files(out, sid).values()) for sid in ("bob", "cat"))


def test_store_writes_what_it_is_given_and_removes_the_rest(tmp_path):
    report.store(tmp_path, "ann", A, {"submitted": b"s", "autograded": b"a", "feedback": b"f"})
    report.store(tmp_path, "ann", A, {"submitted": b"s2"})  # e.g. the kernel died: no notebook, no feedback
    assert report.path(tmp_path, "submitted", "ann", A).read_bytes() == b"s2"
    assert not report.path(tmp_path, "autograded", "ann", A).exists()
    assert not report.path(tmp_path, "feedback", "ann", A).exists()
    report.store(tmp_path, "", A, {})  # nobody's file: nothing to do
    assert sorted(p.name for p in (tmp_path / "submitted").iterdir()) == ["ann"]


def _broken_uploads(folder: Path) -> dict[Path, bytes]:
    """nbgrader's layout ``<id>/<A>/<A>.ipynb`` with unreadable notebooks (each gets an error row)."""
    files = {}
    for sid in ("ann", "bob"):
        path = folder / sid / A / f"{A}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_bytes(b'{"cells": [')
        files[path] = path.read_bytes()
    return files


@pytest.mark.parametrize("where", ["submitted", "submitted/ann", "out", "link"])
def test_submissions_that_overlap_the_output_folders_are_refused_untouched(tmp_path, where, capsys):
    from autograder.__main__ import main

    out = tmp_path / "out"
    originals = _broken_uploads(out / "submitted")
    submissions = {"submitted": out / "submitted", "submitted/ann": out / "submitted" / "ann", "out": out}
    if where == "link":  # the same folder by another name
        (tmp_path / "link").symlink_to(out / "submitted")
    source = submissions.get(where, tmp_path / "link")
    assert main(["grade", A, str(source), "--out", str(out), "--sandbox", "none"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "overlap the grader's output folder" in lines[0] and "--out" in lines[0], lines
    assert {path: path.read_bytes() for path in originals} == originals  # no original deleted
    assert not (out / "grades.csv").exists()
