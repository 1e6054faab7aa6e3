"""One source of truth: every lesson with a build script (lessons/_build/lessonNN.py, which may import its
later cells from lessonNN_part2.py, ...) is rebuilt in memory and must equal its committed notebook, cell by
cell (type, id, source, metadata) and in its metadata.

The build runs no formatter (nbbuild.py keeps the sources ruff-formatted instead), so this needs no ruff
and writes nothing.
"""

from __future__ import annotations

import runpy

import nbformat
import pytest
from notebook_runner import REPO, read

BUILD = REPO / "lessons" / "_build"
SOURCES = sorted(BUILD.glob("lesson[0-9][0-9].py"))
PARTS = sorted(BUILD.glob("lesson[0-9][0-9]_part*.py"))
MAX_LINES = 400  # the developers' guide: no file over ~400 lines
FIX = "rebuild it: `python lessons/_build/build_all.py` (edit the lessonNN.py source, not the notebook)"


@pytest.fixture
def nbbuild(monkeypatch):
    monkeypatch.syspath_prepend(str(BUILD))  # the lesson sources do `from nbbuild import ...`
    import nbbuild

    return nbbuild


def differences(built: nbformat.NotebookNode, committed: nbformat.NotebookNode) -> list[str]:
    """Human-readable differences between two notebooks (empty when they are equal)."""
    found = []
    if len(built.cells) != len(committed.cells):
        found.append(f"{len(built.cells)} cells built, {len(committed.cells)} committed")
    for i, (a, b) in enumerate(zip(built.cells, committed.cells, strict=False)):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                found.append(f"cell {i} ({a.get('id')}): {key} differs")
    for key in ("metadata", "nbformat", "nbformat_minor"):
        if built.get(key) != committed.get(key):
            found.append(f"notebook {key} differs: {built.get(key)!r} vs {committed.get(key)!r}")
    return found


def test_every_numbered_lesson_source_is_found():
    assert [p.stem for p in SOURCES][:6] == [f"lesson0{i}" for i in range(1, 7)]


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.stem)
def test_every_part_is_imported_by_its_lesson(part):
    lesson = BUILD / (part.stem.split("_part")[0] + ".py")
    assert lesson.is_file(), f"{part.name} has no {lesson.name}"
    assert f"from {part.stem} import CELLS" in lesson.read_text(), f"{lesson.name} never uses {part.name}"


@pytest.mark.parametrize("source", sorted(BUILD.glob("*.py")), ids=lambda p: p.stem)
def test_build_sources_stay_short(source):
    lines = len(source.read_text().splitlines())
    assert lines <= MAX_LINES, (
        f"{source.name} has {lines} lines: move whole sections into a lessonNN_partK.py"
    )


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_committed_notebook_equals_its_build(source, nbbuild):
    script = runpy.run_path(str(source), run_name="rebuild")  # not __main__: defines FILE, CELLS only
    built = nbbuild.build(script["FILE"], script["CELLS"])
    committed_path = REPO / "lessons" / script["FILE"]
    assert committed_path.is_file(), f"lessons/{script['FILE']} is missing; {FIX}"
    found = differences(built, read(committed_path))
    assert not found, f"lessons/{script['FILE']} differs from {source.name}: {found[:10]}; {FIX}"


def test_differences_are_reported_per_cell(nbbuild):
    cells = [nbbuild.md("# t"), nbbuild.code("x = 1", tags=("parameters",))]
    built = nbbuild.build("01_t.ipynb", cells)
    changed = nbformat.from_dict(built)
    changed.cells[1].source = "x = 2"
    changed.cells[1].metadata["tags"] = []
    assert differences(built, nbformat.from_dict(built)) == []
    assert differences(built, changed) == [
        "cell 1 (01-01): metadata differs",
        "cell 1 (01-01): source differs",
    ]
