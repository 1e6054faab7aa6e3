"""Student code cannot stop or kill the grader by signals (real nbgrader and kernels).

With ``--sandbox namespace`` the kernel is process 1 of its own PID namespace and sees no process
outside; with ``--sandbox user`` it runs as another uid than the grader. Either way its SIGSTOP and
SIGKILL reach neither the grader nor the grading child, and the batch completes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat
import pytest
from autograder_helpers import (
    answers,
    points,
    printed_report,
    read_grades,
    release,
    run_grader,
    student,
    write,
)

A = "06_evaluation"

# Signals only processes whose command line is the grader's or the grading child's (never the test
# runner): the parent process, and every such process it can find in /proc.
_SIGNAL_CELL = r"""import json, os, signal
marks = (b"-m\x00autograder\x00grade", b"job.py\x00grade")
found = {}
for name in os.listdir("/proc"):
    if name.isdigit() and int(name) != os.getpid():
        try:
            cmdline = open(f"/proc/{name}/cmdline", "rb").read()
        except OSError:
            continue
        if any(mark in cmdline for mark in marks):
            found[int(name)] = cmdline.split(b"\x00")[-2].decode()
report = {"ppid": os.getppid(), "found": sorted(found), "sent": {}}
for sig in (signal.SIGSTOP, signal.SIGKILL):
    for pid in sorted(set(found) | ({os.getppid()} - {0, 1})):
        try:
            os.kill(pid, sig)
            report["sent"][f"{pid}/{sig.name}"] = "done"
        except OSError as err:
            report["sent"][f"{pid}/{sig.name}"] = type(err).__name__
print("SIGNAL " + json.dumps(report))"""


def _modes() -> list[str]:
    from autograder import namespace, sandbox

    modes = [] if namespace.problem() or namespace.problem(pid=True) else ["namespace"]
    with tempfile.TemporaryDirectory(prefix="mtlkit-probe-") as tmp:
        if sandbox.choose_mode("auto", Path(tmp) / "probe")[0] == "user":
            modes.append("user")
    return modes or [pytest.param("namespace", marks=pytest.mark.skip(reason="no namespace or user sandbox"))]


@pytest.mark.slow
@pytest.mark.parametrize("mode", _modes())
def test_a_kernel_cannot_stop_or_kill_the_grader(mode, tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    for sid in ("ann", "zed"):
        write(student(A, solved=answers(A)), subs / f"{sid}_{A}.ipynb")
    attacker = release(A)
    attacker.cells.insert(1, nbformat.v4.new_code_cell(_SIGNAL_CELL))
    write(attacker, subs / f"mallory_{A}.ipynb")
    result = run_grader(A, subs, out, "--timeout", "15", "--sandbox", mode, timeout=300)
    assert f"sandbox={mode}" in result.stderr and "PID namespace" not in result.stderr
    rows = {r["student_id"]: r for r in read_grades(out, A)}
    full = f"{points(A):g}"
    assert {sid: (rows[sid]["status"], rows[sid]["score"]) for sid in rows} == {
        "ann": ("graded", full),
        "mallory": ("graded", "0"),
        "zed": ("graded", full),  # graded after the attack, by the same grading child
    }
    report = printed_report(out, "mallory", A, "SIGNAL")
    if mode == "namespace":  # nothing outside its PID namespace is visible
        assert report["ppid"] == 0 and report["found"] == [] and report["sent"] == {}, report
    else:  # visible, but another uid's
        assert report["sent"] and set(report["sent"].values()) == {"PermissionError"}, report
