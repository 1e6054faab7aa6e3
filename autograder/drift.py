"""``python -m autograder check``: is every committed exercise what nbgrader generates from its master?"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from traitlets.config import Config

from mtlkit.errors import UserError

from . import EXERCISES, SOLUTIONS, assignments, settings

VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime", "colab", "outputId", "id")


def signature(nb: NotebookNode) -> list[dict[str, Any]]:
    """What must not drift: each cell's type, source and metadata (volatile fields dropped), in order."""
    cells = []
    for cell in nb.cells:
        metadata = {k: v for k, v in cell.get("metadata", {}).items() if k not in VOLATILE_CELL_METADATA}
        cells.append({"cell_type": cell.cell_type, "source": cell.source, "metadata": metadata})
    cells.append({"kernelspec": nb.metadata.get("kernelspec", {}).get("name")})
    return cells


def differences(released: NotebookNode, fresh: NotebookNode) -> list[str]:
    """Human-readable differences between a committed release and a freshly generated one (empty: none)."""
    old, new = signature(released), signature(fresh)
    problems = []
    if len(old) != len(new):
        problems.append(f"{len(old) - 1} cells committed, {len(new) - 1} generated")
    for index, (a, b) in enumerate(zip(old, new, strict=False)):
        if a != b:
            keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            problems.append(f"cell {index}: {', '.join(keys)} differ")
    outputs = [i for i, c in enumerate(released.cells) if c.get("outputs") or c.get("execution_count")]
    if outputs:
        problems.append(f"cells {outputs} have outputs or execution counts (strip them)")
    return problems


def compare(name: str, fresh: NotebookNode, exercises: Path = EXERCISES) -> list[str]:
    """Differences between the committed exercise ``name`` and ``fresh``, or that it is missing."""
    committed = exercises / name / f"{name}.ipynb"
    if not committed.is_file():
        return [f"{committed} is missing"]
    return differences(nbformat.read(committed, as_version=4), fresh)


def generate(
    course: Path, *assignments: str, config: Config | None = None, masters: Path = SOLUTIONS
) -> None:
    """nbgrader's generate_assignment in ``course`` of a copy of ``masters/<name>`` for each name, with the
    settings ``config`` (default: nbgrader_config.py now); UserError when nbgrader fails (its log says why)."""
    from nbgrader.converters import GenerateAssignment

    config = settings.shared() if config is None else config
    for name in assignments:
        ignore = shutil.ignore_patterns(".*", "__pycache__")
        shutil.copytree(masters / name, course / "source" / name, ignore=ignore)
        try:
            settings.run(GenerateAssignment, settings.course_config(str(course), name, config))
        except Exception as err:
            raise UserError(
                f"nbgrader generate_assignment failed on {name}: {type(err).__name__}: {err}"
            ) from err


def drift_all(names: list[str] | None = None) -> dict[str, list[str]]:
    """Differences between exercises/ and a fresh ``generate_assignment`` of solutions/, per assignment."""
    names = assignments() if names is None else names
    with tempfile.TemporaryDirectory(prefix="mtlkit-check-") as tmp:
        stage = Path(tmp)
        generate(stage, *names)
        release = stage / "release"
        return {n: compare(n, nbformat.read(release / n / f"{n}.ipynb", as_version=4)) for n in names}


def check() -> int:
    """Print the drift of every assignment; 0 when all are in sync, 1 otherwise."""
    problems = drift_all()
    for name, found in problems.items():
        print(f"{name}: " + ("in sync" if not found else "DRIFT: " + "; ".join(found)))
    if any(problems.values()):
        print("regenerate with: nbgrader generate_assignment <name> --force  (from the repository root)")
        return 1
    return 0
