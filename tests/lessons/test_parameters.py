"""Lesson parameters: the papermill ``parameters`` cell holds raw values, the next cell resolves defaults.

papermill puts its ``-p`` values in a new cell right *after* the ``parameters`` cell, so nothing may be
derived from ``SMOKE`` inside that cell: every size/epoch knob is ``None`` there ("the value for the
mode") and the following cell fills it from ``SMOKE``. Then ``MTLKIT_SMOKE=1`` and ``-p SMOKE True`` give
the same run, and ``-p EPOCHS 3`` overrides one knob. The fast tests execute just those cells (with
papermill's injection, :func:`notebook_runner.inject_parameters`); a slow test runs lesson 1 in a kernel.

Every cell before the setup cell runs before mtlkit is installed (in a fresh Colab): the tests run them
with mtlkit made unimportable.
"""

from __future__ import annotations

import ast
import contextlib
import io
import sys
from pathlib import Path

import nbformat
import pytest
from notebook_runner import (
    BEING_ALIGNED,
    LESSONS,
    PROBE_MARKER,
    code_cells,
    execute,
    inject_parameters,
    lesson_cases,
    read,
)

DEFAULTS_COMMENT = "# Resolve defaults for the chosen mode"
SETUP_MARKER = 'find_spec("mtlkit") is None'  # the Colab install condition
# Knobs whose None is passed on to mtlkit, which picks the value (so the defaults cell leaves them alone).
LEFT_TO_THE_LIBRARY = {"07": {"SEEDS": "run_capstone(seeds=None) runs the preset's seeds"}}


def library_knobs(path: Path) -> set[str]:
    return set(LEFT_TO_THE_LIBRARY.get(path.name[:2], {}))


