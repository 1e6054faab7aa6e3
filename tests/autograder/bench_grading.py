"""Benchmarks run by hand (not by pytest: too long for CI, and they time things).

    python tests/autograder/bench_grading.py load ASSIGNMENT N ROUNDS   # under two CPU burners
    python tests/autograder/bench_grading.py throughput ASSIGNMENT N    # vs plain nbgrader autograde

``load``: N honest notebooks (the master's answers) as two concurrent batches of N/2, ROUNDS times,
while two processes burn a CPU each; prints how many were graded with every autograded point (written
answers are graded by hand) and every other row.
``throughput``: N honest notebooks graded by ``python -m autograder grade`` and by plain
``nbgrader autograde`` on the same notebooks (one after the other); prints seconds per notebook and
the ratio. Both print ``uptime`` before and after (the machine's load).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder_helpers import ROOT, answers, points, student, write

PY = sys.executable


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def _notebooks(assignment: str, folder: Path, n: int, prefix: str = "s") -> None:
    nb = student(assignment, solved=answers(assignment))
    for i in range(n):
        write(nb, folder / f"{prefix}{i:03d}_{assignment}.ipynb")


def _grade(assignment: str, subs: Path, out: Path) -> subprocess.Popen:
    cmd = [PY, "-m", "autograder", "grade", assignment, str(subs), "--out", str(out)]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def load(assignment: str, n: int, rounds: int) -> None:
    burners = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(2)]
    print("before:", _uptime())
    try:
        for r in range(rounds):
            tmp = Path(tempfile.mkdtemp(prefix="mtlkit-bench-"))
            start = time.perf_counter()
            procs = []
            for b in range(2):
                _notebooks(assignment, tmp / f"subs{b}", n // 2, prefix=f"b{b}s")
                procs.append(_grade(assignment, tmp / f"subs{b}", tmp / f"out{b}"))
            for p in procs:
                p.wait()
            rows = [row for b in range(2) for row in _rows(tmp / f"out{b}" / "grades.csv")]
            auto = points(assignment)  # every autograded point; written answers are graded by hand
            graded = [row for row in rows if row["status"] == "graded" and float(row["score"]) == auto]
            print(
                f"round {r + 1}: {len(graded)}/{n} graded with all {auto:g} autograded points in {time.perf_counter() - start:.0f} s"
            )
            for row in rows:
                if row not in graded:
                    print("  NOT graded:", row["student_id"], row["status"], row["reason"][:200])
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        for b in burners:
            b.kill()
        print("after:", _uptime())


def throughput(assignment: str, n: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="mtlkit-bench-"))
    _notebooks(assignment, tmp / "subs", n)
    print("before:", _uptime())
    start = time.perf_counter()
    _grade(assignment, tmp / "subs", tmp / "out").wait()
    ours = (time.perf_counter() - start) / n
    course = tmp / "course"  # plain nbgrader: its own course folder, the same notebooks
    shutil.copytree(ROOT / "solutions" / assignment, course / "source" / assignment)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    # generate_feedback imports autograder.preprocessors from the folder of nbgrader_config.py.
    shutil.copytree(ROOT / "autograder", course / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    config = ["--CourseDirectory.root=" + str(course), "--CourseDirectory.source_directory=source"]
    config += ["--CourseDirectory.db_url=sqlite:///" + str(course / "gradebook.db")]
    config += [
        "--CourseDirectory.release_directory=release",
        "--CourseDirectory.submitted_directory=submitted",
    ]
    config += ["--CourseDirectory.autograded_directory=autograded"]
    subprocess.run([PY, "-m", "nbgrader", "generate_assignment", assignment, *config], cwd=course, check=True)
    for i, nb in enumerate(sorted((tmp / "subs").iterdir())):
        dest = course / "submitted" / f"s{i:03d}" / assignment / f"{assignment}.ipynb"
        dest.parent.mkdir(parents=True)
        shutil.copy(nb, dest)
    env = {**os.environ, "MTLKIT_SMOKE": "1"}
    seconds = {}
    for step in ("autograde", "generate_feedback"):
        start = time.perf_counter()
        cmd = [PY, "-m", "nbgrader", step, assignment, *config]
        cmd += ["--create"] if step == "autograde" else ["--CourseDirectory.feedback_directory=feedback"]
        subprocess.run(cmd, cwd=course, env=env, capture_output=True, check=True)
        seconds[step] = (time.perf_counter() - start) / n
    plain, both = seconds["autograde"], sum(seconds.values())
    print(f"python -m autograder grade: {ours:.1f} s/notebook (autograde + feedback, jailed)")
    print(f"plain nbgrader autograde: {plain:.1f} s/notebook, ratio {ours / plain:.2f}")
    print(f"plain autograde + generate_feedback: {both:.1f} s/notebook, ratio {ours / both:.2f}")
    print("after:", _uptime())
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    if what == "load":
        load(args[0], int(args[1]), int(args[2]))
    else:
        throughput(args[0], int(args[1]))
