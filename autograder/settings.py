"""nbgrader settings shared by the plain nbgrader workflow and the grader, read from nbgrader_config.py.

nbgrader_config.py is the single source of truth for how assignments are generated and graded (code and
text stubs, the per-cell timeout, restoring deleted test cells, ...). The grader's throwaway course trees
(job.py) start from everything in it except the sections that map the instructor's folders.

The grader reads the file once per batch, before any student code runs (``snapshot``), and hands that
text to its child processes, which execute it as nbgrader would (``from_text``): a kernel that edits
the file on disk during a batch changes nothing for the students graded after it.
"""

from __future__ import annotations

from pathlib import Path

from traitlets.config import Config

from . import ROOT

CONFIG_FILE = ROOT / "nbgrader_config.py"
LOCAL_SECTIONS = ("CourseDirectory", "ExportPlugin")  # where the instructor's files live, not how to grade
NBGRADER_TIMEOUT = 30  # nbgrader's own default for Execute.timeout (nbgrader.preprocessors.Execute)
MAX_TIMEOUT = 86400  # seconds per cell: a day; more overflows the waits (threading.TIMEOUT_MAX)


def _path(path: Path | None) -> Path:
    return CONFIG_FILE if path is None else path  # read at call time: tests point it elsewhere


def load(path: Path | None = None) -> Config:
    """The whole configuration in ``path``, as nbgrader itself loads it."""
    from traitlets.config.loader import PyFileConfigLoader

    path = _path(path)
    return PyFileConfigLoader(path.name, str(path.parent)).load_config()


def snapshot(path: Path | None = None) -> str:
    """The text of ``path`` now (what a batch grades with)."""
    return _path(path).read_text(encoding="utf-8")


def from_text(text: str, path: Path | None = None) -> Config:
    """The grading settings in ``text`` (a snapshot of ``path``): every section but the folder mapping.

    Executed like traitlets' PyFileConfigLoader does with the file itself (``c``, ``get_config``,
    ``load_subconfig`` and ``__file__`` of ``path``).
    """
    from traitlets.config.loader import PyFileConfigLoader

    path = _path(path)
    loader = PyFileConfigLoader(path.name, str(path.parent))
    loader.config = Config()
    namespace = {
        "c": loader.config,
        "get_config": lambda: loader.config,
        "load_subconfig": loader.load_subconfig,
        "__file__": str(path),
    }
    exec(compile(text, str(path), "exec"), namespace, namespace)  # the instructor's own file
    config = loader.config
    for section in LOCAL_SECTIONS:
        config.pop(section, None)
    return config


def shared(path: Path | None = None) -> Config:
    """The grading settings of ``path``: every section but the instructor's folder mapping."""
    return from_text(snapshot(path), path)


def timeout_problem(path: Path | None = None) -> str:
    """Why ``Execute.timeout`` of ``path`` cannot be the grader's default per-cell timeout ('' if it can)."""
    value = _configured_timeout(path)
    return value if isinstance(value, str) else ""


def default_timeout(path: Path | None = None) -> int | None:
    """Seconds per cell before it is interrupted: ``Execute.timeout`` in nbgrader_config.py, nbgrader's
    default (30) where it is not set, None where it is not a usable number (``grade`` then refuses to
    run without ``--timeout``; every other command works)."""
    value = _configured_timeout(path)
    return None if isinstance(value, str) else value


def _configured_timeout(path: Path | None) -> int | str:
    """The timeout, or why there is none."""
    name = _path(path).name
    try:
        execute = shared(path).get("Execute", Config())
    except Exception as err:  # any error of the instructor's Python file: say which
        return (
            f"cannot read {name}: {type(err).__name__}: {err}; fix it (the plain nbgrader workflow fails too)"
        )
    value = execute.get("timeout", NBGRADER_TIMEOUT)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TIMEOUT:
        return (
            f"Execute.timeout = {value!r} in {name}: the grader needs a whole number of seconds per cell "
            f"from 1 to {MAX_TIMEOUT} (None, no limit, would let one endless loop stop the batch); set it "
            "there or pass --timeout"
        )
    return value
