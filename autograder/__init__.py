"""Batch grading of mtlkit exercises with nbgrader: ``python -m autograder grade ASSIGNMENT SUBMISSIONS``.

The masters live in ``solutions/``, the student versions in ``exercises/`` (see nbgrader_config.py).
This package collects downloaded notebooks (a folder or an LMS zip), grades each one with nbgrader's
autograde in an isolated throwaway course tree, and writes ``grades.csv`` plus feedback HTML.
See autograder/README.md for the runbook and the threat model.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
OUTPUT = ROOT / "autograder"


def assignments(masters: Path = SOLUTIONS) -> list[str]:
    """Names of the assignments that have a master notebook in ``masters`` (default solutions/)."""
    return sorted(p.name for p in masters.iterdir() if (p / f"{p.name}.ipynb").is_file())
