"""The uids of ``--sandbox user``: which ones a batch uses, and what is cleaned up after each student.

Each submission's kernel runs as a fresh uid from UID_BASE up that no account uses. A batch holds its
uids (an flock per uid, ``reserved_uids``) until it ends, so two batches on one machine never share
one; after each student every process of the uid is killed (``kill(-1)`` as that uid) and what it left
at the top of the world-writable scratch folders (/tmp, /var/tmp, /dev/shm) is removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from mtlkit.errors import UserError

UID_BASE = 61000
LOCK_DIR = Path("/run/mtlkit-grader" if Path("/run").is_dir() else "/var/lock/mtlkit-grader")
SHARED_SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")  # writable by every uid: a sandbox uid's leftovers


def kill_all_of(uid: int, gid: int) -> None:
    """SIGKILL every process of ``uid``, detached ones included (``kill(-1)`` sent as that uid)."""
    code = "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept ProcessLookupError:\n    pass"
    subprocess.run([sys.executable, "-c", code], user=uid, group=gid, extra_groups=[], check=False)


def free_uids(count: int, base: int = UID_BASE) -> list[int]:
    """``count`` uids from ``base`` up that no account uses."""
    uids, uid = [], base
    while len(uids) < count:
        if _no_account(uid):
            uids.append(uid)
        uid += 1
    return uids


def _no_account(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return True
    return False


@contextlib.contextmanager
def reserved_uids(count: int, base: int = UID_BASE) -> Iterator[list[int]]:
    """``count`` uids from ``base`` up that no account uses and no other batch on this machine holds.

    Each is held by an flock on ``LOCK_DIR/<uid>.lock`` until the batch ends, so two batches never share
    a uid: after each student the grader kills every process of that uid (``kill(-1)``), which would
    hit the other batch's kernel.
    """
    folder = lock_dir()
    with contextlib.ExitStack() as locks:
        uids, uid = [], base
        while len(uids) < count:
            if _no_account(uid) and _try_lock(locks, folder / f"{uid}.lock"):
                uids.append(uid)
            uid += 1
        yield uids


def lock_dir() -> Path:
    """LOCK_DIR, created private: no sandboxed kernel may remove another batch's locks."""
    folder = LOCK_DIR
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise UserError(f"{folder} must be a folder of the grader's user that only it can open: remove it")
    return folder


def _try_lock(locks: contextlib.ExitStack, path: Path) -> bool:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    locks.callback(os.close, fd)
    return True


def remove_files_of(uid: int, folders: tuple[str, ...] = SHARED_SCRATCH) -> list[Path]:
    """Remove what ``uid`` (a sandbox uid, its processes all killed) left at the top of the world-writable
    scratch folders; returns what was removed. Deeper files in other users' folders are not looked for."""
    removed = []
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)  # fd-based on Linux: a symlink inside is removed, not followed
                else:
                    os.unlink(entry.path)
            except OSError:
                continue
            removed.append(Path(entry.path))
    return removed
