"""Start an IPython kernel for a student's notebook inside its sandbox (run by jupyter_client, as a script).

Usage (the kernelspec's argv)::

    python kernel_launcher.py SANDBOX UID GID plain|namespace|namespace+pid [HIDDEN_FOLDER ...] -f CONNECTION_FILE [ipykernel args]

The grading process (nbgrader) keeps its own files; the kernel, which runs the student's code:

- starts in ``SANDBOX/work`` with HOME, TMPDIR and caches inside the sandbox and a minimal environment;
- with ``UID`` >= 0 (the grader runs as root), drops to that unprivileged user, which owns nothing but
  the sandbox: it cannot write the gradebook, grades.csv, the masters or another student's files;
- with ``namespace``, runs in its own mount namespace where everything but the sandbox's scratch folders
  is read-only and each HIDDEN_FOLDER looks empty, without capabilities (autograder.namespace); with
  ``namespace+pid`` also in its own PID namespace, where it sees no process outside;
- has its fds 0-2 on files of the sandbox (stdin ``/dev/null``, stdout and stderr ``SANDBOX/kernel.log``)
  and no other inherited fd: nothing it writes reaches the grading child's result pipe (autograder.channel);
  jupyter passes the kernel its ports in the connection file, not in fds;
- records its pid in ``SANDBOX/kernel.pid`` so that the grader can kill it (and what it started);
- dies with the grading child: ipykernel watches ``JPY_PARENT_PID``, and in a PID namespace (where it
  cannot) ``unshare`` gets ``PR_SET_PDEATHSIG``;
- unless it runs as root, may start only 256 tasks more than its uid runs (RLIMIT_NPROC).
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sys
from pathlib import Path

KEEP_ENV = (
    "PATH",
    "LANG",
    "LC_ALL",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NBGRADER_EXECUTION",
    "PYTHONPATH",
    "JPY_PARENT_PID",  # ipykernel exits when this process (the grading child) is gone: no orphan kernel
)


def _sandbox_env(sandbox: str) -> dict[str, str]:
    env = {key: os.environ[key] for key in KEEP_ENV if key in os.environ}
    home = os.path.join(sandbox, "home")
    env.update(
        HOME=home,
        TMPDIR=os.path.join(sandbox, "tmp"),
        IPYTHONDIR=os.path.join(home, ".ipython"),
        MPLCONFIGDIR=os.path.join(home, ".matplotlib"),
        MPLBACKEND="Agg",
        XDG_CACHE_HOME=os.path.join(home, ".cache"),
        XDG_CONFIG_HOME=os.path.join(home, ".config"),
        JUPYTER_RUNTIME_DIR=os.path.join(sandbox, "runtime"),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONHASHSEED="0",
    )
    return env


def _private_stdio(sandbox: str) -> None:
    """Point fds 0-2 at files of the sandbox instead of the grading child's (opened before any student code)."""
    null = os.open(os.devnull, os.O_RDONLY)
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW
    log = os.open(os.path.join(sandbox, "kernel.log"), flags, 0o600)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)


def _limit_processes(extra: int = 256) -> None:
    """No fork bomb: at most ``extra`` more tasks (processes and threads) for this uid than it runs now.

    RLIMIT_NPROC counts all tasks of the real uid (the grader's too, when the kernel runs as the grader's
    user) and Linux never applies it to root: kernels that run as root rely on their PID namespace, whose
    processes all die with the kernel (autograder.namespace).
    """
    uid = os.getuid()
    if uid == 0:
        return
    running = 0
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and proc.stat().st_uid == uid:
                running += len(os.listdir(proc / "task"))
        except OSError:  # gone meanwhile
            continue
    hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    limit = running + extra if hard == resource.RLIM_INFINITY else min(hard, running + extra)
    resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))


def _die_with_parent() -> None:
    """SIGKILL this process (``unshare``, which then kills its PID namespace) when the grading child dies.

    In its own PID namespace ipykernel cannot watch JPY_PARENT_PID (its parent pid reads 0). The signal
    is armed after the uid change, which would clear it; the parent's main thread launched us.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.environ.get("JPY_PARENT_PID", str(os.getppid())) != str(os.getppid()):
        os._exit(1)  # the grading child died before the signal was armed


def main(argv: list[str]) -> None:
    sandbox, uid, gid, mode = argv[0], int(argv[1]), int(argv[2]), argv[3]
    _private_stdio(sandbox)
    hide, rest = tuple(argv[4 : argv.index("-f")]), argv[argv.index("-f") :]
    connection = rest[rest.index("-f") + 1]
    private = os.path.join(sandbox, "runtime", os.path.basename(connection))
    shutil.copyfile(connection, private)  # the grader's copy is unreadable by the sandbox user
    with open(os.path.join(sandbox, "kernel.pid"), "a") as f:
        f.write(f"{os.getpid()}\n")
    if uid >= 0:
        os.chown(private, uid, gid)
    os.chmod(private, 0o600)
    rest[rest.index("-f") + 1] = private
    os.chdir(os.path.join(sandbox, "work"))
    if uid >= 0:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    _limit_processes()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 30, 1 << 30))  # no file over 1 GiB
    os.umask(0o077)
    kernel = [sys.executable, "-m", "ipykernel_launcher", *rest]
    if mode.startswith("namespace"):
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script
        from autograder.namespace import command

        kernel = command(Path(sandbox), kernel, hide, pid=mode == "namespace+pid")
    if mode == "namespace+pid":
        _die_with_parent()
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    os.closerange(3, limit if limit > 0 else 1 << 16)  # nothing inherited beyond 0-2
    os.execvpe(kernel[0], kernel, _sandbox_env(sandbox))


if __name__ == "__main__":
    main(sys.argv[1:])
