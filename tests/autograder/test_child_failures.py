"""A grading child that fails for one student costs that student an error row, never the batch.

The child is the real job.py with real nbgrader and kernels, run through a small wrapper (a fake
``runner.JOB``) that makes it raise, exit or be SIGKILLed while grading chosen students.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from autograder_helpers import ROOT, answers, points, read_grades, student, write

from autograder import runner
from autograder.grade import Options, grade

A = "06_evaluation"

_WRAPPER = """import os, signal, sys
sys.path.insert(0, {root!r})
from autograder import job
ACTIONS = {actions!r}
if ACTIONS.get("*") == "exit-at-once" and sys.argv[1] == "grade":
    os._exit(4)  # before reading the manifest
real = job._grade_item
def fake(manifest, gradebook, item, *rest):
    action = ACTIONS.get(item["student"])
    if action == "raise":
        raise RuntimeError("the gradebook could not be read")
    if action == "exit":
        print("Traceback (most recent call last):\\nSomeError: the child gave up", file=sys.stderr, flush=True)
        os._exit(3)
    if action == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    return real(manifest, gradebook, item, *rest)
job._grade_item = fake
sys.exit(job.main(sys.argv[1:]))
"""


@pytest.fixture
def fake_job(tmp_path, monkeypatch):
    """``fake_job({student: action})``: the grading child misbehaves for those students."""

    def install(actions: dict[str, str]) -> None:
        script = tmp_path / "fake_job.py"
        script.write_text(_WRAPPER.format(root=str(ROOT), actions=actions))
        monkeypatch.setattr(runner, "JOB", script)

    return install


def _grade(tmp_path: Path, students: list[str], **options) -> dict[str, dict[str, str]]:
    subs, out = tmp_path / "subs", tmp_path / "out"
    for sid in students:
        write(student(A, solved=answers(A)), subs / f"{sid}_{A}.ipynb")
    logged: list[str] = []
    rows = grade(A, subs, Options(out, timeout=15, sandbox="none", log=logged.append, **options))
    assert len(rows) == len(students), logged
    return {r["student_id"]: r for r in read_grades(out, A)}


@pytest.mark.slow
def test_a_child_that_raises_exits_or_is_killed_for_one_student_costs_only_that_row(tmp_path, fake_job):
    fake_job({"bob": "raise", "cat": "exit", "dan": "sigkill"})
    rows = _grade(tmp_path, ["ann", "bob", "cat", "dan", "eve"])
    full = f"{points(A):g}"
    assert (rows["ann"]["status"], rows["ann"]["score"]) == ("graded", full)
    assert (rows["eve"]["status"], rows["eve"]["score"]) == ("graded", full)  # after two dead children
    assert rows["bob"]["status"] == "error"
    assert (
        "the grader failed on this notebook: RuntimeError: the gradebook could not be read"
        in rows["bob"]["reason"]
    )
    assert rows["cat"]["status"] == "error" and "exit status 3" in rows["cat"]["reason"]
    assert rows["cat"]["reason"].endswith("SomeError: the child gave up")  # the log's last line, complete
    assert rows["dan"]["status"] == "error" and "killed by SIGKILL" in rows["dan"]["reason"]
    assert all(rows[sid]["score"] == "" for sid in ("bob", "cat", "dan"))


@pytest.mark.slow
def test_a_child_that_exits_before_reading_its_manifest_gives_error_rows(tmp_path, fake_job):
    fake_job({"*": "exit-at-once"})
    rows = _grade(tmp_path, ["ann", "bob"])
    for sid in ("ann", "bob"):
        assert rows[sid]["status"] == "error" and "exit status 4" in rows[sid]["reason"], rows[sid]
    assert os.path.getsize(tmp_path / "out" / "grades.csv") > 0


_BROKEN_LAUNCHER = """import sys
sys.path.insert(0, {root!r})
from autograder import kernel_launcher
kernel_launcher._private_stdio(sys.argv[1])  # what the real launcher does first
print("starting the kernel", flush=True)
sys.exit("ModuleNotFoundError: No module named 'ipykernel_launcher'")
"""


@pytest.mark.slow
def test_a_kernel_that_cannot_start_is_an_error_not_a_zero(tmp_path, monkeypatch):
    launcher = tmp_path / "broken_launcher.py"
    launcher.write_text(_BROKEN_LAUNCHER.format(root=str(ROOT)))
    script = tmp_path / "fake_job.py"
    script.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom autograder import job, sandbox\n"
        f"sandbox.LAUNCHER = {str(launcher)!r}\nsys.exit(job.main(sys.argv[1:]))\n"
    )
    monkeypatch.setattr(runner, "JOB", script)
    rows = _grade(tmp_path, ["ann"])
    assert rows["ann"]["status"] == "error" and rows["ann"]["score"] == "", rows["ann"]
    assert rows["ann"]["reason"] == (
        "the kernel could not start: ModuleNotFoundError: No module named 'ipykernel_launcher'"
    )


_HANGS = """import os, subprocess, sys, time
sys.path.insert(0, {root!r})
from autograder import job
def fake(manifest, gradebook, item, *rest):  # detaches a process, then never reports
    marker = "import time; time.sleep(300)  # " + {marker!r}
    subprocess.Popen([sys.executable, "-c", marker], start_new_session=True, stdin=subprocess.DEVNULL)
    time.sleep(300)
job._grade_item = fake
sys.exit(job.main(sys.argv[1:]))
"""


def test_a_stuck_child_is_ended_with_what_it_adopted(tmp_path, monkeypatch):
    script = tmp_path / "hangs.py"
    script.write_text(_HANGS.format(root=str(ROOT), marker=str(tmp_path)))
    monkeypatch.setattr(runner, "JOB", script)
    work = tmp_path / "work"
    work.mkdir()
    item = {"index": 0, "limit": 3, "sandbox": str(tmp_path / "box"), "uid": -1, "namespace": False}
    ((_, outcome),) = list(runner.run_batch(work, A, 15, b"", [item], config=""))
    assert outcome["timeout"]
    left = _processes_naming(tmp_path)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []  # the detached process the child had adopted died with it


def _processes_naming(folder: Path) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if proc.name.isdigit() and str(folder) in cmdline and "import time" in cmdline and state not in "ZX":
            found.append(int(proc.name))
    return found
