"""nbgrader_config.py is the single source of the grading settings, and the command line checks its options."""

from __future__ import annotations

import subprocess

import pytest
from autograder_helpers import ROOT

from autograder import OUTPUT, settings
from autograder.__main__ import _parser, main
from autograder.job import _config

SHARED = [
    ("ClearSolutions", "code_stub"),
    ("ClearSolutions", "text_stub"),
    ("OverwriteCells", "add_missing_cells"),
]


def _value(config, section: str, key: str):
    return config[section][key]


def test_the_grading_children_use_nbgrader_configs_settings():
    from_file = settings.load()  # as `nbgrader` itself loads it from the repository root
    job = _config("/tmp/course", "a1", "ann")
    for section, key in [*SHARED, ("Execute", "timeout")]:
        assert _value(job, section, key) == _value(from_file, section, key), (section, key)
    assert job.CourseDirectory.root == "/tmp/course"  # but never the instructor's folders
    assert "ExportPlugin" not in job


def test_a_changed_nbgrader_config_changes_what_the_grader_does(tmp_path):
    text = (ROOT / "nbgrader_config.py").read_text()
    text = text.replace('"YOUR ANSWER HERE"', '"WRITE HERE"').replace(
        "c.Execute.timeout = 60", "c.Execute.timeout = 7"
    )
    changed = tmp_path / "nbgrader_config.py"
    changed.write_text(text)
    job = _config("/tmp/course", "a1", base=settings.shared(changed))
    assert job.ClearSolutions.text_stub == "WRITE HERE" and job.Execute.timeout == 7
    assert settings.default_timeout(changed) == 7
    assert _config("/tmp/course", "a1", timeout=3, base=settings.shared(changed)).Execute.timeout == 3


def test_the_cli_timeout_defaults_to_nbgrader_configs():
    args = _parser().parse_args(["grade", "06_evaluation", "subs"])
    assert args.timeout == settings.default_timeout() == settings.load().Execute.timeout


@pytest.mark.parametrize("value", ["0", "-5", "1.5", "soon"])
def test_timeout_must_be_a_positive_integer(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["grade", "06_evaluation", str(ROOT), "--timeout", value])
    captured = capsys.readouterr()
    assert exit_info.value.code == 2 and captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "--timeout" in lines[0] and "positive whole number" in lines[0], lines


def test_a_positive_timeout_is_accepted():
    assert _parser().parse_args(["grade", "06_evaluation", "subs", "--timeout", "5"]).timeout == 5


def test_nbgrader_export_goes_to_an_ignored_file_beside_but_not_over_grades_csv():
    target = settings.load().ExportPlugin.to
    assert target.startswith(str(OUTPUT) + "/") and not target.endswith("/grades.csv")
    ignored = subprocess.run(["git", "check-ignore", "-q", target], cwd=ROOT, check=False)
    assert ignored.returncode == 0, f"{target} is not git-ignored"  # the export itself: test_release.py
