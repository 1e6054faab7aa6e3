"""nbgrader steps run in a child process on throwaway course trees (run as a script by the grader).

Usage::

    python job.py generate COURSE ASSIGNMENT [ASSIGNMENT ...]   # settings on stdin
    python job.py grade        # manifest and acknowledgements on stdin, results on stdout

``generate`` runs generate_assignment on each ``COURSE/source/ASSIGNMENT`` with the settings on stdin
(JSON ``{"config", "config_path"}``: the grader's snapshot of nbgrader_config.py, autograder.settings). ``grade`` first moves its
stdin and stdout to private file descriptors that no kernel inherits (autograder.channel), then reads
the manifest (one JSON line: ``{"assignment", "timeout", "key", "gradebook": base64, "max_result",
"config", "config_path", "items": [{"index",
"course", "student", "sandbox", "uid", "namespace", "hide", "pid", "notebook"}]}``) and, one student at a time:
builds the course tree (autograder.tree), runs autograde and generate_feedback, kills what the student's
kernel left running, sends one authenticated line with the score and the output files, deletes the
tree, and waits for the grader's acknowledgement (it has stored the files) before the next student's
code runs. Importing nbgrader once for the whole batch saves seconds per student.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: make `autograder` importable


def _config(course: str, assignment: str, base, student: str = ".", timeout: int | None = None):
    """The grading settings ``base`` (autograder.settings.from_text) on a throwaway course tree."""
    c = copy.deepcopy(base)
    c.CourseDirectory.root = course
    c.CourseDirectory.course_id = "mtlkit"
    c.CourseDirectory.db_url = f"sqlite:///{course}/gradebook.db"
    c.CourseDirectory.assignment_id = assignment
    c.CourseDirectory.student_id = student
    if timeout is not None:
        c.Execute.timeout = timeout
    c.Execute.startup_timeout = 120
    c.Execute.kernel_name = "python3"  # the sandbox kernelspec of this tree
    c.HTMLExporter.template_name = "feedback"
    return c


def _shared(message: dict):
    """The settings the grader read from nbgrader_config.py before any student code ran."""
    from autograder import settings

    return settings.from_text(message["config"], Path(message["config_path"]))


def _run(converter_class, config) -> None:
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=config)
    converter = converter_class(coursedir=coursedir, config=config)
    converter.force = True
    if hasattr(converter, "create_assignment"):
        converter.create_assignment = True
    converter.start()


class _Capture(logging.Handler):
    """Keeps the log lines of the student being graded (to explain a failure in grades.csv)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _grade_item(manifest: dict, gradebook: bytes, item: dict, shared) -> dict:
    import shutil

    from nbgrader.converters import Autograde, GenerateFeedback

    from autograder import reaper, tree
    from autograder.sandbox import Sandbox, job_env

    course = Path(item["course"])
    box = Sandbox(
        Path(item["sandbox"]), item["uid"], item["uid"], item["namespace"], tuple(item["hide"]), item["pid"]
    )
    assignment, student = manifest["assignment"], item["student"]
    tree.prepare(course, box, assignment, student, item["notebook"], gradebook)
    env = job_env(course)  # this student's kernelspec, HOME and runtime folder, and the kept variables
    os.environ.clear()
    os.environ.update(env)
    capture = _Capture()
    logging.getLogger().addHandler(capture)
    ok, seconds = True, {}
    try:
        config = _config(str(course), assignment, shared, student, manifest["timeout"])
        for step, converter in (("autograde", Autograde), ("feedback", GenerateFeedback)):
            start = time.perf_counter()
            _run(converter, config)
            seconds[step] = round(time.perf_counter() - start, 2)
    except Exception as err:
        ok = False
        capture.lines.append(f"{type(err).__name__}: {err}")
    finally:
        logging.getLogger().removeHandler(capture)
        box.kill_processes()  # before reading the results: nothing of the student's runs any more
        reaper.kill_descendants()  # what it detached, in every mode (adopted: see reaper.py)
    try:
        found = tree.result(course, assignment, student)
        outcome = {"ok": ok, "log": capture.lines[-20:], "seconds": seconds, **found}
        if not found["graded"] and any(m in line for line in capture.lines for m in _NO_START):
            outcome["kernel_start"] = _last_line(box.path / "kernel.log")  # no student code ran yet
        return outcome
    finally:
        _keep_kernel_output(box.path, course.with_name(f"{course.name}-kernel.log"))
        shutil.rmtree(course, ignore_errors=True)
        shutil.rmtree(box.path, ignore_errors=True)


# jupyter_client's errors for a kernel that never answered its first request: no cell had run
_NO_START = ("Kernel died before replying to kernel_info", "Kernel didn't respond in")


def _last_line(log: Path, chars: int = 4000) -> str:
    """The last non-empty line of a kernel's output file (why it could not start)."""
    if not log.is_file() or log.is_symlink():
        return ""
    with open(log, "rb") as f:
        f.seek(max(0, log.stat().st_size - chars))
        lines = [line for line in f.read().decode(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip()[-200:] if lines else ""


def _keep_kernel_output(box: Path, dest: Path, chars: int = 4000) -> None:
    """Keep the end of the kernel's stdout/stderr (a file in its sandbox) beside the course tree.

    Not in this job's log: that log's tail explains a crash in grades.csv, and must not quote a student.
    """
    log = box / "kernel.log"
    if log.is_file() and not log.is_symlink():
        with open(log, "rb") as f:
            f.seek(max(0, log.stat().st_size - chars))
            dest.write_bytes(f.read())


def _grade_all(control, results) -> None:
    from autograder import channel

    manifest = json.loads(control.readline())  # from the grader's memory: never on disk for a kernel to edit
    key, gradebook = manifest["key"], base64.b64decode(manifest["gradebook"])
    shared = _shared(manifest)  # once, before any student code runs
    for n, item in enumerate(manifest["items"]):
        if n and not _wait_for_ack(control, key, manifest["items"][n - 1]["index"]):
            return  # the grader is gone
        try:
            outcome = _grade_item(manifest, gradebook, item, shared)
        except Exception as err:  # this student's error row; the others are still graded
            outcome = {"ok": False, "graded": False, "failed": f"{type(err).__name__}: {err}"[:300]}
        line = channel.result_line(key, {**outcome, "index": item["index"]})
        if len(line) > manifest["max_result"]:  # the grader would not read it: say so instead
            small = {
                "ok": False,
                "graded": False,
                "too_large": len(line),
                "seconds": outcome.get("seconds") or {},
            }
            line = channel.result_line(key, {**small, "index": item["index"]})
        results.write(line)
        results.flush()


def _wait_for_ack(control, key: str, index: int) -> bool:
    from autograder import channel

    return any(channel.is_ack(key, line, index) for line in control)  # forged lines are skipped


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if argv[0] == "generate":
        from nbgrader.converters import GenerateAssignment

        try:
            shared = _shared(json.loads(sys.stdin.read()))
            for assignment in argv[2:]:
                _run(GenerateAssignment, _config(argv[1], assignment, shared))
        except Exception as err:
            print(f"nbgrader failed: {type(err).__name__}: {err}", file=sys.stderr)
            return 1
        return 0
    from autograder import channel, reaper

    reaper.become_subreaper()  # before any kernel starts: what a kernel detaches stays our descendant
    control_fd, result_fd = channel.make_private()
    with open(control_fd, encoding="utf-8") as control, open(result_fd, "wb") as results:
        _grade_all(control, results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
