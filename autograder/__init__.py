"""Batch grading of mtlkit exercises with nbgrader: ``python -m autograder grade ASSIGNMENT SUBMISSIONS``.

Masters in ``solutions/``, student versions in ``exercises/`` (nbgrader_config.py). The runbook and
the threat model: autograder/README.md.
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
