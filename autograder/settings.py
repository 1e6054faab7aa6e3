"""The grading settings: nbgrader_config.py, the single source for both workflows, minus the folder mapping.

The grader loads them once per batch, before any student code runs, and hands that Config to its child
processes (runner.py): a kernel that edits the file during a batch changes nothing for later students.
``course_config`` points them at one of the grader's throwaway course trees.
"""

from __future__ import annotations

import copy
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from . import ROOT

CONFIG_FILE = ROOT / "nbgrader_config.py"
LOCAL_SECTIONS = ("CourseDirectory", "ExportPlugin")  # where the instructor's files live, not how to grade
NBGRADER_TIMEOUT = 30  # nbgrader's own default for Execute.timeout (nbgrader.preprocessors.Execute)
MAX_TIMEOUT = 86400  # seconds per cell: a day; more overflows the waits (threading.TIMEOUT_MAX)


def load(path: Path | None = None) -> Config:
    """The whole configuration in ``path`` (default nbgrader_config.py), as nbgrader itself loads it."""
    path = CONFIG_FILE if path is None else path  # read at call time: tests point it elsewhere
    return PyFileConfigLoader(path.name, str(path.parent)).load_config()


def shared(path: Path | None = None) -> Config:
    """The grading settings of ``path``: every section but the instructor's folder mapping."""
    config = load(path)
    for section in LOCAL_SECTIONS:
        config.pop(section, None)
    return config


def default_timeout(path: Path | None = None) -> int | None:
    """Seconds per cell: ``Execute.timeout`` of nbgrader_config.py, nbgrader's 30 where unset, None where
    unusable (``grade`` then needs ``--timeout``; every other command works)."""
    value = timeout_setting(path)
    return value if isinstance(value, int) else None


def timeout_setting(path: Path | None = None) -> int | str:
    """The per-cell timeout of ``path``, or why it cannot be the grader's default (a str)."""
    name = (CONFIG_FILE if path is None else path).name
    try:
        value = shared(path).get("Execute", Config()).get("timeout", NBGRADER_TIMEOUT)
    except Exception as err:  # any error of the instructor's Python file: say which
        return f"cannot read {name}: {type(err).__name__}: {err}: fix it (plain nbgrader fails too)"
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TIMEOUT:
        return (
            f"Execute.timeout = {value!r} in {name}: the grader needs a whole number of seconds per cell "
            f"from 1 to {MAX_TIMEOUT} (None, no limit, would let one endless loop stop the batch); set it "
            "there or pass --timeout"
        )
    return value


def course_config(
    course: str,
    assignment: str,
    base: Config,
    student: str = ".",
    timeout: int | None = None,
    runtime: Path | None = None,
) -> Config:
    """The grading settings ``base`` (``shared()``) on the throwaway course tree ``course``."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    from .preprocessors import CappedExecute

    c = copy.deepcopy(base)
    c.CourseDirectory.root = course
    c.CourseDirectory.course_id = "mtlkit"
    c.CourseDirectory.db_url = f"sqlite:///{course}/gradebook.db"
    c.CourseDirectory.assignment_id = assignment
    c.CourseDirectory.student_id = student
    c.BaseConverter.force = True
    if timeout is not None:
        c.Execute.timeout = timeout
    c.Execute.startup_timeout = 120
    # output still streaming (or dropped as too large: preprocessors.py) 10 s after a cell's reply is
    # given up, not made nbgrader's error for the whole notebook
    c.Execute.iopub_timeout, c.Execute.raise_on_iopub_timeout = 10, False
    c.Execute.kernel_name = "python3"  # the jailed kernelspec of the grading child (job.py)
    c.KernelManager.transport = "ipc"  # unix sockets in a private folder: no TCP port to race for
    if runtime is not None:  # the folder the jail binds; the sockets go beside the file
        c.KernelManager.connection_file = str(runtime / "kernel.json")
    steps = Autograde.class_traits()["autograde_preprocessors"].default()
    c.Autograde.autograde_preprocessors = [CappedExecute if p is Execute else p for p in steps]
    c.HTMLExporter.template_name = "feedback"
    return c


def run(converter_class, config: Config) -> None:
    """Run one nbgrader step (a converter: GenerateAssignment, Autograde, ...) with ``config``."""
    from nbgrader.coursedir import CourseDirectory

    converter_class(coursedir=CourseDirectory(config=config), config=config).start()
