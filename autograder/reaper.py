"""The grading child adopts what a student's code detaches, and kills it after each student.

With ``PR_SET_CHILD_SUBREAPER`` (Linux) a process that a kernel double-forks or ``setsid()``s is
re-parented to the grading child instead of init when its parent exits, so it stays one of the
child's descendants; after each student every descendant is killed, again until a scan finds none
(they may fork meanwhile), and reaped. Most useful with ``--sandbox none``: the other modes also
kill by uid (user) or by namespace (namespace).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


def become_subreaper() -> bool:
    """Adopt orphaned descendants from now on (False where the OS does not offer it)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _stat(proc: Path) -> tuple[str, int] | None:
    """(state, parent pid) of a /proc entry; None when it is gone."""
    try:
        fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        return fields[0], int(fields[1])
    except (OSError, ValueError, IndexError):
        return None


def descendants(root: int) -> list[int]:
    """Pids of the living (not zombie) descendants of ``root``."""
    children: dict[int, list[int]] = {}
    zombies = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and (info := _stat(proc)) is not None:
            children.setdefault(info[1], []).append(int(proc.name))
            if info[0] in "ZX":
                zombies.add(int(proc.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return [pid for pid in found if pid not in zombies]


def kill_descendants(rounds: int = 100) -> int:
    """SIGKILL every descendant of this process and reap them; returns how many were killed."""
    killed: set[int] = set()
    for _ in range(rounds):
        alive = descendants(os.getpid())
        if not alive:
            break
        for pid in alive:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        killed.update(alive)
        _reap()
    _reap()
    return len(killed)


def kill_tree(root: int, rounds: int = 100) -> None:
    """SIGKILL ``root`` and all its descendants, stopped first (SIGSTOP) so that none can fork meanwhile.

    For the grader, to end a grading child that is stuck: what the child adopted (a kernel's detached
    processes) would otherwise be re-parented to init when the child dies, and survive it.
    """
    stopped: set[int] = set()
    for _ in range(rounds):  # again until a scan finds none that is not stopped yet
        found = {root, *descendants(root)} - stopped
        if not found:
            break
        for pid in found:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGSTOP)
        stopped |= found
    for pid in stopped:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _reap() -> None:
    """Collect the exit status of every finished child (adopted orphans would stay zombies)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
