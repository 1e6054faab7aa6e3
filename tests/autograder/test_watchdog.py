"""The watchdog: a student whose grading hangs, or who takes the grading child down, gets one error row
that names the cause, and a fresh child grades the others (a stand-in child script: no nbgrader runs)."""

from __future__ import annotations

from pathlib import Path

from autograder import runner

CHILD = """
import json, os, pickle, sys, time
manifest = pickle.load(sys.stdin.buffer)
for item in manifest["items"]:
    with open(os.path.join(manifest["work"], "..", f"pid-{item['student']}"), "w") as f:
        f.write(str(os.getpid()))
    if item["student"] == "hangs":
        time.sleep(600)
    if item["student"] == "dies":
        os._exit(3)
    print(json.dumps({"index": item["index"], "score": 1.0, "reasons": [], "pid": os.getpid()}), flush=True)
"""


def test_a_hanging_or_dying_child_costs_one_error_row_and_a_fresh_child_goes_on(tmp_path, monkeypatch):
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    monkeypatch.setattr(runner, "JOB", child)
    work = tmp_path / "work"
    work.mkdir()
    students = ["ann", "hangs", "bob", "dies", "cat"]
    items = [{"index": i, "student": s, "limit": 5} for i, s in enumerate(students)]
    outcomes = dict(runner.run_batch(work, {"items": items, "jailed": False, "timeout": 1}))

    assert sorted(outcomes) == [0, 1, 2, 3, 4]
    assert outcomes[1]["error"].startswith("timeout: grading took longer than 5 s (cells of 1 s each)")
    assert outcomes[3]["error"].startswith("the grading process stopped while grading it (exit status 3)")
    assert all(outcomes[i]["score"] == 1.0 for i in (0, 2, 4))
    assert len({outcomes[i]["pid"] for i in (0, 2, 4)}) == 3  # a fresh child after each failure
    hung = int((work / "pid-hangs").read_text())
    assert not Path(f"/proc/{hung}").exists()  # the stuck child was killed, not left running
