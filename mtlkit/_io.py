"""Atomic file writes: a reader (or a crash) never sees a half-written file.

The temporary file comes from :func:`tempfile.mkstemp`, which creates it with mode 0600; before it is
renamed over the target it gets the mode a plain ``open(path, "w")`` would give: the existing file's
mode when one is replaced, else ``0o666`` minus the process umask (so results stay readable by the
group or the web server that serves them, as the user's umask says).
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux ``/proc``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere the only way to read it is to set it (briefly) and restore it
    os.umask(mask)
    return mask


def target_mode(path: Path) -> int:
    """The permission bits ``path`` should get: those of the file it replaces, else ``0o666 & ~umask``."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~current_umask()


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(f)`` on a temporary file beside ``path``, fsync it, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        if os.name == "posix":  # Windows has no permission bits to carry over
            os.chmod(tmp, target_mode(path))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Atomically write ``text`` (UTF-8)."""
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Atomically write ``obj`` as indented JSON."""
    return write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def save_torch(path: str | os.PathLike, obj: Any) -> Path:
    """Atomically ``torch.save`` ``obj``."""
    import torch

    return atomic_write(path, lambda f: torch.save(obj, f))


def first_missing(path: str | os.PathLike) -> Path | None:
    """The outermost of ``path`` and its parents that does not exist yet (what ``mkdir -p`` creates), so
    that removing it undoes the creation; None if ``path`` exists."""
    missing = None
    for candidate in (Path(path), *Path(path).absolute().parents):
        if candidate.exists():
            break
        missing = candidate
    return missing


def remove_created(paths: Sequence[Path | None]) -> None:
    """Delete what a failed operation created (folders with their contents); ``None`` entries are skipped."""
    import shutil

    for path in paths:
        if path is None:
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
