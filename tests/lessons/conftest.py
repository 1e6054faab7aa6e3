"""Shared state of the lesson tests: each notebook is executed once per session; times are summarised."""

from __future__ import annotations

from pathlib import Path

import pytest
from notebook_runner import SECONDS


@pytest.fixture(scope="session")
def lesson_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lessons")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not SECONDS:
        return
    terminalreporter.section("lesson notebooks: smoke-mode wall time (CPU) vs budget")
    for name, (seconds, budget) in sorted(SECONDS.items()):
        flag = "OVER BUDGET" if seconds > budget else "ok"
        terminalreporter.write_line(f"{name:<40} {seconds:6.1f} s / {budget:.0f} s  {flag}")
