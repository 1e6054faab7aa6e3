"""nbgrader steps run in a child process on one throwaway course tree (run as a script by autograder.grade).

Usage::

    python job.py generate COURSE ASSIGNMENT
    python job.py grade COURSE ASSIGNMENT STUDENT CELL_TIMEOUT

``COURSE`` uses nbgrader's default layout (source/, release/, submitted/, autograded/, feedback/,
gradebook.db). Exit status 0 on success, 1 when nbgrader reported an error (logged on stderr).
"""

from __future__ import annotations

import logging
import sys


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


def main(argv: list[str]) -> int:
    from nbgrader.converters import Autograde, GenerateAssignment, GenerateFeedback, NbGraderException

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    step, course, assignment = argv[:3]
    try:
        if step == "generate":
            _run(GenerateAssignment, _config(course, assignment))
        elif step == "grade":
            config = _config(course, assignment, argv[3], int(argv[4]))
            _run(Autograde, config)
            _run(GenerateFeedback, config)
        else:
            raise SystemExit(f"unknown step {step!r}")
    except NbGraderException as err:
        print(f"nbgrader failed: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
