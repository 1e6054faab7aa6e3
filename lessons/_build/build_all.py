"""Rebuild every lesson notebook from its ``lessonNN.py`` source in this folder (``lessonNN_part*.py`` are
imported by their ``lessonNN.py``, not built on their own)."""

from __future__ import annotations

import runpy
from pathlib import Path

if __name__ == "__main__":
    for source in sorted(Path(__file__).parent.glob("lesson[0-9][0-9].py")):
        runpy.run_path(str(source), run_name="__main__")
