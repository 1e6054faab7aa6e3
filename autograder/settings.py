"""nbgrader settings shared by the plain nbgrader workflow and the grader, read from nbgrader_config.py.

nbgrader_config.py is the single source of truth for how assignments are generated and graded (code and
text stubs, the per-cell timeout, restoring deleted test cells, ...). The grader's throwaway course trees
(job.py) start from everything in it except the sections that map the instructor's folders.
"""

from __future__ import annotations

from pathlib import Path

from traitlets.config import Config

from . import ROOT

CONFIG_FILE = ROOT / "nbgrader_config.py"
LOCAL_SECTIONS = ("CourseDirectory", "ExportPlugin")  # where the instructor's files live, not how to grade


def load(path: Path = CONFIG_FILE) -> Config:
    """The whole configuration in ``path``, as nbgrader itself loads it."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader(path.name, str(path.parent)).load_config()


def shared(path: Path = CONFIG_FILE) -> Config:
    """The grading settings of ``path``: every section but the instructor's folder mapping."""
    config = load(path)
    for section in LOCAL_SECTIONS:
        config.pop(section, None)
    return config


def default_timeout(path: Path = CONFIG_FILE) -> int:
    """Seconds per cell before it is interrupted (``Execute.timeout`` in nbgrader_config.py)."""
    return int(shared(path).Execute.timeout)
