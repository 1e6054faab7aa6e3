"""nbgrader_config.py is the single source of the grading settings, and the command line checks its options."""

from __future__ import annotations

import subprocess

import nbformat
import pytest
from autograder_helpers import ROOT, answers, read_grades, student, write

from autograder import OUTPUT, settings
from autograder.__main__ import _parser, main

A = "06_evaluation"


def _config_file(tmp_path, old: str | None = None, new: str = "") -> object:
    """A copy of nbgrader_config.py with ``old`` replaced by ``new`` (or ``new`` appended)."""
    text = (ROOT / "nbgrader_config.py").read_text()
    if old is not None:
        assert old in text
        text = text.replace(old, new)
    else:
        text += "\n" + new + "\n"
    path = tmp_path / "nbgrader_config.py"
    path.write_text(text)
    return path


def test_the_grading_settings_leave_out_the_instructors_folders():
    loaded, shared = settings.load(), settings.shared()
    assert "ExportPlugin" in loaded and "CourseDirectory" in loaded  # as nbgrader reads the file
    assert "ExportPlugin" not in shared and "CourseDirectory" not in shared
    job = settings.course_config("/tmp/course", "a1", shared, "ann")
    assert job.CourseDirectory.root == "/tmp/course" and "ExportPlugin" not in job
    assert "CourseDirectory" not in shared  # course_config worked on a copy


def test_a_changed_nbgrader_config_changes_the_settings_and_the_default_timeout(tmp_path, monkeypatch):
    changed = _config_file(tmp_path, "c.Execute.timeout = 60", "c.Execute.timeout = 7")
    changed.write_text(changed.read_text().replace('"YOUR ANSWER HERE"', '"WRITE HERE"'))
    job = settings.course_config("/tmp/course", "a1", settings.shared(changed))
    assert job.ClearSolutions.text_stub == "WRITE HERE" and job.Execute.timeout == 7
    assert (
        settings.course_config("/tmp/course", "a1", settings.shared(changed), timeout=3).Execute.timeout == 3
    )
    monkeypatch.setattr(settings, "CONFIG_FILE", changed)
    assert settings.default_timeout() == 7
    assert _parser().parse_args(["grade", A, "subs"]).timeout == 7


def test_the_cli_timeout_defaults_to_nbgrader_configs():
    args = _parser().parse_args(["grade", A, "subs"])
    assert args.timeout == settings.default_timeout() == settings.load().Execute.timeout == 60


def test_without_execute_timeout_the_default_is_nbgraders(tmp_path, monkeypatch):
    from nbgrader.preprocessors import Execute

    monkeypatch.setattr(settings, "CONFIG_FILE", _config_file(tmp_path, "c.Execute.timeout = 60", ""))
    assert settings.default_timeout() == settings.NBGRADER_TIMEOUT == Execute.timeout.default_value
    assert _parser().parse_args(["grade", A, "subs"]).timeout == 30


@pytest.mark.parametrize(
    ("line", "reason", "hint"),
    [
        ("c.Execute.timeout = None", "Execute.timeout = None", "--timeout"),
        ("c.Execute.timeout = 'soon'", "Execute.timeout = 'soon'", "--timeout"),
        ("c.Execute.timeout = 0", "Execute.timeout = 0", "--timeout"),
        ("c.Execute.timeout = (", "cannot read nbgrader_config.py: SyntaxError", "fix it"),
    ],
)
def test_an_unusable_execute_timeout_stops_only_grade(tmp_path, monkeypatch, capsys, line, reason, hint):
    monkeypatch.setattr(settings, "CONFIG_FILE", _config_file(tmp_path, "c.Execute.timeout = 60", line))
    assert settings.default_timeout() is None and reason in str(settings.timeout_setting())
    with pytest.raises(SystemExit) as exit_info:
        main(["grade", "--help"])  # the parser still builds
    assert exit_info.value.code == 0
    capsys.readouterr()
    assert main(["grade", A, str(tmp_path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and reason in lines[0] and hint in lines[0], lines


@pytest.mark.parametrize("value", ["0", "-5", "1.5", "soon", "86401", "1000000000"])
def test_timeout_must_be_a_positive_integer_up_to_a_day(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["grade", A, str(ROOT), "--timeout", value])
    captured = capsys.readouterr()
    assert exit_info.value.code == 2 and captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "--timeout" in lines[0] and "positive whole number" in lines[0], lines
    assert "up to 86400" in lines[0]


def test_a_positive_timeout_is_accepted():
    assert _parser().parse_args(["grade", A, "subs", "--timeout", "5"]).timeout == 5
    assert _parser().parse_args(["grade", A, "subs", "--timeout", "86400"]).timeout == 86400


_PRINT_TEN = "for i in range(10):\n    print('line', i)"


def _printed_lines(out, sid: str) -> list[str]:
    nb = nbformat.read(out / "autograded" / sid / A / f"{A}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.source == _PRINT_TEN)
    return "".join(o.get("text", "") for o in cell.outputs).splitlines()


@pytest.mark.slow
def test_the_grading_children_use_the_settings_read_before_any_student_code(tmp_path, monkeypatch):
    """LimitOutput.max_lines = 3 in the instructor's file reaches nbgrader in the grading child; a kernel
    that rewrites the file (by absolute path, --sandbox none) changes nothing for the next student."""
    from autograder.grade import Options, grade

    config = _config_file(tmp_path, new="c.LimitOutput.max_lines = 3")
    monkeypatch.setattr(settings, "CONFIG_FILE", config)
    subs, out = tmp_path / "subs", tmp_path / "out"
    tamper = f"import pathlib\np = pathlib.Path(r'{config}')\np.write_text(p.read_text() + '\\nc.LimitOutput.max_lines = 1000\\n')"
    for sid, first in (("ann", tamper), ("bob", "pass")):
        nb = student(A, solved=answers(A))
        nb.cells[1:1] = [nbformat.v4.new_code_cell(first), nbformat.v4.new_code_cell(_PRINT_TEN)]
        write(nb, subs / f"{sid}_{A}.ipynb")
    grade(A, subs, Options(out, timeout=15, sandbox="none", log=lambda message: None))
    assert {r["student_id"]: r["status"] for r in read_grades(out, A)} == {"ann": "graded", "bob": "graded"}
    assert "max_lines = 1000" in config.read_text()  # the tampering happened
    for sid in ("ann", "bob"):
        assert _printed_lines(out, sid) == ["line 0", "line 1", "... Output truncated ..."], sid


def test_nbgrader_export_goes_to_an_ignored_file_beside_but_not_over_grades_csv():
    target = settings.load().ExportPlugin.to
    assert target.startswith(str(OUTPUT) + "/") and not target.endswith("/grades.csv")
    ignored = subprocess.run(["git", "check-ignore", "-q", target], cwd=ROOT, check=False)
    assert ignored.returncode == 0, f"{target} is not git-ignored"  # the export itself: test_release.py
