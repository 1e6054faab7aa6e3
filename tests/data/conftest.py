"""Fixtures for the data tests: the real CIFAR copies, unpacked once per session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).parents[3] / "shared" / "data"  # the shared/ folder next to the repo


@pytest.fixture(scope="session")
def real_cifar_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real CIFAR-10/100 unpacked once per session from ../shared/data (skips when absent)."""
    script = SHARED_DATA / "unpack_cifar.py"
    if not script.is_file():
        pytest.skip(f"real CIFAR copies not found in {SHARED_DATA}")
    root = tmp_path_factory.mktemp("cifar")
    subprocess.run([sys.executable, str(script), str(root)], check=True, capture_output=True)
    return root
