"""Helpers for the CLI tests: a tiny, fast budget, a subprocess runner, file modes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

TINY = ["--limit", "120", "--epochs", "1", "--batch-size", "32", "--backbone-arg", "width=8", "--quiet"]


def run_cli(*argv: str) -> subprocess.CompletedProcess:
    """``python -m mtlkit.cli ARGV`` in a fresh process (real exit codes, real stderr)."""
    return subprocess.run([sys.executable, "-m", "mtlkit.cli", *argv], capture_output=True, text=True)


def mode(path) -> int:
    """The permission bits of ``path``."""
    return stat.S_IMODE(os.stat(path).st_mode)
