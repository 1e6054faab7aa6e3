"""The packaging promises: environment.yml matches pyproject, the CLI entry point and CI script exist."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    specs: dict[str, str] = {}
    for dep in env["dependencies"]:
        entries = dep["pip"] if isinstance(dep, dict) else [dep]
        for entry in entries:
            if entry.startswith("-e") or _name(entry) in ("python", "pip"):
                continue
            specs[_name(entry)] = entry.replace(" ", "")
    return specs


def test_environment_lists_the_same_runtime_dependencies_as_pyproject():
    runtime = {_name(r): r.replace(" ", "") for r in _pyproject()["project"]["dependencies"]}
    assert _environment() == runtime


def test_environment_installs_the_package_itself():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s*-\s*-e\s+\.\s*$", text, re.MULTILINE)


def test_python_floor_is_the_same_everywhere():
    assert _pyproject()["project"]["requires-python"] == ">=3.11"
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python>=3.11" in env["dependencies"]


def test_extras_cover_tests_grading_and_dev():
    extras = _pyproject()["project"]["optional-dependencies"]
    assert {"test", "grading", "dev"} <= set(extras)
    assert any(_name(r) == "nbgrader" and ">=0.9.6" in r and "<0.10" in r for r in extras["grading"])
    assert any(_name(r) == "pytest" for r in extras["test"])


def test_ci_script_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "python -m pytest" in readme and "python -m pytest" in ci
    assert "no tests ran" in ci


def test_console_script_answers_version():
    out = subprocess.run([sys.executable, "-m", "mtlkit.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("mtlkit ")


def test_importing_mtlkit_does_not_import_torch():
    code = "import sys, mtlkit; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
