"""nbgrader steps run in a child process on throwaway course trees (run as a script by the grader).

Usage::

    python job.py generate COURSE ASSIGNMENT [ASSIGNMENT ...]
    python job.py grade < MANIFEST_JSON

``generate`` runs generate_assignment on each ``COURSE/source/ASSIGNMENT``. ``grade`` reads a manifest on
stdin (``{"assignment", "timeout", "gradebook": base64, "items": [{"index", "course", "student",
"sandbox", "uid", "namespace", "hide", "notebook"}]}``) and, one student at a time: builds the course
tree (autograder.tree), runs autograde and generate_feedback, kills what the student's kernel left running, prints one JSON
line with the score and the output files, and deletes the tree. Importing nbgrader once for the whole
batch saves seconds per student.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: make `autograder` importable


def _config(course: str, assignment: str, student: str = ".", timeout: int = 60):
    from traitlets.config import Config

    c = Config()
    c.CourseDirectory.root = course
    c.CourseDirectory.course_id = "mtlkit"
    c.CourseDirectory.db_url = f"sqlite:///{course}/gradebook.db"
    c.CourseDirectory.assignment_id = assignment
    c.CourseDirectory.student_id = student
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    c.Execute.timeout = timeout
    c.Execute.startup_timeout = 120
    c.Execute.kernel_name = "python3"
    c.OverwriteCells.add_missing_cells = True
    c.HTMLExporter.template_name = "feedback"
    return c


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


def _grade_item(manifest: dict, gradebook: bytes, item: dict) -> dict:
    import shutil

    from nbgrader.converters import Autograde, GenerateFeedback

    from autograder import tree
    from autograder.sandbox import Sandbox, job_env

    course = Path(item["course"])
    box = Sandbox(Path(item["sandbox"]), item["uid"], item["uid"], item["namespace"], tuple(item["hide"]))
    assignment, student = manifest["assignment"], item["student"]
    tree.prepare(course, box, assignment, student, item["notebook"], gradebook)
    os.environ.clear()
    os.environ.update(job_env(course))  # this student's kernelspec, HOME and runtime folder
    capture = _Capture()
    logging.getLogger().addHandler(capture)
    ok = True
    try:
        config = _config(str(course), assignment, student, manifest["timeout"])
        _run(Autograde, config)
        _run(GenerateFeedback, config)
    except Exception as err:
        ok = False
        capture.lines.append(f"{type(err).__name__}: {err}")
    finally:
        logging.getLogger().removeHandler(capture)
        box.kill_processes()  # before reading the results: nothing of the student's runs any more
    try:
        return {"ok": ok, "log": capture.lines[-20:], **tree.result(course, assignment, student)}
    finally:
        shutil.rmtree(course, ignore_errors=True)
        shutil.rmtree(box.path, ignore_errors=True)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if argv[0] == "generate":
        from nbgrader.converters import GenerateAssignment

        try:
            for assignment in argv[2:]:
                _run(GenerateAssignment, _config(argv[1], assignment))
        except Exception as err:
            print(f"nbgrader failed: {type(err).__name__}: {err}", file=sys.stderr)
            return 1
        return 0
    manifest = json.loads(sys.stdin.read())  # from the parent's memory: never on disk for a kernel to edit
    gradebook = base64.b64decode(manifest["gradebook"])
    for item in manifest["items"]:
        outcome = {"index": item["index"], **_grade_item(manifest, gradebook, item)}
        print(json.dumps(outcome), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