def assigned(source: str) -> dict[str, ast.expr]:
    """Top-level ``NAME = value`` assignments of a cell: name -> value expression."""
    return {
        target.id: node.value
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def knobs(path: Path) -> list[str]:
    """The parameters left at ``None`` in the parameters cell (resolved for the mode by the next cell)."""
    values = assigned(code_cells(read(path))[0].source)
    return [name for name, value in values.items() if isinstance(value, ast.Constant) and value.value is None]


def resolve(
    path: Path, monkeypatch: pytest.MonkeyPatch, env_smoke: str | None, parameters: dict | None = None
) -> dict:
    """Run the parameters cell, papermill's injected cell (if any) and the defaults cell; return the
    values of the parameters cell's names. ``env_smoke``: ``MTLKIT_SMOKE`` (``None``: unset)."""
    if env_smoke is None:
        monkeypatch.delenv("MTLKIT_SMOKE", raising=False)
    else:
        monkeypatch.setenv("MTLKIT_SMOKE", env_smoke)
    nb = read(path)
    if parameters:
        inject_parameters(nb, parameters)
    cells = code_cells(nb)[: 3 if parameters else 2]
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in cells:
            exec(cell.source, namespace)
    return {name: namespace[name] for name in assigned(cells[0].source)}


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_first_code_cell_is_tagged_parameters_and_reads_mtlkit_smoke(path):
    first = code_cells(read(path))[0]
    assert "parameters" in first.metadata.get("tags", []), "papermill needs the tag 'parameters'"
    values = assigned(first.source)
    assert "SMOKE" in values, "the parameters cell sets SMOKE"
    assert "MTLKIT_SMOKE" in ast.unparse(values["SMOKE"]), "SMOKE is read from MTLKIT_SMOKE"


@pytest.mark.parametrize("path", lesson_cases())
def test_parameters_cell_holds_raw_values_and_the_next_cell_resolves_them(path):
    params, following = code_cells(read(path))[:2]
    derived = [
        name
        for name, value in assigned(params.source).items()
        if any(isinstance(n, ast.Name) and n.id == "SMOKE" for n in ast.walk(value))
    ]
    assert not derived, f"derived from SMOKE inside the parameters cell (papermill -p would miss): {derived}"
    assert knobs(path), "size/epoch knobs default to None in the parameters cell"
    assert following.source.startswith(DEFAULTS_COMMENT), "the next cell resolves the defaults"
    missing = set(knobs(path)) - set(assigned(following.source)) - library_knobs(path)
    assert not missing, f"left at None and never resolved: {sorted(missing)}"


ALIGNED = [p for p in LESSONS if p.name[:2] not in BEING_ALIGNED]


@pytest.mark.parametrize("path", ALIGNED, ids=lambda p: p.stem)
def test_smoke_parameter_and_environment_variable_give_the_same_values(path, monkeypatch):
    smoke = resolve(path, monkeypatch, env_smoke="1")
    full = resolve(path, monkeypatch, env_smoke=None)
    assert smoke["SMOKE"] is True and full["SMOKE"] is False
    assert any(smoke[k] != full[k] for k in knobs(path)), "smoke mode shrinks something"
    resolved = [k for k in knobs(path) if k not in library_knobs(path)]
    assert all(full[k] is not None and smoke[k] is not None for k in resolved), "every None is resolved"
    assert resolve(path, monkeypatch, env_smoke=None, parameters={"SMOKE": True}) == smoke
    assert resolve(path, monkeypatch, env_smoke="1", parameters={"SMOKE": False}) == full


@pytest.mark.parametrize("path", ALIGNED, ids=lambda p: p.stem)
def test_one_injected_knob_overrides_only_that_knob(path, monkeypatch):
    full = resolve(path, monkeypatch, env_smoke=None)
    knob = "EPOCHS" if "EPOCHS" in full else knobs(path)[0]
    got = resolve(path, monkeypatch, env_smoke=None, parameters={knob: 3})
    assert got == {**full, knob: 3}


def before_setup(path: Path) -> list[nbformat.NotebookNode]:
    """The code cells that run before the setup cell (the one that installs mtlkit in Colab)."""
    cells = code_cells(read(path))
    setup = next(i for i, c in enumerate(cells) if SETUP_MARKER in c.source)
    return cells[:setup]


def imported_modules(source: str) -> set[str]:
    """Top-level package names a cell imports."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_no_cell_before_the_setup_cell_imports_mtlkit(path):
    cells = before_setup(path)
    assert len(cells) >= 2, "the parameters and defaults cells come before the setup cell"
    importing = [i for i, c in enumerate(cells) if "mtlkit" in imported_modules(c.source)]
    assert not importing, f"code cells {importing} import mtlkit before the setup cell installs it"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
@pytest.mark.parametrize("env_smoke", ["1", None], ids=["smoke", "full"])
def test_cells_before_the_setup_cell_run_without_mtlkit(path, env_smoke, monkeypatch):
    """As in a fresh Colab runtime: mtlkit is not installed until the setup cell has run."""
    for name in [m for m in sys.modules if m == "mtlkit" or m.startswith("mtlkit.")]:
        monkeypatch.setitem(sys.modules, name, None)  # a None entry makes `import` raise ImportError
    monkeypatch.setitem(sys.modules, "mtlkit", None)
    if env_smoke is None:
        monkeypatch.delenv("MTLKIT_SMOKE", raising=False)
    else:
        monkeypatch.setenv("MTLKIT_SMOKE", env_smoke)
    with pytest.raises(ImportError):
        exec("import mtlkit.capstone", {})  # the guard works
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in before_setup(path):
            exec(cell.source, namespace)
    assert namespace["SMOKE"] is (env_smoke == "1")


def test_injection_puts_a_tagged_cell_right_after_the_parameters_cell():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# title"),
            nbformat.v4.new_code_cell("SMOKE = False", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell("print(SMOKE)"),
        ]
    )
    inject_parameters(nb, {"SMOKE": True, "EPOCHS": 3, "NAME": "x"})
    assert [c.source for c in nb.cells][1:3] == [
        "SMOKE = False",
        "# Parameters\nSMOKE = True\nEPOCHS = 3\nNAME = 'x'\n",
    ]
    assert nb.cells[2].metadata["tags"] == ["injected-parameters"]


PROBE = f"""
import json
print("{PROBE_MARKER}" + json.dumps({{
    "SMOKE": SMOKE, "EPOCHS": EPOCHS, "TRAIN_SIZE": TRAIN_SIZE, "WIDTH": WIDTH, "BATCH_SIZE": BATCH_SIZE,
    "pool": len(train) + len(val),
}}))
"""


@pytest.mark.slow
def test_lesson01_runs_in_smoke_mode_from_an_injected_smoke_parameter(tmp_path, monkeypatch):
    """As ``papermill 01_why_multitask.ipynb out.ipynb -p SMOKE True`` with no MTLKIT_SMOKE set."""
    path = next(p for p in LESSONS if p.name.startswith("01_"))
    expected = resolve(path, monkeypatch, env_smoke="1")
    run = execute(
        path,
        tmp_path,
        probe=PROBE,
        env={"MTLKIT_SMOKE": None, "MTLKIT_DATA": str(tmp_path / "no-cifar")},
        parameters={"SMOKE": True},
    )
    assert run.error is None, run.error
    assert "injected-parameters" in run.notebook.cells[2].metadata.get("tags", [])
    assert run.probe["SMOKE"] is True
    for knob in ("EPOCHS", "TRAIN_SIZE", "WIDTH", "BATCH_SIZE"):
        assert run.probe[knob] == expected[knob], knob
    assert run.probe["pool"] == expected["TRAIN_SIZE"], "the data really shrank"
    assert "smoke mode: True" in run.text()


def test_lesson04_conv_kwargs_follow_the_chosen_backbone(monkeypatch):
    """``papermill 04_sharing_architectures.ipynb out.ipynb -p CONV resnet18`` gets no tiny-CNN width."""
    from mtlkit.backbones import create

    path = next(p for p in LESSONS if p.name.startswith("04_"))
    tiny = resolve(path, monkeypatch, env_smoke="1")
    resnet = resolve(path, monkeypatch, env_smoke="1", parameters={"CONV": "resnet18"})
    assert tiny["CONV_KWARGS"] == {"width": 8}
    assert resnet["CONV_KWARGS"] == {}
    assert create(resnet["CONV"], **resnet["CONV_KWARGS"]).stage_dims[-1] == 512
