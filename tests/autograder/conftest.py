"""Make the repository's `autograder` package importable (it is a tool in the repository, not installed),
and report how long nbgrader's autograde took per notebook (the issue's <= 30 s on CPU: reported, never
asserted, since tests do not assert on wall-clock time)."""

import sys
from pathlib import Path

import pytest

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

_TIMES: dict[str, dict[str, float]] = {}


@pytest.fixture
def autograde_times(record_property) -> dict[str, dict[str, float]]:
    """Put ``{assignment: {student: seconds}}`` here; it goes to the junit XML and the terminal summary."""
    before = set(_TIMES)
    yield _TIMES
    for assignment in set(_TIMES) - before:
        record_property(f"autograde_seconds_{assignment}", _TIMES[assignment])


def pytest_terminal_summary(terminalreporter) -> None:
    if not _TIMES:
        return
    terminalreporter.section("autograde time per notebook (s, this machine)")
    for assignment, times in sorted(_TIMES.items()):
        each = ", ".join(f"{sid} {sec:.1f}" for sid, sec in sorted(times.items()))
        terminalreporter.write_line(f"{assignment}: {each}; max {max(times.values(), default=0):.1f}")
