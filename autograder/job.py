"""The grading child, run as a script by runner.py: ``python job.py`` with a pickled manifest on stdin.

Per student: a root-only course tree, nbgrader's autograde and generate_feedback, the kernel jailed
(jail.py) through the child's kernelspec; one JSON line out (``score``, ``reasons``, files, or ``error``)
on a descriptor no kernel inherits. As root it runs in a private mount namespace (runner.py) where the
kernels' runtime folder is a small tmpfs: a kernel cannot fill the disk through it.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: make `autograder` importable

from autograder import jail, report, settings
from autograder.runner import last_line

RUNTIME_BYTES = 16 * 2**20  # the tmpfs of the kernels' connection files and sockets
# jupyter_client's errors for a kernel that never answered its first request: no cell had run
_NO_START = ("Kernel died before replying to kernel_info", "Kernel didn't respond in")
_DIED = ("DeadKernelError", "Kernel died")


def _jupyter_folders(work: Path, runtimes: Path) -> dict[str, str]:
    """The child's Jupyter and IPython folders, all below ``work`` (its HOME, so none of the instructor's
    config); ``JUPYTER_PATH`` puts the jailed kernelspec before the environment's own python3."""
    kernels = work / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps(jail.kernelspec()))
    return {
        "HOME": str(work),
        "JUPYTER_PATH": str(work / "jupyter"),
        "JUPYTER_RUNTIME_DIR": str(runtimes),
        "JUPYTER_PLATFORM_DIRS": "1",
    }


def _prepare(course: Path, runtime: Path, manifest: dict, item: dict) -> jail.Spec:
    """nbgrader's layout with the notebook and a private gradebook; the Spec of the student's kernel."""
    assignment, student = manifest["assignment"], item["student"]
    course.mkdir(mode=0o700)
    target = report.path(course, "submitted", student, assignment)
    target.parent.mkdir(parents=True)
    target.write_text(item["notebook"], encoding="utf-8")
    (course / "gradebook.db").write_bytes(manifest["gradebook"])
    (course / "kernel.log").touch()  # the launcher appends the kernel's output
    runtime.mkdir(mode=0o700)
    cgroup = jail.cgroup_name(os.getpid(), item["index"])
    spec = jail.Spec(str(runtime), str(course / "kernel.log"), cgroup, manifest["limits"], manifest["jailed"])
    os.environ[jail.SPEC_VARIABLE] = json.dumps(asdict(spec))  # read by this student's kernel launcher
    return spec


def _outcome(course: Path, manifest: dict, student: str, log: list[str]) -> dict:
    """Score, reasons and output files of a graded tree, or why there are none (``error``)."""
    import nbformat
    from nbgrader.api import Gradebook

    assignment = manifest["assignment"]
    autograded = report.path(course, "autograded", student, assignment)
    if not autograded.is_file():
        return _failure(course, log)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission(assignment, student)
        score = float(submission.score)
        lost = [
            f"{g.name} ({g.score:g}/{g.max_score:g})"
            for nb in submission.notebooks
            for g in sorted(nb.grades, key=lambda g: g.name)
            if g.score < g.max_score
        ]
    reasons = []
    nb = nbformat.read(autograded, as_version=4)
    if any(o.get("ename") == "CellTimeoutError" for c in nb.cells for o in c.get("outputs", [])):
        reasons.append(f"timeout: a cell ran longer than {manifest['timeout']} s and was interrupted")
    if lost:
        reasons.append("lost points in " + ", ".join(lost))
    files = {"autograded": autograded.read_text(encoding="utf-8")}
    feedback = report.path(course, "feedback", student, assignment)
    if feedback.is_file():
        files["feedback"] = feedback.read_text(encoding="utf-8")
    return {"score": score, "reasons": reasons, **files}


def _failure(course: Path, log: list[str]) -> dict:
    """Why nbgrader wrote no graded notebook: the kernel could not start (not the student's doing: an
    error row), it died running the student's code (graded 0), or nbgrader's own error."""
    no_start = [m for line in log for m in _NO_START if m in line]
    if no_start:
        printed = last_line((course / "kernel.log").read_text(errors="replace")) or "nothing"
        return {"error": f"the kernel could not start: {no_start[0]}; it printed: {printed}"}
    if any(m in line for line in log for m in _DIED):
        why = "the kernel died running the notebook (out of memory, the process limit, or the code exits)"
        return {"score": 0.0, "reasons": [why + ": every test counts 0"]}
    last = last_line("\n".join(log)) or "no details"
    return {"error": f"nbgrader could not run the notebook: {last}"}


def _grade_item(manifest: dict, item: dict, runtimes: Path) -> dict:
    from nbgrader.converters import Autograde, GenerateFeedback

    work = Path(manifest["work"])
    course, runtime = work / f"s{item['index']}", runtimes / f"s{item['index']}"
    spec = _prepare(course, runtime, manifest, item)
    capture = logging.handlers.BufferingHandler(capacity=2**31)  # the log explains a failure
    logging.getLogger().addHandler(capture)
    seconds = {}
    try:
        args = (manifest["config"], item["student"], manifest["timeout"], runtime)
        config = settings.course_config(str(course), manifest["assignment"], *args)
        for step, converter in (("autograde", Autograde), ("feedback", GenerateFeedback)):
            start = time.perf_counter()
            settings.run(converter, config)
            seconds[step] = round(time.perf_counter() - start, 2)
    except Exception as err:
        logging.getLogger().error("%s: %s", type(err).__name__, err)
    finally:
        logging.getLogger().removeHandler(capture)
        jail.remove_cgroups(spec.cgroup)  # and whatever was still running in them
    log = [capture.format(record) for record in capture.buffer]
    try:
        return {**_outcome(course, manifest, item["student"], log), "seconds": seconds}
    finally:
        if manifest["keep_work"]:
            shutil.copyfile(course / "kernel.log", work / f"s{item['index']}-kernel.log")
        shutil.rmtree(course, ignore_errors=True)
        shutil.rmtree(runtime, ignore_errors=True)


def _grade_all(manifest: dict, results) -> None:
    runtimes = Path(tempfile.mkdtemp(prefix="mtlkit-k", dir="/tmp"))  # short: a socket path has 107 bytes
    if os.geteuid() == 0 and manifest["jailed"]:  # private mount namespace: see the module docstring
        size = f"size={RUNTIME_BYTES},mode=0755"
        subprocess.run(["mount", "-t", "tmpfs", "-o", size, "tmpfs", str(runtimes)], check=True)
    os.environ.update(_jupyter_folders(Path(manifest["work"]), runtimes))  # the rest: runner._env()
    try:
        for item in manifest["items"]:
            try:
                outcome = _grade_item(manifest, item, runtimes)
            except Exception as err:  # this student's error row; the others are still graded
                outcome = {"error": f"the grader failed on this notebook: {type(err).__name__}: {err}"[:300]}
            results.write(json.dumps({**outcome, "index": item["index"]}).encode() + b"\n")
            results.flush()
    finally:
        subprocess.run(["umount", "-l", str(runtimes)], capture_output=True, check=False)
        shutil.rmtree(runtimes, ignore_errors=True)


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    manifest = pickle.load(sys.stdin.buffer)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # no kernel inherits the manifest
    with open(os.dup(1), "wb") as results:  # nor the results: a dup'ed fd is close-on-exec
        os.dup2(2, 1)
        _grade_all(manifest, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
