"""scripts/strip_notebooks.py removes outputs and execution counts, and --check reports dirty notebooks."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "strip_notebooks.py"


def load_script():
    spec = importlib.util.spec_from_file_location("strip_notebooks", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dirty_notebook(path: Path) -> Path:
    cell = new_code_cell(
        "print(1)", execution_count=3, outputs=[new_output("stream", name="stdout", text="1\n")]
    )
    cell.metadata["execution"] = {"iopub.status.busy": "2024-01-01"}
    nb = new_notebook(cells=[new_markdown_cell("# t"), cell])
    nb.metadata["widgets"] = {"state": {}}
    nbformat.write(nb, path)
    return path


def test_check_reports_and_strip_cleans(tmp_path, capsys):
    strip = load_script()
    path = dirty_notebook(tmp_path / "a.ipynb")
    assert strip.main(["--check", str(path)]) == 1
    assert f"has outputs: {path}" in capsys.readouterr().out
    assert strip.main([str(path)]) == 0
    nb = nbformat.read(path, as_version=4)
    code = nb.cells[1]
    assert code.outputs == [] and code.execution_count is None and "execution" not in code.metadata
    assert code.source == "print(1)" and nb.cells[0].source == "# t"
    assert "widgets" not in nb.metadata
    assert strip.main(["--check", str(path)]) == 0


def test_clean_notebooks_are_not_rewritten(tmp_path):
    strip = load_script()
    path = tmp_path / "clean.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), path)
    before = path.stat().st_mtime_ns
    assert strip.main([str(path)]) == 0
    assert path.stat().st_mtime_ns == before


def test_run_metadata_alone_makes_a_notebook_dirty_and_content_metadata_stays(tmp_path):
    strip = load_script()
    cell = new_code_cell("x = 1")
    cell.metadata.update({"ExecuteTime": {"end_time": "2024"}, "collapsed": True, "tags": ["parameters"]})
    nb = new_notebook(cells=[cell])
    nb.metadata.update({"papermill": {"duration": 1.0}, "kernelspec": {"name": "python3"}})
    path = tmp_path / "meta.ipynb"
    nbformat.write(nb, path)
    assert strip.main(["--check", str(path)]) == 1
    assert strip.main([str(path)]) == 0
    cleaned = nbformat.read(path, as_version=4)
    assert cleaned.cells[0].metadata == {"tags": ["parameters"]}
    assert cleaned.metadata == {"kernelspec": {"name": "python3"}}
