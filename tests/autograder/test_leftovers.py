"""Nothing a batch started keeps running afterwards (real nbgrader and kernels): neither what a
student's code detached, nor a kernel whose grading child was killed."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import nbformat
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

from autograder import namespace

A = "06_evaluation"
MODES = ["none"] + ([] if namespace.problem() else ["namespace"])

# Detaches a process (new session, then its parent exits) whose command line names the sandbox.
_DETACH = """import os, subprocess, sys
code = "import os, subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', sys.argv[1]], start_new_session=True); time.sleep(300)"
subprocess.Popen([sys.executable, "-c", code, os.getcwd()], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("detached")"""


def _processes_naming(folder: Path) -> dict[int, str]:
    """Living processes whose command line mentions ``folder`` (kernels, what they started)."""
    found = {}
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if proc.name.isdigit() and str(folder) in cmdline and state != "Z":
            found[int(proc.name)] = cmdline
    return found


def _wait_until_none(folder: Path, seconds: float = 60) -> dict[int, str]:
    deadline = time.monotonic() + seconds
    while (left := _processes_naming(folder)) and time.monotonic() < deadline:
        time.sleep(0.5)
    for pid in left:  # never leave them to the next test
        os.kill(pid, signal.SIGKILL)
    return left


@pytest.fixture
def tmp(tmp_path) -> Path:
    """The grader's TMPDIR: its work and sandbox folders, named in its kernels' command lines."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_no_process_of_a_batch_is_left_after_it(mode, tmp_path, tmp):
    subs, out = tmp_path / "subs", tmp_path / "out"
    detacher = student(A, solved=answers(A))
    detacher.cells.insert(1, nbformat.v4.new_code_cell(_DETACH))
    write(detacher, subs / f"ann_{A}.ipynb")
    write(student(A, solved=answers(A)), subs / f"bob_{A}.ipynb")
    run_grader(A, subs, out, "--timeout", "15", "--sandbox", mode, env={"TMPDIR": str(tmp)})
    rows = {r["student_id"]: r for r in read_grades(out, A)}
    assert {sid: rows[sid]["score"] for sid in rows} == {"ann": f"{points(A):g}", "bob": f"{points(A):g}"}
    assert _wait_until_none(tmp, seconds=0) == {}  # killed (and reported) if there are any


def _grading_child(tmp: Path) -> int | None:
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
            if b"job.py\0grade" in cmdline and Path(os.readlink(proc / "cwd")).is_relative_to(tmp):
                return int(proc.name)
        except OSError:
            continue
    return None


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_a_kernel_whose_grading_child_is_killed_exits_by_itself(mode, tmp_path, tmp):
    subs = tmp_path / "subs"
    sleeper = release(A)
    sleeper.cells.insert(1, nbformat.v4.new_code_cell("import time\ntime.sleep(120)"))
    write(sleeper, subs / f"ann_{A}.ipynb")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TMPDIR": str(tmp)}
    command = grader_command(A, subs, tmp_path / "out", "--timeout", "200", "--sandbox", mode)
    grader = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while not any("ipykernel" in c for c in _processes_naming(tmp).values()):
            assert time.monotonic() < deadline and grader.poll() is None, "no kernel started"
            time.sleep(0.5)
        child = _grading_child(tmp)
        assert child is not None
        grader.kill()  # no cleanup at all: the grader, then its child
        os.kill(child, signal.SIGKILL)
    finally:
        grader.kill()
        grader.wait()
    assert _wait_until_none(tmp) == {}
