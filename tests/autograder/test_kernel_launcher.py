"""The kernel launcher's limits and environment (unit level, and one real kernel that reports its environment)."""

from __future__ import annotations

import json
import os
import resource
import subprocess

import pytest
from autograder_helpers import ROOT  # noqa: F401 (puts the repository on sys.path)

from autograder import kernel_launcher


def _limits_set(monkeypatch, uid: int) -> list[tuple[int, tuple[int, int]]]:
    calls: list[tuple[int, tuple[int, int]]] = []
    monkeypatch.setattr(os, "getuid", lambda: uid)
    monkeypatch.setattr(resource, "setrlimit", lambda which, limits: calls.append((which, limits)))
    kernel_launcher._limit_processes(extra=256)
    return calls


def test_a_non_root_kernel_gets_256_tasks_more_than_its_uid_runs(monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("starts a process as another uid")
    nobody = 65534
    sleeper = subprocess.Popen(["sleep", "30"], user=nobody, group=nobody, extra_groups=[])
    try:
        calls = _limits_set(monkeypatch, nobody)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert len(calls) == 1 and calls[0][0] == resource.RLIMIT_NPROC
    soft, hard = calls[0][1]
    assert soft == hard and 256 < soft < 256 + 64  # its sleep (and whatever else nobody runs) counted


def test_root_is_left_alone_since_linux_never_applies_the_limit_to_it(monkeypatch):
    assert _limits_set(monkeypatch, 0) == []


_ENV_CELL = """import json, os
print("ENV " + json.dumps({k: os.environ.get(k) for k in ("MKL_NUM_THREADS", "LC_ALL", "JPY_PARENT_PID", "HOME")}
                          | {"ppid": os.getppid()}))"""


@pytest.mark.slow
def test_the_kept_variables_reach_the_kernel(tmp_path):
    import nbformat
    from autograder_helpers import read_grades, release, run_grader, write

    subs, out, a = tmp_path / "subs", tmp_path / "out", "06_evaluation"
    nb = release(a)
    nb.cells.insert(1, nbformat.v4.new_code_cell(_ENV_CELL))
    write(nb, subs / f"ann_{a}.ipynb")
    run_grader(a, subs, out, "--sandbox", "none", env={"MKL_NUM_THREADS": "3", "LC_ALL": "C.UTF-8"})
    assert read_grades(out, a)[0]["status"] == "graded"
    graded = nbformat.read(out / "autograded" / "ann" / a / f"{a}.ipynb", as_version=4)
    texts = [o.get("text", "") for c in graded.cells if c.cell_type == "code" for o in c.outputs]
    seen = json.loads(next(t for t in texts if t.startswith("ENV ")).removeprefix("ENV "))
    assert seen["MKL_NUM_THREADS"] == "3" and seen["LC_ALL"] == "C.UTF-8", seen
    assert seen["JPY_PARENT_PID"] == str(seen["ppid"]), seen  # ipykernel can watch its grading child
    assert seen["HOME"].endswith("/home") and "mtlkit-sandbox-" in seen["HOME"], seen  # not the grader's
