"""Each lesson's first code cell is its settings cell: tagged ``parameters`` (papermill), every knob a
plain value or ``<quick value> if QUICK else <full value>``, ``QUICK`` read from ``MTLKIT_SMOKE``, and the
Colab install at its end (tests/lessons/test_colab_setup.py). It runs before mtlkit is installed, so it
imports nothing from mtlkit; the tests run it with mtlkit unimportable.

papermill puts ``-p NAME VALUE`` in a cell right after it, so ``-p EPOCHS 3`` sets one knob; a quick
papermill run sets ``MTLKIT_SMOKE=1`` in the environment (a ``-p QUICK True`` would come too late for the
knobs already computed from ``QUICK``).
"""

from __future__ import annotations

import ast
import contextlib
import io
import sys
from pathlib import Path

import nbformat
import pytest
from notebook_runner import LESSONS, code_cells, inject_parameters, read


def settings(path: Path) -> nbformat.NotebookNode:
    return code_cells(read(path))[0]


def assigned(source: str) -> dict[str, ast.expr]:
    """Top-level ``NAME = value`` assignments of a cell: name -> value expression."""
    return {
        target.id: node.value
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def run_settings(
    path: Path, monkeypatch: pytest.MonkeyPatch, quick: bool, parameters: dict | None = None
) -> dict:
    """Run the settings cell (and papermill's injected cell) outside Colab with mtlkit unimportable, as
    in a fresh runtime; return the values of the names the settings cell assigns."""
    for name in [m for m in sys.modules if m == "mtlkit" or m.startswith("mtlkit.")]:
        monkeypatch.setitem(sys.modules, name, None)  # a None entry makes `import` raise ImportError
    monkeypatch.setitem(sys.modules, "mtlkit", None)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    if quick:
        monkeypatch.setenv("MTLKIT_SMOKE", "1")
    else:
        monkeypatch.delenv("MTLKIT_SMOKE", raising=False)
    nb = read(path)
    if parameters:
        inject_parameters(nb, parameters)
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in code_cells(nb)[: 2 if parameters else 1]:
            exec(cell.source, namespace)
    return {name: namespace[name] for name in assigned(settings(path).source)}


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_first_code_cell_is_the_settings_cell_tagged_parameters(path):
    cell = settings(path)
    assert "parameters" in cell.metadata.get("tags", []), "papermill needs the tag 'parameters'"
    values = assigned(cell.source)
    assert "MTLKIT_SMOKE" in ast.unparse(values["QUICK"]), "QUICK is read from MTLKIT_SMOKE"
    assert not any(
        isinstance(n, ast.ImportFrom) and (n.module or "").startswith("mtlkit")
        for n in ast.walk(ast.parse(cell.source))
    )


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_quick_run_shrinks_the_work_and_runs_without_mtlkit(path, monkeypatch):
    quick = run_settings(path, monkeypatch, quick=True)
    full = run_settings(path, monkeypatch, quick=False)
    assert quick["QUICK"] is True and full["QUICK"] is False
    assert [k for k in quick if k != "QUICK" and quick[k] != full[k]], "a quick run shrinks something"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_an_injected_value_overrides_only_that_knob(path, monkeypatch):
    full = run_settings(path, monkeypatch, quick=False)
    knob = next(k for k in ("EPOCHS", "SEEDS", "STEM_EPOCHS", "PRESET") if k in full)
    got = run_settings(path, monkeypatch, quick=False, parameters={knob: 3})
    assert got == {**full, knob: 3}


def test_injection_puts_a_tagged_cell_right_after_the_parameters_cell():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# title"),
            nbformat.v4.new_code_cell("QUICK = False", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell("print(QUICK)"),
        ]
    )
    inject_parameters(nb, {"QUICK": True, "EPOCHS": 3, "NAME": "x"})
    assert [c.source for c in nb.cells][1:3] == [
        "QUICK = False",
        "# Parameters\nQUICK = True\nEPOCHS = 3\nNAME = 'x'\n",
    ]
    assert nb.cells[2].metadata["tags"] == ["injected-parameters"]


def test_lesson04_conv_kwargs_follow_the_chosen_backbone(tmp_path):
    """``papermill 04_sharing_architectures.ipynb out.ipynb -p CONV resnet18`` gets no tiny-CNN width."""
    from mtlkit.backbones import create

    path = next(p for p in LESSONS if p.name.startswith("04_"))
    cells = code_cells(inject_parameters(read(path), {"CONV": "resnet18"}))
    source = next(c.source for c in cells if "CONV_KWARGS = " in c.source)
    line = next(x for x in source.splitlines() if x.startswith("CONV_KWARGS = "))
    namespace = {"CONV": "resnet18", "WIDTH": 8}
    exec(line, namespace)
    assert namespace["CONV_KWARGS"] == {}
    assert create("resnet18", **namespace["CONV_KWARGS"]).stage_dims[-1] == 512
