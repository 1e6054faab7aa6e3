"""The packaging promises: environment.yml matches pyproject, the CLI entry point and CI script exist."""

from __future__ import annotations

import re
import shlex
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


def _quick_start() -> list[str]:
    """The command lines of README.md's quick-start code block."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block, "README.md's quick start has no ```bash block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def _steps(line: str) -> list[list[str]]:
    """A shell line's ``&&``-separated commands, as argument lists."""
    return [shlex.split(part) for part in line.split("&&")]


def _pip_install(argv: list[str]) -> tuple[str, ...] | None:
    """What ``[python -m] pip install [--quiet] ARGS`` installs (ARGS), or None for another command."""
    if argv[:2] == ["python", "-m"]:
        argv = argv[2:]
    if argv[:2] != ["pip", "install"]:
        return None
    return tuple(a for a in argv[2:] if a not in ("--quiet", "-q", "--upgrade", "-U"))


def _ci_commands() -> list[list[str]]:
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    return [shlex.split(line, comments=True) for line in lines if shlex.split(line, comments=True)]


def test_readme_quick_start_is_two_commands_install_then_run():
    lines = _quick_start()
    assert len(lines) == 2
    for line in lines:
        install, *rest = _steps(line)
        assert _pip_install(install) is not None and len(rest) == 1, line
    assert _steps(lines[1])[1] == ["python", "-m", "pytest"]


def test_ci_script_installs_what_the_readme_says_and_runs_its_test_command():
    install, test_command = _steps(_quick_start()[1])
    ci = _ci_commands()
    installs = [i for i, argv in enumerate(ci) if _pip_install(argv) == _pip_install(install)]
    runs = [i for i, argv in enumerate(ci) if argv == test_command]
    assert installs, f"CI does not run the README's install {shlex.join(install)!r}"
    assert runs, f"CI does not run the README's exact test command {shlex.join(test_command)!r}"
    fresh = [i for i, argv in enumerate(ci) if argv[:3] == ["python3", "-m", "venv"]]
    activated = [
        i for i, argv in enumerate(ci) if argv[:1] == ["source"] and argv[1].endswith("/bin/activate")
    ]
    assert fresh and activated and fresh[0] < activated[0] < installs[0] < runs[0]


def test_ci_script_fails_when_no_test_ran():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r'if \[ "\$status" -eq 5 \]; then.*?exit 1', ci, re.DOTALL)  # pytest: "no tests ran"
    assert ci.rstrip().endswith('exit "$status"')


def test_license_is_an_spdx_expression_with_a_setuptools_that_reads_it():
    assert _pyproject()["project"]["license"] == "MIT"
    requires = _pyproject()["build-system"]["requires"]
    floor = next(r for r in requires if _name(r) == "setuptools").split(">=")[1]
    assert tuple(int(x) for x in floor.split(".")) >= (77,)  # PEP 639 license strings


def test_console_script_answers_version():
    out = subprocess.run([sys.executable, "-m", "mtlkit.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("mtlkit ")


def test_importing_mtlkit_does_not_import_torch():
    code = "import sys, mtlkit; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
