"""The Colab install in every lesson's settings cell: one block, the same in every lesson, installing the
mtlkit release pinned once in lessons/colab-requirements.txt (whose tag matches pyproject's version).

The slow test runs that block for real: in a fresh virtual environment where mtlkit is absent (it sees
this interpreter's packages, but not its mtlkit), with a fake ``google.colab`` module, the requirements
file read from this checkout and ``github.com/mtlkit/mtlkit`` redirected by git to a local clone holding
the release tag; then it imports mtlkit from the new environment.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from notebook_runner import LESSONS, REPO, code_cells, read

REQUIREMENTS = REPO / "lessons" / "colab-requirements.txt"
RAW_MAIN = "https://raw.githubusercontent.com/mtlkit/mtlkit/main/"
GITHUB = "https://github.com/mtlkit/mtlkit"
BLOCK_START = "# In Colab:"
FAKE_COLAB = '''
"""A stand-in for Colab's google.colab: records that the custom widget manager was enabled."""
import os


class output:
    @staticmethod
    def enable_custom_widget_manager():
        open(os.environ["WIDGET_MANAGER_LOG"], "a").write("enabled\\n")
'''


def modern_setuptools() -> bool:
    """Whether this interpreter has a setuptools that builds mtlkit (>= 77, pyproject's build requirement);
    without one, pip builds in an isolated environment and fetches it from the index."""
    try:
        return int(importlib.metadata.version("setuptools").split(".")[0]) >= 77
    except importlib.metadata.PackageNotFoundError:
        return False


def colab_block(path: Path) -> str:
    """The Colab install at the end of a lesson's settings cell."""
    source = code_cells(read(path))[0].source
    assert BLOCK_START in source, "the settings cell ends with the Colab install"
    return source[source.index(BLOCK_START) :]


def course_url(block: str) -> str:
    return re.search(r'COURSE = "([^"]+)"', block).group(1)


def test_every_lesson_has_the_same_colab_block_reading_the_one_requirements_file():
    blocks = {path.name: colab_block(path) for path in LESSONS}
    assert len(set(blocks.values())) == 1, "every lesson's settings cell ends with the same Colab block"
    url = course_url(next(iter(blocks.values())))
    assert url.startswith(RAW_MAIN) and REPO / url.removeprefix(RAW_MAIN) == REQUIREMENTS


def test_the_requirements_pin_the_release_of_pyproject_version():
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    pins = [line for line in REQUIREMENTS.read_text().splitlines() if line and not line.startswith("#")]
    assert pins == [f"mtlkit @ git+{GITHUB}@v{version}"]


@pytest.mark.parametrize(
    ("in_colab", "installed", "installs"), [(True, False, 1), (True, True, 0), (False, False, 0)]
)
def test_the_block_installs_only_in_colab_when_mtlkit_is_missing(monkeypatch, in_colab, installed, installs):
    calls, enabled = [], []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "mtlkit" and not installed else real_find_spec(name, *a),
    )
    colab = type(sys)("google.colab")
    colab.output = type(
        "output", (), {"enable_custom_widget_manager": staticmethod(lambda: enabled.append(1))}
    )
    if in_colab:
        monkeypatch.setitem(sys.modules, "google.colab", colab)
        monkeypatch.setitem(sys.modules, "google", type(sys)("google"))
        sys.modules["google"].colab = colab
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    block = colab_block(LESSONS[0])
    exec("import importlib.util, subprocess, sys\n" + block, {})
    assert len(calls) == installs and len(enabled) == int(in_colab)
    if calls:
        assert calls[0][1:] == ["-m", "pip", "install", "-q", "-r", course_url(block)]


@pytest.mark.slow
def test_the_block_installs_the_pinned_release_in_a_fresh_environment(tmp_path):
    clone = tmp_path / "clone"
    try:
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"needs git and a git checkout: {error}")
    tag = REQUIREMENTS.read_text().rsplit("@", 1)[1].strip()
    subprocess.run(["git", "-C", str(clone), "tag", "-f", tag], check=True, capture_output=True)
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f'[url "file://{clone}"]\n\tinsteadOf = {GITHUB}\n')
    fake = tmp_path / "fake"
    (fake / "google" / "colab").mkdir(parents=True)
    (fake / "google" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "__init__.py").write_text(FAKE_COLAB)

    venv = tmp_path / "venv"  # sees this interpreter's packages through a .pth line, which hides its mtlkit
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "outer.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(fake),
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "WIDGET_MANAGER_LOG": str(tmp_path / "widgets.log"),
    }
    if modern_setuptools():  # build with this interpreter's setuptools: nothing is downloaded
        env |= {"PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0"}  # (pip's inverted spelling)
    absent = subprocess.run(
        [python, "-c", "import mtlkit"], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert absent.returncode != 0, "mtlkit must be absent before the setup runs"

    block = colab_block(LESSONS[0]).replace(course_url(colab_block(LESSONS[0])), str(REQUIREMENTS))
    setup = "import importlib.util, subprocess, sys\nimport google.colab\n" + block
    ran = subprocess.run(
        [python, "-c", setup], env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    imported = subprocess.run(
        [python, "-c", "import mtlkit; print(mtlkit.__file__, mtlkit.__version__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert imported.startswith(site), f"mtlkit was installed into the fresh environment: {imported}"
    assert (tmp_path / "widgets.log").read_text() == "enabled\n"
